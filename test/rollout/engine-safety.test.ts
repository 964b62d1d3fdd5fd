// Issue 9: no split brain, fail-closed health, up-front validation, holds and operator commands, run-time windows,
// health watched while the rollout waits, forward resume. Hook calls are recorded by the tests themselves.
import { describe, expect, it } from 'vitest';
import { loadConfig, MemoryJournal, planRollout, resumeRollout, runRollout } from '../../src/index.js';
import type { HookContext, OperatorCommand, RolloutEvent, RunOptions, Target, WindowSpec } from '../../src/index.js';

function fleet(n: number, region = (i: number) => ['a', 'b'][i % 2]!): Target[] {
  return Array.from({ length: n }, (_, i) => ({ id: `t${i}`, labels: { region: region(i) } }));
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function setup(targets: Target[], stages: Parameters<typeof planRollout>[0]['stages'], overrides: Partial<RunOptions> = {}) {
  const calls: string[] = [];
  const events: RolloutEvent[] = [];
  const journal = new MemoryJournal();
  const options: RunOptions = {
    plan: planRollout({ targets, stages }),
    proposed: { v: 2 },
    lkg: { v: 1 },
    apply: (t) => void calls.push(`apply:${t.id}`),
    rollback: (t) => void calls.push(`rollback:${t.id}`),
    health: () => true,
    healthOptions: { interval: 10, timeout: 500 },
    journal,
    onEvent: (e) => events.push(e),
    ...overrides,
  };
  return { calls, events, journal, options };
}

function command(command: OperatorCommand['command'], reason?: string): OperatorCommand {
  return { command, id: `c-${Math.random()}`, user: 'alice', host: 'ops-1', ts: new Date().toISOString(), ...(reason ? { reason } : {}) };
}

/** Resolve when an event matching `pred` has been emitted. */
function when(events: RolloutEvent[], pred: (e: RolloutEvent) => boolean): Promise<void> {
  return new Promise((resolve) => {
    const tick = (): void => {
      if (events.some(pred)) resolve();
      else setTimeout(tick, 2);
    };
    tick();
  });
}

describe('health fails closed', () => {
  for (const [name, value] of [
    ['undefined (a forgotten return)', undefined],
    ['null', null],
    ['a string', 'ok'],
    ['a number', 1],
    ['an object without healthy', { status: 'up' }],
    ['{ healthy: "true" }', { healthy: 'true' }],
  ] as const) {
    it(`${name} is a failure`, async () => {
      const { options, calls } = setup(fleet(2), [{ name: 'all', percent: 100 }], { health: () => value as never });
      const res = await runRollout(options);
      expect(res.status).toBe('rolled-back');
      expect(calls.filter((c) => c.startsWith('rollback'))).toHaveLength(2);
    });
  }

  it('only true and { healthy: true } pass', async () => {
    for (const value of [true, { healthy: true }, { healthy: true, metrics: { p99: 3 } }]) {
      const { options } = setup(fleet(2), [{ name: 'all', percent: 100 }], { health: () => value });
      expect((await runRollout(options)).status).toBe('completed');
    }
  });

  it('{ inconclusive: true } is neither: the stage holds for an operator (held after holdTimeout, nothing rolled back)', async () => {
    const { options, calls, events, journal } = setup(fleet(3), [{ name: 'canary', count: 1 }, { name: 'all', percent: 100 }], {
      health: () => ({ healthy: false, inconclusive: true, message: 'no data from Prometheus' }),
      holdTimeout: 60,
    });
    const res = await runRollout(options);
    expect(res.status).toBe('held');
    expect(res.stages[0]!.status).toBe('held');
    expect(calls).toEqual(['apply:t0']);
    expect(events.some((e) => e.type === 'rollout.held' && e.kind === 'inconclusive' && /no data from Prometheus/.test(e.reason))).toBe(true);
    // a held rollout stays resumable: no rollout.finished record
    expect(journal.records.some((r) => r.type === 'rollout.finished')).toBe(false);
    expect(journal.records.some((r) => r.type === 'hold')).toBe(true);
  });
});

describe('up-front validation: nothing is applied', () => {
  const targets = fleet(4);
  const cases: Array<[string, Partial<RunOptions>, Parameters<typeof planRollout>[0]['stages'], RegExp]> = [
    ['an approval stage without an approval hook', {}, [{ name: 'canary', count: 1 }, { name: 'all', percent: 100, approval: true }], /"all" needs approval/],
    ['a judge without baseline', { judge: { baseline: [], metrics: { p99: { direction: 'increase' } } } }, [{ name: 'all', percent: 100 }], /judge.baseline/],
    ['a judge baseline inside the plan', { judge: { baseline: [targets[0]!], metrics: { p99: { direction: 'increase' } } } }, [{ name: 'all', percent: 100 }], /also in the plan/],
    ['plan targets missing from the target list', { targets: targets.slice(1) }, [{ name: 'all', percent: 100 }], /missing from `targets`.*"t0"/],
    ['a negative health interval', { healthOptions: { interval: -5 } }, [{ name: 'all', percent: 100 }], /interval/],
    ['a zero approval timeout', { approvalTimeout: 0 }, [{ name: 'all', percent: 100 }], /approvalTimeout/],
    ['an invalid window', { windows: [{ name: 'w', kind: 'freeze' } as WindowSpec] }, [{ name: 'all', percent: 100 }], /windows\[0\]/],
    ['promoteAttempts 0', { promoteAttempts: 0 }, [{ name: 'all', percent: 100 }], /promoteAttempts/],
  ];
  for (const [name, overrides, stages, message] of cases) {
    it(name, async () => {
      const { options, calls, journal } = setup(targets, stages, overrides);
      await expect(runRollout(options)).rejects.toMatchObject({ code: 'E_OPTIONS_INVALID', message: expect.stringMatching(message) });
      expect(calls).toEqual([]);
      expect(journal.records).toEqual([]);
    });
  }

  it('a ConfigDoc as proposed/lkg is unwrapped: hooks get its value', async () => {
    const seen: unknown[] = [];
    const { options } = setup(fleet(1), [{ name: 'all', percent: 100 }], {
      proposed: loadConfig('{"v": 2}', { format: 'json' }),
      lkg: loadConfig('{"v": 1}', { format: 'json' }),
      apply: (_t, ctx) => void seen.push(ctx.config),
      rollback: (_t, ctx) => void seen.push(ctx.config),
      health: () => false,
    });
    await runRollout(options);
    expect(seen).toEqual([{ v: 2 }, { v: 1 }]);
  });
});

describe('no split brain', () => {
  it('abort while applies run (ignoring their signal): each target is rolled back only after its apply settled', async () => {
    const ac = new AbortController();
    const timeline: string[] = [];
    const { options } = setup(fleet(4), [{ name: 'all', percent: 100 }], {
      signal: ac.signal,
      applyTimeout: 2_000,
      apply: async (t) => {
        timeline.push(`apply-start:${t.id}`);
        if (timeline.length === 4) setTimeout(() => ac.abort(new Error('stop')), 5);
        await sleep(60 + Number(t.id.slice(1)) * 10); // ignores ctx.signal
        timeline.push(`apply-end:${t.id}`);
      },
      rollback: (t) => void timeline.push(`rollback:${t.id}`),
    });
    const res = await runRollout(options);
    expect(res.status).toBe('aborted');
    for (const t of ['t0', 't1', 't2', 't3']) {
      expect(timeline.indexOf(`apply-end:${t}`)).toBeLessThan(timeline.indexOf(`rollback:${t}`));
      expect(res.targets[t]!.status).toBe('rolled-back');
    }
  });

  it('ctx.generation increases with every apply and rollback call of a target', async () => {
    const gens: Array<[string, string, number]> = [];
    const { options } = setup(fleet(2), [{ name: 'all', percent: 100 }], {
      // `generation` is a required number in the types: no `?? 0` needed, and every call gets one
      apply: (t, ctx) => void gens.push(['apply', t.id, ctx.generation]),
      rollback: (t, ctx) => void gens.push(['rollback', t.id, ctx.generation]),
      verify: (t, ctx) => void gens.push(['verify', t.id, ctx.generation]),
      health: (t, ctx) => {
        gens.push(['health', t.id, ctx.generation]);
        return false;
      },
    });
    await runRollout(options);
    expect(gens.every((g) => typeof g[2] === 'number' && Number.isInteger(g[2]))).toBe(true);
    // @ts-expect-error a hand-built context without `generation` does not type-check
    const partial: HookContext = { config: {}, lkg: {}, changes: [], stage: options.plan.waves[0]!, attempt: 1, signal: new AbortController().signal, rolloutId: 'r' };
    void partial;
    for (const id of ['t0', 't1']) {
      const mine = gens.filter((g) => g[1] === id);
      expect(mine.find((g) => g[0] === 'apply')![2]).toBe(1);
      expect(mine.find((g) => g[0] === 'health')![2]).toBe(1);
      expect(mine.find((g) => g[0] === 'rollback')![2]).toBe(2);
      expect(mine.find((g) => g[0] === 'verify')![2]).toBe(2);
    }
  });

  it('verify runs after each rollback; a failed verify makes the target rollback-failed (phase verify)', async () => {
    const verified: string[] = [];
    const { options } = setup(fleet(2), [{ name: 'all', percent: 100 }], {
      health: () => false,
      verify: (t, ctx: HookContext) => {
        verified.push(`${t.id}:${JSON.stringify(ctx.config)}`);
        if (t.id === 't1') throw new Error('still serving v2');
      },
    });
    const res = await runRollout(options);
    expect(verified.sort()).toEqual(['t0:{"v":1}', 't1:{"v":1}']);
    expect(res.status).toBe('failed');
    expect(res.targets.t0!.status).toBe('rolled-back');
    expect(res.targets.t1).toMatchObject({ status: 'rollback-failed', error: expect.stringMatching(/verify after rollback failed: still serving v2/) });
    expect(res.errors.some((e) => (e as { phase?: string }).phase === 'verify')).toBe(true);
  });
});

describe('health is watched while the rollout waits', () => {
  it('a canary that dies during an approval wait is caught before the next stage is pushed', async () => {
    let dead = false;
    const { options, calls } = setup(fleet(4), [{ name: 'canary', count: 1 }, { name: 'all', percent: 100, approval: true }], {
      health: (t) => !(dead && t.id === 't0'),
      approval: async () => {
        await sleep(40);
        dead = true;
        await sleep(2_000); // still thinking when the canary dies
        return true;
      },
    });
    const res = await runRollout(options);
    expect(res.status).toBe('rolled-back');
    expect(res.reason).toMatch(/while waiting for approval/);
    expect(calls.filter((c) => c.startsWith('apply'))).toEqual(['apply:t0']);
  });

  it('approval expiry (approvalTimeout) is a denial (onApprovalDenied: rollback rolls back)', async () => {
    const { options, calls } = setup(fleet(2), [{ name: 'canary', count: 1 }, { name: 'all', percent: 100, approval: true }], {
      approvalTimeout: 30,
      onApprovalDenied: 'rollback',
      approval: () => new Promise<boolean>(() => undefined),
    });
    const res = await runRollout(options);
    expect(res.status).toBe('rolled-back');
    expect(res.stages[1]!.status).toBe('denied');
    expect(res.reason).toMatch(/approvalTimeout/);
    expect(calls).toEqual(['apply:t0', 'rollback:t0']);
  });
});

describe('operator commands through the journal', () => {
  it('pause holds the rollout; continue releases it; the commands are journaled with who and why', async () => {
    const { options, events, journal } = setup(fleet(4), [{ name: 'canary', count: 1, bake: 1_500 }, { name: 'all', percent: 100 }]);
    const run = runRollout(options);
    await when(events, (e) => e.type === 'stage.started');
    await journal.postCommand(command('pause', 'checking dashboards'));
    await when(events, (e) => e.type === 'rollout.held');
    await journal.postCommand(command('continue', 'dashboards fine'));
    const res = await run;
    expect(res.status).toBe('completed');
    const cmds = journal.records.filter((r) => r.type === 'command');
    expect(cmds).toMatchObject([
      { command: 'pause', user: 'alice', host: 'ops-1', reason: 'checking dashboards', action: 'applied' },
      { command: 'continue', reason: 'dashboards fine', action: 'applied' },
    ]);
    expect(journal.records.some((r) => r.type === 'hold' && r.kind === 'operator')).toBe(true);
    expect(journal.records.some((r) => r.type === 'release' && r.by === 'operator')).toBe(true);
  });

  it('promote skips the remaining bakes; abort rolls back (status aborted, naming the operator)', async () => {
    const a = setup(fleet(4), [{ name: 'canary', count: 1, bake: '1h' }, { name: 'all', percent: 100, bake: '1h' }]);
    const run = runRollout(a.options);
    await when(a.events, (e) => e.type === 'stage.started');
    await a.journal.postCommand(command('promote'));
    expect((await run).status).toBe('completed'); // would take two hours otherwise

    const b = setup(fleet(4), [{ name: 'canary', count: 1, bake: '1h' }, { name: 'all', percent: 100 }]);
    const run2 = runRollout(b.options);
    await when(b.events, (e) => e.type === 'stage.started');
    await b.journal.postCommand(command('abort', 'wrong config'));
    const res = await run2;
    expect(res.status).toBe('aborted');
    expect(res.reason).toMatch(/aborted by operator alice@ops-1 \(wrong config\)/);
    expect(b.calls).toEqual(['apply:t0', 'rollback:t0']);
  });

  it('commands for another rollout, and commands posted before the rollout started, are ignored', async () => {
    const { options, journal, calls, events } = setup(fleet(2), [{ name: 'all', percent: 100, bake: 1_000 }], { id: 'r-1' });
    await journal.postCommand(command('abort')); // stale: posted before this rollout
    const run = runRollout(options);
    await when(events, (e) => e.type === 'stage.started');
    await journal.postCommand({ ...command('abort'), rolloutId: 'r-other' });
    const res = await run;
    expect(res.status).toBe('completed');
    expect(calls.filter((c) => c.startsWith('rollback'))).toEqual([]);
    expect(journal.records.filter((r) => r.type === 'command')).toMatchObject([{ command: 'abort', action: 'ignored' }]);
  });
});

describe('windows at run time', () => {
  const base = Date.parse('2026-01-05T10:00:00Z');
  it('a maintenance window that opens between stages defers its targets; `incomplete` lists them', async () => {
    let clock = base;
    const windows: WindowSpec[] = [
      { name: 'b maintenance', kind: 'maintenance', targets: { region: 'b' }, start: '2026-01-05T11:00:00Z', end: '2026-01-05T13:00:00Z' },
    ];
    const { options, calls, events } = setup(fleet(4), [{ name: 'canary', count: 1 }, { name: 'all', percent: 100 }], {
      windows,
      now: () => new Date(clock),
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'stage.passed' && e.stage === 0) clock = base + 90 * 60_000; // the window opened meanwhile
      },
    });
    const res = await runRollout(options);
    expect(res.status).toBe('incomplete');
    expect(calls.filter((c) => c.startsWith('apply')).sort()).toEqual(['apply:t0', 'apply:t2']);
    expect(res.remaining!.map((r) => r.targetId).sort()).toEqual(['t1', 't3']);
    expect(res.remaining![0]!.reason).toMatch(/under maintenance \("b maintenance"\)/);
    expect(res.targets.t1).toMatchObject({ status: 'skipped' });
    expect(events.filter((e) => e.type === 'target.deferred')).toHaveLength(2);
  });

  it('a freeze that starts mid-bake holds the next stage until it ends; nothing is pushed inside it', async () => {
    let clock = base;
    const windows: WindowSpec[] = [{ name: 'holiday freeze', kind: 'freeze', start: '2026-01-05T10:30:00Z', end: '2026-01-05T11:00:00Z' }];
    const applyTimes: number[] = [];
    const { options, events } = setup(fleet(3), [{ name: 'canary', count: 1, bake: 20 }, { name: 'all', percent: 100 }], {
      windows,
      now: () => new Date(clock),
      apply: () => void applyTimes.push(clock),
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'stage.baked' && e.stage === 0) clock = base + 40 * 60_000; // frozen now
        if (e.type === 'rollout.held') setTimeout(() => (clock = base + 61 * 60_000), 40); // the freeze ends
      },
    });
    const res = await runRollout(options);
    expect(res.status).toBe('completed');
    expect(events.some((e) => e.type === 'rollout.held' && e.kind === 'freeze' && /holiday freeze/.test(e.reason))).toBe(true);
    expect(events.some((e) => e.type === 'rollout.released' && e.by === 'window')).toBe(true);
    for (const t of applyTimes) expect(t < base + 30 * 60_000 || t >= base + 60 * 60_000).toBe(true);
  });
});

