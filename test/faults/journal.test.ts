/**
 * Fault injection on the journal (library level): the disk fills up or the file system turns read-only at every
 * possible point of a rollout. The engine must never act on a target whose `applying` record is not durable, must roll
 * back what it already changed, and must leave every target in a known state. (The process killed mid-wave and resumed
 * is covered with a real SIGKILL in test/rollout/journal.test.ts; here: killed mid-rollback.)
 */
import { describe, expect, it } from 'vitest';
import { MemoryJournal, planRollout, resumeRollout, runRollout } from '../../src/rollout/index.js';
import type { JournalRecord, RolloutResult } from '../../src/rollout/index.js';
import { FailingJournal, fleet, harness, tally } from './helpers.js';

const FINAL = new Set(['healthy', 'rolled-back', 'rollback-failed', 'skipped']);

/** Run a 3-stage rollout of 6 targets against a journal that holds `capacity` records. */
async function runWithCapacity(capacity: number, errno: 'ENOSPC' | 'EROFS' = 'ENOSPC') {
  const journal = new FailingJournal(capacity, errno);
  const unjournaledApplies: string[] = [];
  const h = harness(
    6,
    {
      journal,
      concurrency: 2,
      apply: (t) => {
        h.calls.push(`apply:${t.id}`);
        if (!journal.hasApplying(t.id)) unjournaledApplies.push(t.id);
      },
    },
    [
      { name: 'canary', count: 1 },
      { name: 'half', percent: 50 },
      { name: 'all', percent: 100 },
    ],
  );
  let result: RolloutResult | undefined;
  let thrown: unknown;
  try {
    result = await runRollout(h.options);
  } catch (err) {
    thrown = err;
  }
  return { journal, h, result, thrown, unjournaledApplies };
}

describe('journal disk full / read-only', () => {
  it('read-only from the start: runRollout throws E_JOURNAL and no hook is ever called', async () => {
    const { h, thrown, journal } = await runWithCapacity(0, 'EROFS');
    expect(thrown).toMatchObject({ code: 'E_JOURNAL', message: expect.stringMatching(/read-only file system/) });
    expect(h.calls).toEqual([]);
    expect(journal.durable).toEqual([]);
  });

  it('at every possible failure point: no unjournaled apply, changed targets rolled back, every target known', async () => {
    // How many records a clean run writes.
    const clean = await runWithCapacity(Number.MAX_SAFE_INTEGER);
    expect(clean.result!.status).toBe('completed');
    const total = clean.journal.durable.length;
    expect(total).toBeGreaterThan(10);

    const statuses = new Set<string>();
    for (let capacity = 1; capacity < total; capacity++) {
      const { h, result, thrown, unjournaledApplies, journal } = await runWithCapacity(capacity);
      const where = `capacity ${capacity}`;
      expect(thrown, where).toBeUndefined(); // the first record fitted: everything else is in the result
      const res = result!;
      statuses.add(res.status);
      // never act unjournaled
      expect(unjournaledApplies, where).toEqual([]);
      // never apply twice; every failure is reported as a journal error with its code
      expect(Object.values(tally(h.of('apply'))).every((n) => n === 1), where).toBe(true);
      expect(journal.failures, where).toBeGreaterThan(0);
      expect(res.errors.some((e) => (e as { phase?: string; code?: string }).phase === 'journal' && (e as { code?: string }).code === 'E_JOURNAL'), where).toBe(true);
      // every target in a known final state
      for (const [id, s] of Object.entries(res.targets)) expect(FINAL.has(s.status), `${where}: ${id} is ${s.status}`).toBe(true);
      if (res.status === 'completed') {
        // only the final bookkeeping record was lost: nothing to undo
        expect(h.of('rollback'), where).toEqual([]);
        continue;
      }
      // what changed is rolled back (newest first); nothing else is touched
      expect(h.of('rollback'), where).toEqual([...h.of('apply')].reverse());
      for (const id of h.of('apply')) expect(res.targets[id]!.status, `${where}: ${id}`).toBe('rolled-back');
      for (const [id, s] of Object.entries(res.targets)) if (!h.of('apply').includes(id)) expect(s.status, `${where}: ${id}`).toBe('skipped');
    }
    expect(statuses.has('rolled-back')).toBe(true);
  });

  it('the disk fills while a wave is applying: the next batch is not applied, the batch already applied is rolled back', async () => {
    // capacity chosen so that the canary completes and the second wave's `applying` batch does not fit
    const clean = await runWithCapacity(Number.MAX_SAFE_INTEGER);
    const firstBatch2 = clean.journal.durable.findIndex((r) => r.type === 'target' && r.state.status === 'applying' && r.state.stage === 1);
    const { h, result } = await runWithCapacity(firstBatch2);
    expect(h.of('apply')).toEqual(['t0']);
    expect(h.of('rollback')).toEqual(['t0']);
    expect(result!.status).toBe('rolled-back');
    expect(result!.reason).toMatch(/journal write failed: .*no space left on device/);
    expect(result!.stages.map((s) => s.status)).toEqual(['passed', 'failed', 'not-started']);
    for (const id of ['t1', 't2', 't3', 't4', 't5']) expect(result!.targets[id]).toMatchObject({ status: 'skipped' });
  });
});

describe('process killed mid-rollback, then resumed', () => {
  it('retries the interrupted rollbacks (attempt 2) and rolls back the rest, newest first', async () => {
    const plan = planRollout({ targets: fleet(4), stages: [{ name: 'all', percent: 100 }] });
    const journal = new MemoryJournal();
    const t = (targetId: string, state: Extract<JournalRecord, { type: 'target' }>['state']): JournalRecord => ({ type: 'target', targetId, state });
    await journal.append([
      { type: 'rollout.started', v: 1, id: 'r-crash', ts: '2025-11-18T11:20:00Z', plan, proposed: { v: 2 }, lkg: { v: 1 }, changes: [] },
      { type: 'stage', ts: '2025-11-18T11:20:00Z', stage: 0, status: 'started' },
      ...['t0', 't1', 't2', 't3'].map((id) => t(id, { status: 'applying', stage: 0 })),
      t('t0', { status: 'applied', stage: 0 }),
      t('t1', { status: 'applied', stage: 0 }),
      t('t2', { status: 'failed', stage: 0, error: 'boom' }),
      t('t3', { status: 'applied', stage: 0 }),
      // the crash came during the rollback: t3 and t2 were being rolled back, t3 had finished
      t('t3', { status: 'rolling-back', stage: 0 }),
      t('t2', { status: 'rolling-back', stage: 0, error: 'boom' }),
      t('t3', { status: 'rolled-back', stage: 0 }),
    ]);
    const calls: Array<[string, number, unknown]> = [];
    const res = await resumeRollout(journal, {
      rollbackConcurrency: 1,
      rollback: (target, ctx) => void calls.push([target.id, ctx.attempt, ctx.config]),
    });
    expect(res).toMatchObject({ status: 'rolled-back', resumed: true, id: 'r-crash' });
    // t3 was already rolled back and is not touched again; t2 is retried (attempt 2); t1, t0 newest first
    expect(calls).toEqual([
      ['t2', 2, { v: 1 }],
      ['t1', 1, { v: 1 }],
      ['t0', 1, { v: 1 }],
    ]);
    expect(res.targets.t2).toEqual({ status: 'rolled-back', stage: 0, error: 'boom' });
    expect(Object.values(res.targets).every((s) => s.status === 'rolled-back')).toBe(true);
    expect(journal.records.at(-1)).toMatchObject({ type: 'rollout.finished', result: { status: 'rolled-back', resumed: true } });
  });
});
