// Regressions found by a "new user" review of the rollout API (deployment-script author's view).
import { describe, expect, it } from 'vitest';
import { OptionsError } from '../../src/errors.js';
import { MemoryJournal, planRollout, resumeRollout, runRollout } from '../../src/rollout/index.js';
import type { RolloutEvent, RunOptions } from '../../src/rollout/index.js';
import type { Target } from '../../src/types.js';

const fleet = (n: number): Target[] => Array.from({ length: n }, (_, i) => ({ id: `t${i}`, labels: { region: ['a', 'b'][i % 2]! } }));

function opts(over: Record<string, unknown> = {}): RunOptions {
  return {
    plan: planRollout({ targets: fleet(3), stages: [{ name: 'all', percent: 100 }] }),
    proposed: { v: 2 },
    lkg: { v: 1 },
    apply: () => undefined,
    rollback: () => undefined,
    health: () => true,
    healthOptions: { interval: 5, timeout: 200 },
    ...over,
  } as RunOptions;
}

describe('planRollout: helpful stage errors', () => {
  it('names an unknown key when a stage has none of count/percent/select', () => {
    expect(() => planRollout({ targets: fleet(2), stages: [{ name: 'c', percentage: 50 } as never] })).toThrow(/unknown key `percentage`/);
  });
  it('does not say "between 0 and 100" for percent 0', () => {
    expect(() => planRollout({ targets: fleet(2), stages: [{ name: 'c', percent: 0 }] })).toThrow(/between 0 and 100, got 0 \(it must be greater than 0\)/);
  });
});

describe('runRollout: option misuse', () => {
  it('rejects a signal that is not an AbortSignal with an OptionsError', async () => {
    await expect(runRollout(opts({ signal: {} }))).rejects.toBeInstanceOf(OptionsError);
  });
  it('rejects zero timeouts (they would fail every call)', async () => {
    await expect(runRollout(opts({ applyTimeout: 0 }))).rejects.toThrow(/`applyTimeout` must be a duration greater than 0/);
    await expect(runRollout(opts({ healthOptions: { timeout: '0s' } }))).rejects.toThrow(/`healthOptions.timeout`/);
    await expect(runRollout(opts({ rollbackTimeout: 0 }))).rejects.toThrow(/`rollbackTimeout`/);
  });
  it('prints Infinity as Infinity, not null', async () => {
    await expect(runRollout(opts({ concurrency: Infinity }))).rejects.toThrow(/got Infinity/);
  });
  it('warns about unknown option names instead of dropping them silently', async () => {
    const events: RolloutEvent[] = [];
    const r = await runRollout(opts({ timeout: '1s', healthOptions: { interval: 5, retries: 3 }, onEvent: (e: RolloutEvent) => events.push(e) }));
    expect(r.status).toBe('completed');
    const w = events.filter((e) => e.type === 'warning').map((e) => (e as { message: string }).message);
    expect(w.some((m) => m.includes('`timeout`') && m.includes('`healthOptions.retries`'))).toBe(true);
  });
  it('emits no unknown-option warning for documented options', async () => {
    const events: RolloutEvent[] = [];
    await runRollout(opts({ id: 'x', failureBudget: 0, concurrency: 2, onEvent: (e: RolloutEvent) => events.push(e) }));
    expect(events.some((e) => e.type === 'warning' && e.message.includes('unknown'))).toBe(false);
  });
});

describe('resumeRollout: stage counts', () => {
  it('keeps the applied counts the crashed run journaled', async () => {
    const journal = new MemoryJournal();
    const plan = planRollout({ targets: fleet(4), stages: [{ name: 'canary', count: 1 }, { name: 'all', percent: 100 }] });
    // a crashed run: canary applied and passed, the second wave journaled `applying` and then the process died
    await journal.append([
      { type: 'rollout.started', v: 1, id: 'r1', ts: '2026-01-01T00:00:00.000Z', plan, proposed: { v: 2 }, lkg: { v: 1 }, changes: [] },
      { type: 'stage', ts: '2026-01-01T00:00:00.000Z', stage: 0, status: 'started' },
      { type: 'target', targetId: 't0', state: { status: 'applying', stage: 0 } },
      { type: 'target', targetId: 't0', state: { status: 'applied', stage: 0 } },
      { type: 'target', targetId: 't0', state: { status: 'healthy', stage: 0 } },
      { type: 'stage', ts: '2026-01-01T00:00:00.000Z', stage: 0, status: 'passed' },
      { type: 'stage', ts: '2026-01-01T00:00:00.000Z', stage: 1, status: 'started' },
      { type: 'target', targetId: 't1', state: { status: 'applying', stage: 1 } },
    ]);
    const r = await resumeRollout(journal, { rollback: () => undefined });
    expect(r.status).toBe('rolled-back');
    expect(r.stages[0]!.applied).toBe(1);
    expect(r.stages[1]!.applied).toBe(0);
    expect(r.targets['t0']!.status).toBe('rolled-back');
    expect(r.targets['t1']!.status).toBe('rolled-back');
  });
});

describe('confgate rollout: zero health timeout in the policy', () => {
  it('exits 2 naming the policy field, not the library option, and calls no hook', async () => {
    const { mkdtempSync, writeFileSync, rmSync, existsSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const { runCli } = await import('../../src/cli/main.js');
    const dir = mkdtempSync(path.join(tmpdir(), 'confgate-ur-'));
    try {
      writeFileSync(path.join(dir, 'p.yaml'), 'version: 1\nrollout:\n  health: { timeout: 0 }\n');
      writeFileSync(path.join(dir, 't.json'), JSON.stringify({ targets: [{ id: 'a', labels: {} }] }));
      writeFileSync(path.join(dir, 'cur.json'), '{"v":1}');
      writeFileSync(path.join(dir, 'next.json'), '{"v":2}');
      const err: string[] = [];
      const code = await runCli(
        ['rollout', '--policy', 'p.yaml', '--proposed', 'next.json', '--current', 'cur.json', '--targets', 't.json',
          '--apply', `${process.execPath} -e 0`, '--rollback', `${process.execPath} -e 0`, '--journal', 'j.journal'],
        { stdout: () => undefined, stderr: (t) => void err.push(t), env: {}, isTTY: false, isErrTTY: false, cwd: dir, now: () => new Date('2026-01-01T00:00:00Z') },
      );
      expect(code).toBe(2);
      expect(err.join("")).toMatch(/`rollout\.health\.timeout` must be (a duration )?greater than 0/);
      expect(existsSync(path.join(dir, 'j.journal'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