describe('promote', () => {
  it('a promote that fails then succeeds is retried with backoff; nothing is rolled back', async () => {
    let n = 0;
    const { options, calls, events } = setup(fleet(2), [{ name: 'all', percent: 100 }], {
      promoteBackoff: 5,
      promote: () => {
        if (++n < 3) throw new Error('registry 503');
      },
    });
    const res = await runRollout(options);
    expect(res.status).toBe('completed');
    expect(n).toBe(3);
    expect(events.filter((e) => e.type === 'promote.failed')).toHaveLength(2);
    expect(calls.filter((c) => c.startsWith('rollback'))).toEqual([]);
  });
});

describe('resume --forward', () => {
  it('a held rollout whose process exited continues: health re-checked, then the remaining stages and promote', async () => {
    const journal = new MemoryJournal();
    const targets = fleet(4);
    const stages = [{ name: 'canary', count: 1 }, { name: 'all', percent: 100 }];
    let inconclusive = true;
    const calls: string[] = [];
    const first = await runRollout({
      plan: planRollout({ targets, stages }),
      proposed: { v: 2 },
      lkg: { v: 1 },
      apply: (t) => void calls.push(`apply:${t.id}`),
      rollback: (t) => void calls.push(`rollback:${t.id}`),
      health: () => (inconclusive ? { healthy: false, inconclusive: true } : true),
      healthOptions: { interval: 5, timeout: 200 },
      holdTimeout: 30,
      journal,
    });
    expect(first.status).toBe('held');
    inconclusive = false;
    let promoted = 0;
    const checked: string[] = [];
    const res = await resumeRollout(journal, {
      forward: true,
      apply: (t) => void calls.push(`apply:${t.id}`),
      rollback: (t) => void calls.push(`rollback:${t.id}`),
      health: (t) => {
        checked.push(t.id);
        return true;
      },
      promote: () => void promoted++,
      healthOptions: { interval: 5, timeout: 200 },
    });
    expect(res.status).toBe('completed');
    expect(res.resumed).toBe(true);
    expect(checked[0]).toBe('t0'); // the re-check of the changed target comes first
    expect(calls.filter((c) => c.startsWith('apply')).sort()).toEqual(['apply:t0', 'apply:t1', 'apply:t2', 'apply:t3']);
    expect(calls.filter((c) => c.startsWith('rollback'))).toEqual([]);
    expect(promoted).toBe(1);
    expect(res.stages.map((s) => s.status)).toEqual(['passed', 'passed']);
  });

  it('by default a resume still rolls back', async () => {
    const journal = new MemoryJournal();
    await runRollout({
      ...setup(fleet(2), [{ name: 'canary', count: 1 }, { name: 'all', percent: 100 }]).options,
      journal,
      health: () => ({ healthy: true, inconclusive: true }),
      holdTimeout: 20,
    });
    const rolled: string[] = [];
    const res = await resumeRollout(journal, { rollback: (t) => void rolled.push(t.id) });
    expect(res.status).toBe('rolled-back');
    expect(rolled).toEqual(['t0']);
  });
});
