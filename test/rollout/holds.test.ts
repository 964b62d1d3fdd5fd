// Issue 9, "every no is not a full rollback": a denied approval holds the rollout (operator decides), a canary stage
// whose every target is under maintenance waits instead of letting a wider stage go first, a pause posted while a stage
// applies stops new applies at once, and commands posted while no process runs the rollout are honoured by the resume.
// Hook calls are recorded by the tests themselves (the fleet as the hooks left it), never read back from the journal.
import { describe, expect, it } from 'vitest';
import { MemoryJournal, planRollout, resumeRollout, runRollout } from '../../src/index.js';
import type { OperatorCommand, RolloutEvent, RunOptions, Target } from '../../src/index.js';

function fleet(n: number, region = (i: number) => ['a', 'b'][i % 2]!): Target[] {
  return Array.from({ length: n }, (_, i) => ({ id: `t${i}`, labels: { region: region(i) } }));
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function setup(targets: Target[], stages: Parameters<typeof planRollout>[0]['stages'], overrides: Partial<RunOptions> = {}) {
  const calls: string[] = [];
  const events: RolloutEvent[] = [];
  const journal = new MemoryJournal();
  const onFleet = new Map<string, 'lkg' | 'proposed'>(targets.map((t) => [t.id, 'lkg']));
  const options: RunOptions = {
    plan: planRollout({ targets, stages }),
    proposed: { v: 2 },
    lkg: { v: 1 },
    apply: (t) => {
      calls.push(`apply:${t.id}`);
      onFleet.set(t.id, 'proposed');
    },
    rollback: (t) => {
      calls.push(`rollback:${t.id}`);
      onFleet.set(t.id, 'lkg');
    },
    health: (t) => {
      calls.push(`health:${t.id}`);
      return true;
    },
    healthOptions: { interval: 10, timeout: 1_000 },
    journal,
    onEvent: (e) => events.push(e),
    ...overrides,
  };
  const of = (hook: string) => calls.filter((c) => c.startsWith(`${hook}:`)).map((c) => c.slice(hook.length + 1));
  return { calls, events, journal, options, onFleet, of };
}

function command(command: OperatorCommand['command'], reason?: string, user = 'alice'): OperatorCommand {
  return { command, id: `c-${Math.random()}`, user, host: 'ops-1', ts: new Date().toISOString(), ...(reason ? { reason } : {}) };
}

/** Resolve when an event matching `pred` has been emitted (the tests' own timeout bounds the wait). */
function when(events: RolloutEvent[], pred: (e: RolloutEvent) => boolean): Promise<void> {
  return new Promise((resolve) => {
    const tick = (): void => {
      if (events.some(pred)) resolve();
      else setTimeout(tick, 2);
    };
    tick();
  });
}

const APPROVAL_STAGES = [{ name: 'canary', count: 1 }, { name: 'all', percent: 100, approval: true }];

describe('a denied approval holds (onApprovalDenied: hold, the default)', () => {
  it('nothing is rolled back; health keeps being checked; continue asks the approval hook again, which then approves', async () => {
    let asked = 0;
    const { options, events, journal, of, onFleet } = setup(fleet(4), APPROVAL_STAGES, {
      approval: () => ++asked > 1, // "no" first, "yes" when asked again
    });
    const run = runRollout(options);
    await when(events, (e) => e.type === 'rollout.held');
    const heldAt = of('health').length;
    await when(events, () => of('health').length > heldAt); // the canary is watched while the rollout waits (bounded by the test timeout)
    expect(of('rollback')).toEqual([]);
    expect(of('apply')).toEqual(['t0']); // the wider stage did not start
    await journal.postCommand(command('continue', 'change board said yes'));
    const res = await run;
    expect(res.status).toBe('completed');
    expect(asked).toBe(2);
    expect(of('rollback')).toEqual([]);
    expect([...onFleet.values()].every((v) => v === 'proposed')).toBe(true);
    expect(events.find((e) => e.type === 'rollout.held')).toMatchObject({ kind: 'approval', stage: 1, reason: expect.stringMatching(/approval denied for stage "all" \(the approval hook did not return true\); nothing was rolled back/) });
    expect(journal.records.filter((r) => r.type === 'approval').map((r) => (r as { approved: boolean }).approved)).toEqual([false, true]);
    expect(journal.records.some((r) => r.type === 'hold' && r.kind === 'approval')).toBe(true);
    expect(journal.records.find((r) => r.type === 'command')).toMatchObject({ command: 'continue', action: 'applied', reason: 'change board said yes' });
  });

  it('abort during the hold rolls back (status aborted); a canary that dies during the hold rolls back (health)', async () => {
    const a = setup(fleet(4), APPROVAL_STAGES, { approval: () => false });
    const run = runRollout(a.options);
    await when(a.events, (e) => e.type === 'rollout.held');
    await a.journal.postCommand(command('abort', 'not this week'));
    const res = await run;
    expect(res.status).toBe('aborted');
    expect(res.reason).toMatch(/aborted by operator alice@ops-1 \(not this week\)/);
    expect(a.of('rollback')).toEqual(['t0']);
    expect(a.onFleet.get('t0')).toBe('lkg');

    let dead = false;
    const b = setup(fleet(4), APPROVAL_STAGES, {
      approval: () => false,
      health: (t) => !(dead && t.id === 't0'),
    });
    const run2 = runRollout(b.options);
    await when(b.events, (e) => e.type === 'rollout.held');
    dead = true;
    const res2 = await run2;
    expect(res2.status).toBe('rolled-back');
    expect(res2.reason).toMatch(/while held/);
    expect(b.of('rollback')).toEqual(['t0']);
  });

  it('an approval timeout is a denial: held; after holdTimeout the result is `held` and a forward resume asks again', async () => {
    let answer: 'hang' | 'yes' = 'hang';
    const s = setup(fleet(3), APPROVAL_STAGES, {
      approvalTimeout: 30,
      holdTimeout: 60,
      approval: () => (answer === 'yes' ? true : new Promise<boolean>(() => undefined)),
    });
    const res = await runRollout(s.options);
    expect(res.status).toBe('held');
    expect(res.reason).toMatch(/held \(approval\) for 60ms with no operator decision: approval denied for stage "all" \(no decision within approvalTimeout/);
    expect(res.stages[1]!.status).toBe('held');
    expect(s.of('rollback')).toEqual([]);
    expect(s.onFleet.get('t0')).toBe('proposed');
    answer = 'yes';
    const resumed = await resumeRollout(s.journal, { forward: true, apply: s.options.apply, rollback: s.options.rollback, health: s.options.health, approval: s.options.approval, healthOptions: { interval: 10 } });
    expect(resumed.status).toBe('completed');
    expect(s.of('rollback')).toEqual([]);
    expect([...s.onFleet.values()].every((v) => v === 'proposed')).toBe(true);
  });

  it('onApprovalDenied is validated', async () => {
    const s = setup(fleet(2), APPROVAL_STAGES, { approval: () => true, onApprovalDenied: 'later' as never });
    await expect(runRollout(s.options)).rejects.toMatchObject({ code: 'E_OPTIONS_INVALID', message: expect.stringMatching(/onApprovalDenied.*"hold" or "rollback"/) });
    expect(s.calls).toEqual([]);
    // an explicit undefined is the default (hold), as under exactOptionalPropertyTypes
    const u = setup(fleet(2), APPROVAL_STAGES, { approval: () => false, onApprovalDenied: undefined, holdTimeout: 30 });
    expect((await runRollout(u.options)).status).toBe('held');
    expect(u.of('rollback')).toEqual([]);
  });
});

describe('pause while a stage applies', () => {
  it('stops new applies at once: those in flight settle and are journaled, the rollout holds and watches them; continue applies the rest', async () => {
    const started: string[] = [];
    const release = new Map<string, () => void>();
    const s = setup(fleet(9), [{ name: 'canary', count: 1 }, { name: 'all', percent: 100 }], {
      concurrency: 2,
      apply: async (t) => {
        started.push(t.id);
        if (t.id !== 't0') await new Promise<void>((r) => release.set(t.id, r)); // stage "all" applies block until released
        s.onFleet.set(t.id, 'proposed');
      },
    });
    const run = runRollout(s.options);
    await when(s.events, () => started.length === 3); // the canary, then two applies of "all" in flight
    await s.journal.postCommand(command('pause', 'error budget alert'));
    await when(s.events, (e) => e.type === 'command' && e.command === 'pause' && e.action === 'applied');
    const inFlight = started.slice(1);
    for (const id of inFlight) release.get(id)!();
    await when(s.events, (e) => e.type === 'rollout.held');
    expect(started).toEqual(['t0', ...inFlight]); // nothing new started after the pause was read
    const held = s.events.find((e) => e.type === 'rollout.held');
    expect(held).toMatchObject({ kind: 'operator', stage: 1, reason: expect.stringMatching(/paused by operator alice@ops-1 \(error budget alert\)/) });
    // the two that were in flight settled and were journaled before the hold; the rest were never started
    const recs = s.journal.records;
    const holdAt = recs.findIndex((r) => r.type === 'hold');
    for (const id of inFlight) expect(recs.findIndex((r) => r.type === 'target' && r.targetId === id && r.state.status === 'applied')).toBeLessThan(holdAt);
    const healthAtHold = s.of('health').filter((id) => inFlight.includes(id)).length;
    await when(s.events, () => s.of('health').filter((id) => inFlight.includes(id)).length > healthAtHold); // watched while held
    expect(started).toHaveLength(3);
    await s.journal.postCommand(command('continue', 'alert was noise'));
    // the rest of the stage is applied after the continue
    await when(s.events, () => started.length > 3);
    for (;;) {
      for (const [id, r] of release) if (started.includes(id)) r();
      if (s.events.some((e) => e.type === 'rollout.finished')) break;
      await sleep(5);
    }
    const res = await run;
    expect(res.status).toBe('completed');
    expect(started.slice().sort()).toEqual(fleet(9).map((t) => t.id).sort());
    expect(new Set(started).size).toBe(9); // each target applied once
    expect(s.of('rollback')).toEqual([]);
    expect(res.stages[1]).toMatchObject({ status: 'passed', applied: 8 });
  });

  it('abort after a pause mid-apply rolls back exactly the targets whose apply ran', async () => {
    const release: Array<() => void> = [];
    const started: string[] = [];
    const s = setup(fleet(8), [{ name: 'canary', count: 1 }, { name: 'all', percent: 100 }], {
      concurrency: 3,
      apply: async (t) => {
        started.push(t.id);
        if (t.id !== 't0') await new Promise<void>((r) => release.push(r));
        s.onFleet.set(t.id, 'proposed');
      },
    });
    const run = runRollout(s.options);
    await when(s.events, () => started.length === 4);
    await s.journal.postCommand(command('pause'));
    await when(s.events, (e) => e.type === 'command' && e.command === 'pause');
    for (const r of release) r();
    await when(s.events, (e) => e.type === 'rollout.held');
    await s.journal.postCommand(command('abort', 'bad push'));
    const res = await run;
    expect(res.status).toBe('aborted');
    expect(started).toHaveLength(4);
    expect(s.of('rollback').sort()).toEqual(started.slice().sort());
    expect([...s.onFleet.values()].every((v) => v === 'lkg')).toBe(true);
    for (const t of fleet(8)) expect(['rolled-back', 'skipped']).toContain(res.targets[t.id]!.status);
  });
});

describe('a canary stage whose every target is under maintenance waits (a wider stage never goes first)', () => {
  const base = Date.parse('2026-01-05T10:00:00Z');
  const windows = [{ name: 'a maintenance', kind: 'maintenance' as const, targets: { region: 'a' }, start: '2026-01-05T09:00:00Z', end: '2026-01-05T12:00:00Z' }];

  it('holds with the window and its end in the reason, re-checks at every interval, and continues by itself once the canary is available', async () => {
    let clock = base;
    const applyTimes = new Map<string, number>();
    const s = setup(fleet(5), [{ name: 'canary', count: 1, bake: 20 }, { name: 'all', percent: 100 }], {
      windows,
      now: () => new Date(clock),
      apply: (t) => {
        applyTimes.set(t.id, clock);
        s.calls.push(`apply:${t.id}`);
        s.onFleet.set(t.id, 'proposed');
      },
    });
    expect(s.options.plan.waves[0]!.targets.map((t) => t.id)).toEqual(['t0']); // region a: under maintenance at run time
    const run = runRollout(s.options);
    await when(s.events, (e) => e.type === 'rollout.held');
    const held = s.events.find((e) => e.type === 'rollout.held')!;
    expect(held).toMatchObject({ kind: 'maintenance', stage: 0, reason: expect.stringMatching(/every one of its 1 target\(s\) is under maintenance \("a maintenance" until 2026-01-05T12:00:00(\.000)?Z\); a wider stage never starts/) });
    await sleep(60);
    expect(s.of('apply')).toEqual([]); // neither the canary nor the wider stage
    clock = Date.parse('2026-01-05T12:00:01Z'); // the window ends
    const res = await run;
    expect(res.status).toBe('completed');
    expect(s.of('apply')[0]).toBe('t0'); // the canary first, after the window
    expect(applyTimes.get('t0')).toBeGreaterThanOrEqual(Date.parse('2026-01-05T12:00:00Z'));
    expect(s.events.some((e) => e.type === 'rollout.released' && e.by === 'window')).toBe(true);
    expect(s.events.filter((e) => e.type === 'target.deferred')).toEqual([]);
    // the canary stage baked before the wider stage started
    const order = s.events.filter((e) => e.type === 'stage.baked' || e.type === 'stage.started').map((e) => `${e.type}:${(e as { stage: number }).stage}`);
    expect(order).toEqual(['stage.started:0', 'stage.baked:0', 'stage.started:1', 'stage.baked:1']);
  });

  it('an operator continue pushes the canary into the window (break-glass, journaled); abort rolls back with nothing applied', async () => {
    const a = setup(fleet(4), [{ name: 'canary', count: 1 }, { name: 'all', percent: 100 }], { windows, now: () => new Date(base) });
    const run = runRollout(a.options);
    await when(a.events, (e) => e.type === 'rollout.held');
    await a.journal.postCommand(command('continue', 'maintenance finished early'));
    const res = await run;
    expect(res.status).toBe('incomplete'); // the wider stage's region-a targets are deferred past the last stage
    expect(a.of('apply')[0]).toBe('t0');
    expect(a.events.some((e) => e.type === 'warning' && /applied inside the maintenance window/.test(e.message))).toBe(true);
    expect(a.journal.records.find((r) => r.type === 'release')).toMatchObject({ by: 'operator' });

    const b = setup(fleet(4), [{ name: 'canary', count: 1 }, { name: 'all', percent: 100 }], { windows, now: () => new Date(base) });
    const run2 = runRollout(b.options);
    await when(b.events, (e) => e.type === 'rollout.held');
    await b.journal.postCommand(command('abort'));
    const res2 = await run2;
    expect(res2.status).toBe('aborted');
    expect(b.calls.filter((c) => !c.startsWith('health'))).toEqual([]);
  });

  it('a canary stage with one target available applies it and defers the others (no hold)', async () => {
    const s = setup(fleet(6), [{ name: 'canary', count: 2 }, { name: 'all', percent: 100 }], { windows, now: () => new Date(base) });
    const res = await runRollout(s.options);
    expect(s.events.some((e) => e.type === 'rollout.held')).toBe(false);
    expect(s.of('apply')[0]).toBe('t1'); // region b: available
    expect(res.status).toBe('incomplete');
  });
});

describe('commands posted while no process runs the rollout are honoured by the resume', () => {
  const base = Date.parse('2026-01-05T10:00:00Z');
  const freeze = [{ name: 'change freeze', kind: 'freeze' as const, start: '2026-01-05T10:30:00Z', end: '2026-01-05T18:00:00Z' }];
  /** A rollout held by a freeze before its second stage, whose process returned (`holdTimeout`): the canary has the config. */
  async function heldByFreeze(extra: Partial<RunOptions> = {}, lastBake: string | number = 20) {
    let clock = base;
    const s = setup(fleet(4), [{ name: 'canary', count: 1 }, { name: 'all', percent: 100, bake: lastBake }], {
      windows: freeze,
      now: () => new Date(clock),
      holdTimeout: 40,
      onEvent: (e) => {
        s.events.push(e);
        if (e.type === 'stage.passed' && e.stage === 0) clock = base + 40 * 60_000; // the freeze has begun
      },
      ...extra,
    });
    const res = await runRollout(s.options);
    expect(res.status).toBe('held');
    expect(s.onFleet.get('t0')).toBe('proposed');
    const hooks = { apply: s.options.apply, rollback: s.options.rollback, health: s.options.health, windows: freeze, now: () => new Date(clock), healthOptions: { interval: 10 }, holdTimeout: 40 };
    return { s, hooks };
  }

  it('abort: a resume rolls back (status aborted, naming the operator), journaling that it honoured the command', async () => {
    const { s, hooks } = await heldByFreeze();
    await s.journal.postCommand(command('abort', 'freeze until Monday', 'carol'));
    const res = await resumeRollout(s.journal, { rollback: hooks.rollback });
    expect(res.status).toBe('aborted');
    expect(res.reason).toMatch(/aborted by operator carol@ops-1 \(freeze until Monday\) while no process ran the rollout/);
    expect(s.of('rollback')).toEqual(['t0']);
    expect([...s.onFleet.values()].every((v) => v === 'lkg')).toBe(true);
    expect(s.journal.records.filter((r) => r.type === 'command').at(-1)).toMatchObject({ command: 'abort', user: 'carol', action: 'applied', note: expect.stringMatching(/no process ran the rollout/) });
  });

  it('abort wins over --forward: a forward resume rolls back instead', async () => {
    const { s, hooks } = await heldByFreeze();
    await s.journal.postCommand(command('abort'));
    const res = await resumeRollout(s.journal, { ...hooks, forward: true });
    expect(res.status).toBe('aborted');
    expect(s.of('apply')).toEqual(['t0']);
    expect([...s.onFleet.values()].every((v) => v === 'lkg')).toBe(true);
  });

  it('continue: a resume goes forward and releases the hold the rollout was in (here a freeze: break-glass), once', async () => {
    const { s, hooks } = await heldByFreeze();
    await s.journal.postCommand(command('continue', 'freeze exception CHG-7', 'dave'));
    // without `apply` a resume cannot go forward: it refuses, and does nothing
    const before = s.journal.records.length;
    await expect(resumeRollout(s.journal, { rollback: hooks.rollback })).rejects.toMatchObject({ code: 'E_OPTIONS_INVALID', message: expect.stringMatching(/pending `continue` posted by dave@ops-1 .* --resume --forward/) });
    expect(s.journal.records.length).toBe(before);
    expect(s.of('rollback')).toEqual([]);
    // with `apply` (forward not forced) the command decides: forward, through the freeze the operator released
    const res = await resumeRollout(s.journal, { ...hooks, promote: undefined });
    expect(res.status).toBe('completed');
    expect(res.resumed).toBe(true);
    expect(s.of('rollback')).toEqual([]);
    expect([...s.onFleet.values()].every((v) => v === 'proposed')).toBe(true);
    const recs = s.journal.records;
    expect(recs.filter((r) => r.type === 'command')).toMatchObject([{ command: 'continue', user: 'dave', action: 'applied' }]);
    expect(recs.filter((r) => r.type === 'release').at(-1)).toMatchObject({ by: 'operator', reason: expect.stringMatching(/released by dave@ops-1 \(freeze exception CHG-7\), posted while no process ran the rollout/) });
  });

  it('forward: false rolls back whatever is pending (the continue is journaled as ignored); a plain forward resume without a command holds again', async () => {
    const a = await heldByFreeze();
    await a.s.journal.postCommand(command('continue'));
    const res = await resumeRollout(a.s.journal, { rollback: a.hooks.rollback, forward: false });
    expect(res.status).toBe('rolled-back');
    expect(a.s.journal.records.filter((r) => r.type === 'command').at(-1)).toMatchObject({ command: 'continue', action: 'ignored', note: expect.stringMatching(/forward: false/) });

    const b = await heldByFreeze();
    const again = await resumeRollout(b.s.journal, { ...b.hooks, forward: true });
    expect(again.status).toBe('held'); // the freeze still holds: nobody released it
    expect(b.s.of('apply')).toEqual(['t0']);
  });

  it('promote skips the remaining bakes; a pending pause makes a forward resume hold at once', async () => {
    const a = await heldByFreeze({}, '1h');
    await a.s.journal.postCommand(command('promote', 'hotfix'));
    const res = await resumeRollout(a.s.journal, { ...a.hooks, forward: true, onEvent: (e) => a.s.events.push(e) });
    expect(res.status).toBe('completed'); // the last stage's 1h bake was skipped (the test would time out otherwise)
    expect(a.s.journal.records.filter((r) => r.type === 'command').at(-1)).toMatchObject({ command: 'promote', action: 'applied', note: expect.stringMatching(/skips the remaining bakes/) });

    const b = await heldByFreeze();
    await b.s.journal.postCommand(command('pause', 'wait for the incident review'));
    const events: RolloutEvent[] = [];
    const held = await resumeRollout(b.s.journal, { ...b.hooks, windows: [], forward: true, onEvent: (e) => events.push(e) });
    expect(held.status).toBe('held');
    expect(events.find((e) => e.type === 'rollout.held')).toMatchObject({ kind: 'operator', reason: expect.stringMatching(/paused by operator alice@ops-1 \(wait for the incident review\)/) });
    expect(b.s.of('apply')).toEqual(['t0']);
    expect(b.s.of('rollback')).toEqual([]);
  });
});

describe('resume when the command channel cannot be read', () => {
  it('warns and goes on as asked; commands older than the resume are not replayed', async () => {
    class FlakyChannel extends MemoryJournal {
      failNext = false;
      override async readCommands(afterSeq: number) {
        if (this.failNext) {
          this.failNext = false;
          throw new Error('EIO: commands file unreadable');
        }
        return super.readCommands(afterSeq);
      }
    }
    const journal = new FlakyChannel();
    await journal.postCommand(command('abort', 'stale, for an older rollout')); // posted before the rollout started
    const s = setup(fleet(3), [{ name: 'canary', count: 1 }, { name: 'all', percent: 100 }], {
      journal,
      health: (t) => (t.id === 't0' ? { healthy: false, inconclusive: true } : true),
      holdTimeout: 30,
    });
    expect((await runRollout(s.options)).status).toBe('held');
    journal.failNext = true;
    const events: RolloutEvent[] = [];
    const res = await resumeRollout(journal, { forward: true, apply: s.options.apply, rollback: s.options.rollback, health: () => true, healthOptions: { interval: 10 }, onEvent: (e) => events.push(e) });
    expect(events.some((e) => e.type === 'warning' && /cannot read operator commands posted while no process ran the rollout: EIO/.test(e.message))).toBe(true);
    expect(res.status).toBe('completed');
    expect(s.of('rollback')).toEqual([]);
  });
});
