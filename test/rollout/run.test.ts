import { describe, expect, it } from 'vitest';
import { ConfgateError, OptionsError } from '../../src/errors.js';
import { MemoryJournal, planRollout, resumeRollout, runRollout } from '../../src/rollout/index.js';
import type { HookContext, RolloutEvent, RunOptions } from '../../src/rollout/index.js';
import type { Target } from '../../src/types.js';

function fleet(n: number): Target[] {
  return Array.from({ length: n }, (_, i) => ({ id: `t${String(i).padStart(5, '0')}`, labels: { region: ['a', 'b'][i % 2]! } }));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function base(targets: Target[], overrides: Partial<RunOptions> = {}, stages = [{ name: 'canary', count: 2 }, { name: 'all', percent: 100 }]) {
  const calls: string[] = [];
  const events: RolloutEvent[] = [];
  const plan = planRollout({ targets, stages });
  const options: RunOptions = {
    plan,
    proposed: { v: 2 },
    lkg: { v: 1 },
    apply: (t) => {
      calls.push(`apply:${t.id}`);
    },
    rollback: (t) => {
      calls.push(`rollback:${t.id}`);
    },
    health: () => true,
    onEvent: (e) => events.push(e),
    healthOptions: { interval: 5, timeout: 200 },
    ...overrides,
  };
  return { calls, events, options, plan };
}

describe('runRollout: happy path', () => {
  it('applies every wave, passes hook context, promotes once after the last bake', async () => {
    const targets = fleet(6);
    const seen: HookContext[] = [];
    const order: string[] = [];
    const { options, events } = base(targets, {
      apply: (t, ctx) => {
        seen.push(ctx);
        order.push(`apply:${t.id}`);
      },
      promote: () => {
        order.push('promote');
      },
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'stage.baked') order.push(`baked:${e.name}`);
      },
    }, [{ name: 'canary', count: 2, bake: 20 }, { name: 'all', percent: 100, bake: 20 }] as never);
    const res = await runRollout(options);
    expect(res.status).toBe('completed');
    expect(res.reason).toBeUndefined();
    expect(Object.values(res.targets).every((s) => s.status === 'healthy')).toBe(true);
    expect(res.stages.map((s) => s.status)).toEqual(['passed', 'passed']);
    expect(seen[0]).toMatchObject({ config: { v: 2 }, lkg: { v: 1 }, attempt: 1, stage: { name: 'canary' } });
    expect(seen[0]!.signal).toBeInstanceOf(AbortSignal);
    // promote strictly after the last stage baked, exactly once
    expect(order.filter((o) => o === 'promote')).toHaveLength(1);
    expect(order.indexOf('promote')).toBeGreaterThan(order.indexOf('baked:all'));
    expect(order.indexOf('baked:canary')).toBeLessThan(order.findIndex((o) => o === 'apply:t00002' || o === 'apply:t00003'));
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('rollout.started');
    expect(types.at(-1)).toBe('rollout.finished');
    expect(types).toContain('health.result');
    expect(types).not.toContain('rollback.started');
  });

  it('10,000 targets, concurrency 256, zero bake, memory journal', async () => {
    const targets = fleet(10_000);
    const journal = new MemoryJournal();
    let applies = 0;
    const plan = planRollout({ targets, stages: [{ name: 'c', percent: 1 }, { name: 'e', percent: 10 }, { name: 'all', percent: 100 }] });
    const res = await runRollout({
      plan,
      proposed: {},
      lkg: {},
      apply: () => {
        applies++;
      },
      rollback: () => {
        throw new Error('no rollback expected');
      },
      health: () => ({ healthy: true }),
      concurrency: 256,
      journal,
    });
    expect(res.status).toBe('completed');
    expect(applies).toBe(10_000);
    expect(Object.keys(res.targets)).toHaveLength(10_000);
    // group commit: far fewer appends than targets
    const records = await journal.read();
    expect(records.at(-1)!.type).toBe('rollout.finished');
  });

  it('without a health hook emits a warning and still completes', async () => {
    const { options, events } = base(fleet(3), { health: undefined });
    const res = await runRollout(options);
    expect(res.status).toBe('completed');
    expect(events.some((e) => e.type === 'warning' && /no health hook/.test(e.message))).toBe(true);
  });

  it('onEvent exceptions never break the rollout', async () => {
    const { options } = base(fleet(3), {
      onEvent: () => {
        throw new Error('listener bug');
      },
    });
    expect((await runRollout(options)).status).toBe('completed');
  });

  it('validates options early, naming the field', async () => {
    const { options } = base(fleet(2));
    await expect(runRollout({ ...options, concurrency: 0 })).rejects.toThrow(/`concurrency` must be an integer >= 1, got 0/);
    await expect(runRollout({ ...options, applyTimeout: '5 minutes' })).rejects.toThrow(OptionsError);
    await expect(runRollout({ ...options, rollback: undefined as never })).rejects.toThrow(/`rollback` must be a function/);
  });
});

describe('runRollout: health gates', () => {
  it('catches a failure that appears late in the bake', async () => {
    let start = 0;
    const { options, calls } = base(fleet(4), {
      apply: (t) => {
        start ||= Date.now();
        calls.push(`apply:${t.id}`);
      },
      health: () => Date.now() - start < 60, // goes bad after 60 ms; bake is 100 ms
    }, [{ name: 'canary', count: 2, bake: 100 }, { name: 'all', percent: 100 }] as never);
    options.healthOptions = { interval: 20, timeout: 200 };
    const res = await runRollout(options);
    expect(res.status).toBe('rolled-back');
    expect(res.stages[0]).toMatchObject({ status: 'failed' });
    expect(res.reason).toMatch(/failed health checks exceed the limit of 0/);
    expect(calls.filter((c) => c.startsWith('apply'))).toHaveLength(2); // second wave never started
    expect(res.targets.t00002).toMatchObject({ status: 'skipped' });
    expect(res.targets.t00000).toMatchObject({ status: 'rolled-back' });
  });

  it('runs a health round at the end of the bake (failure right at the end)', async () => {
    const calls = new Map<string, number>();
    const { options } = base(fleet(2), {
      // healthy on the first check only; the interval is far longer than the bake, so only the
      // first round and the round at the end of the bake happen
      health: (t) => {
        calls.set(t.id, (calls.get(t.id) ?? 0) + 1);
        return calls.get(t.id) === 1;
      },
    }, [{ name: 'all', percent: 100, bake: 60 }] as never);
    options.healthOptions = { interval: 10_000, timeout: 500 };
    const res = await runRollout(options);
    expect(res.status).toBe('rolled-back');
    expect(res.stages[0]!.healthRounds).toBe(2);
  });

  it('zero bake still runs one health round', async () => {
    let rounds = 0;
    const { options } = base(fleet(1), { health: () => (rounds++, true) }, [{ name: 'all', percent: 100 }] as never);
    const res = await runRollout(options);
    expect(res.status).toBe('completed');
    expect(rounds).toBe(1);
  });

  it('health that throws is a failure, never a pass', async () => {
    const { options } = base(fleet(2), {
      health: () => {
        throw new Error('probe crashed');
      },
    });
    const res = await runRollout(options);
    expect(res.status).toBe('rolled-back');
    expect(res.reason).toMatch(/probe crashed/);
  });

  it('health that times out is a failure', async () => {
    const { options, events } = base(fleet(2), { health: () => new Promise(() => undefined) });
    options.healthOptions = { interval: 5, timeout: 30 };
    const res = await runRollout(options);
    expect(res.status).toBe('rolled-back');
    expect(res.reason).toMatch(/timed out/);
    expect(events.some((e) => e.type === 'health.result' && !e.healthy)).toBe(true);
  });

  it('unexpected health values and { healthy: false } fail; failureLimit tolerates failures', async () => {
    const a = base(fleet(2), { health: () => 'yes' as never });
    expect((await runRollout(a.options)).status).toBe('rolled-back');
    const b = base(fleet(2), { health: () => ({ healthy: false, message: 'p99 high' }) });
    const rb = await runRollout(b.options);
    expect(rb.reason).toMatch(/p99 high/);
    let n = 0;
    const c = base(fleet(1), { health: () => n++ !== 0 }, [{ name: 'all', percent: 100 }] as never);
    c.options.healthOptions = { interval: 5, timeout: 100, failureLimit: 1, successes: 2 };
    const rc = await runRollout(c.options);
    expect(rc.status).toBe('completed');
    expect(rc.stages[0]!.healthFailures).toBe(1);
    expect(rc.stages[0]!.healthRounds).toBe(3); // fail, pass, pass (2 consecutive successes)
  });

  it('judge (deprecated option): significant canary latency increase against the baseline fails the gate', async () => {
    const baseline = Array.from({ length: 6 }, (_, i) => ({ id: `b${i + 1}`, labels: {} }));
    const mk = (canaryLatency: number, n = 6, bake = 30) =>
      base(fleet(n), {
        health: (t) => ({ healthy: true, metrics: { latency: t.id.startsWith('b') ? 100 + Number(t.id.slice(1)) : canaryLatency + Number(t.id.slice(-1)) } }),
        judge: { baseline: baseline.slice(0, n), metrics: { latency: { direction: 'increase', alpha: 0.05, minSamples: 5 } } },
      }, [{ name: 'all', percent: 100, bake }] as never);
    const bad = mk(200);
    bad.options.healthOptions = { interval: 10, timeout: 100 };
    const res = await runRollout(bad.options);
    expect(res.status).toBe('rolled-back');
    expect(res.reason).toMatch(/metric "latency" degraded.*6 vs 6 targets.*p=.*\(exact\)/);
    const good = mk(100);
    good.options.healthOptions = { interval: 10, timeout: 100 };
    expect((await runRollout(good.options)).status).toBe('completed');
  });

  it('judge (deprecated option): one observation per target, so the verdict does not depend on how many rounds ran', async () => {
    // 3 canaries against 3 baselines: with samples pooled across rounds, a long bake made this "significant"; with one
    // observation per target it is 3 vs 3 whatever the number of rounds (below minSamples: not judged, a warning).
    for (const bake of [0, 200]) {
      const warnings: string[] = [];
      const c = base(fleet(3), {
        health: (t) => ({ healthy: true, metrics: { latency: t.id.startsWith('b') ? 100 + Number(t.id.slice(1)) : 200 + Number(t.id.slice(-1)) } }),
        judge: { baseline: [1, 2, 3].map((i) => ({ id: `b${i}`, labels: {} })), metrics: { latency: { direction: 'increase', minSamples: 3 } } },
        onEvent: (e) => void (e.type === 'warning' && warnings.push(e.message)),
      }, [{ name: 'all', percent: 100, bake }] as never);
      c.options.healthOptions = { interval: 10, timeout: 100 };
      const r = await runRollout(c.options);
      // 3 vs 3 can never reach p < 0.05 (smallest exact p = 1/20): a warning, not a verdict
      expect(r.status).toBe('completed');
      expect(warnings.join('\n')).toMatch(/too few observations to judge at alpha 0.05 \(smallest reachable p=0.0500\).*3 vs 3 targets/);
    }
  });
});

describe('runRollout: rollback', () => {
  it('apply error with budget 0 rolls back every changed target, newest first', async () => {
    const { options, calls } = base(fleet(6), {
      concurrency: 1,
      apply: (t) => {
        calls.push(`apply:${t.id}`);
        if (t.id === 't00003') throw new Error('disk full on t3');
      },
    });
    const res = await runRollout(options);
    expect(res.status).toBe('rolled-back');
    const applies = calls.filter((c) => c.startsWith('apply')).map((c) => c.slice(6));
    const rollbacks = calls.filter((c) => c.startsWith('rollback')).map((c) => c.slice(9));
    expect(rollbacks).toEqual([...applies].reverse());
    expect(applies).toContain('t00003');
    expect(res.targets.t00003).toMatchObject({ status: 'rolled-back', error: 'disk full on t3' });
    for (const id of ['t00004', 't00005']) {
      if (!applies.includes(id)) expect(res.targets[id]).toMatchObject({ status: 'skipped' });
    }
    expect(res.stages[1]).toMatchObject({ status: 'failed', applyFailures: 1 });
    expect(res.errors).toHaveLength(1);
  });

  it('apply failures within the budget are rolled back at once; the rollout ends `incomplete`, listing them', async () => {
    const { options } = base(fleet(4), {
      failureBudget: 1,
      apply: (t) => {
        if (t.id === 't00001') throw new Error('flaky');
      },
    });
    const res = await runRollout(options);
    expect(res.status).toBe('incomplete'); // `completed` means every planned target got the config
    expect(res.targets.t00001).toMatchObject({ status: 'rolled-back', error: 'flaky' });
    expect(res.targets.t00000!.status).toBe('healthy');
    expect(res.remaining).toEqual([{ targetId: 't00001', reason: 'rolled back after: flaky' }]);
  });

  it('an apply that hangs past applyTimeout and never settles is `apply-timed-out` (a person must check), signal aborted', async () => {
    let aborted = false;
    const { options } = base(fleet(2), {
      applyTimeout: 30,
      settleTimeout: 30,
      apply: (_t, ctx) =>
        new Promise<void>((resolve) => {
          ctx.signal.addEventListener('abort', () => {
            aborted = true;
          });
          void resolve; // never resolves
        }),
    });
    const res = await runRollout(options);
    expect(res.status).toBe('failed');
    expect(aborted).toBe(true);
    expect(res.reason).toMatch(/timed out/);
    // both applies hung: neither is reported rolled back, because either may still land
    for (const id of ['t00000', 't00001']) expect(res.targets[id]).toMatchObject({ status: 'apply-timed-out', error: expect.stringMatching(/a person must check/) });
  });

  it('rollback errors are collected (AggregateError) and status is `failed`', async () => {
    const { options, calls } = base(fleet(4), {
      health: (t) => t.id !== 't00003',
      rollback: (t) => {
        calls.push(`rollback:${t.id}`);
        if (t.id === 't00001' || t.id === 't00002') throw new Error(`cannot reach ${t.id}`);
      },
    });
    const res = await runRollout(options);
    expect(res.status).toBe('failed');
    expect(calls.filter((c) => c.startsWith('rollback'))).toHaveLength(4); // one failure did not stop the others
    expect(res.targets.t00001).toMatchObject({ status: 'rollback-failed', error: 'cannot reach t00001' });
    expect(res.targets.t00000!.status).toBe('rolled-back');
    expect(res.error).toBeInstanceOf(AggregateError);
    const rollbackErrors = res.errors.filter((e) => (e as { phase?: string }).phase === 'rollback');
    expect(rollbackErrors).toHaveLength(2);
    expect((rollbackErrors[0] as Error).cause).toBeInstanceOf(Error);
    // never unknown
    for (const s of Object.values(res.targets)) expect(['rolled-back', 'rollback-failed', 'skipped']).toContain(s.status);
  });

  it('abort mid-bake wakes the sleep, rolls back and ends `aborted`', async () => {
    const ac = new AbortController();
    const { options, calls } = base(fleet(4), {
      signal: ac.signal,
      onEvent: (e) => {
        if (e.type === 'stage.started' && e.stage === 0) setTimeout(() => ac.abort(new Error('operator pressed stop')), 30);
      },
    }, [{ name: 'canary', count: 2, bake: '1h' }, { name: 'all', percent: 100 }] as never);
    options.healthOptions = { interval: '10m', timeout: 100 };
    const res = await runRollout(options); // would take an hour if the abort did not wake the bake
    expect(res.status).toBe('aborted');
    expect(res.reason).toMatch(/operator pressed stop/);
    expect(calls.filter((c) => c.startsWith('rollback'))).toHaveLength(2);
    expect(res.stages[0]!.status).toBe('aborted');
  });

  it('approval denied rolls back (onApprovalDenied: rollback); a missing approval hook is rejected before anything is applied', async () => {
    const asked: string[] = [];
    const { options, calls } = base(fleet(4), {
      onApprovalDenied: 'rollback',
      approval: (stage) => {
        asked.push(stage.name);
        return false;
      },
    }, [{ name: 'canary', count: 2 }, { name: 'all', percent: 100, approval: true }] as never);
    const res = await runRollout(options);
    expect(res.status).toBe('rolled-back');
    expect(asked).toEqual(['all']);
    expect(res.stages[1]!.status).toBe('denied');
    expect(calls.filter((c) => c.startsWith('rollback')).sort()).toEqual(['rollback:t00000', 'rollback:t00001']);
    const noHook = base(fleet(2), { approval: undefined }, [{ name: 'canary', count: 1 }, { name: 'all', percent: 100, approval: true }] as never);
    await expect(runRollout(noHook.options)).rejects.toMatchObject({ code: 'E_OPTIONS_INVALID', message: expect.stringMatching(/"all" needs approval/) });
    expect(noHook.calls).toEqual([]);
  });

  it('promote is not called when a stage fails; a promote that keeps failing holds (never rolls back a healthy fleet)', async () => {
    let promoted = 0;
    const a = base(fleet(2), { health: () => false, promote: () => void promoted++ });
    await runRollout(a.options);
    expect(promoted).toBe(0);
    let tries = 0;
    const b = base(fleet(2), {
      promoteAttempts: 3,
      promoteBackoff: 1,
      holdTimeout: 50,
      promote: () => {
        tries++;
        throw new Error('LKG store down');
      },
    });
    const rb = await runRollout(b.options);
    expect(rb.status).toBe('held');
    expect(tries).toBe(3);
    expect(rb.reason).toMatch(/LKG store down/);
    expect(b.calls.filter((c) => c.startsWith('rollback'))).toEqual([]);
    expect(Object.values(rb.targets).every((t) => t.status === 'healthy')).toBe(true);
  });
});

describe('runRollout: journal', () => {
  it('journals a transition before the effect: applying is durable before apply runs', async () => {
    const journal = new MemoryJournal();
    const { options } = base(fleet(3), {
      journal,
      apply: (t) => {
        const rec = journal.records.find((r) => r.type === 'target' && r.targetId === t.id && r.state.status === 'applying');
        expect(rec).toBeDefined();
      },
      rollback: (t) => {
        const rec = journal.records.find((r) => r.type === 'target' && r.targetId === t.id && r.state.status === 'rolling-back');
        expect(rec).toBeDefined();
      },
      health: () => false,
    });
    const res = await runRollout(options);
    expect(res.status).toBe('rolled-back');
    expect(res.errors).toEqual([]);
    const first = journal.records[0]!;
    expect(first).toMatchObject({ type: 'rollout.started', proposed: { v: 2 }, lkg: { v: 1 } });
    // finished rollout: resume returns the stored result
    const again = await resumeRollout(journal, { rollback: () => { throw new Error('must not run'); } });
    expect(again.status).toBe('rolled-back');
    expect(again.targets).toEqual(JSON.parse(JSON.stringify(res.targets)));
  });

  it('a journal that fails mid-run stops before acting and rolls back what changed', async () => {
    const inner = new MemoryJournal();
    let appends = 0;
    const journal = {
      lock: () => inner.lock(),
      unlock: () => inner.unlock(),
      read: () => inner.read(),
      append: async (r: Parameters<MemoryJournal['append']>[0]) => {
        appends++;
        if (appends >= 6) throw new ConfgateError('E_JOURNAL', 'ENOSPC: no space left on device');
        return inner.append(r);
      },
    };
    const { options, calls } = base(fleet(4), { journal });
    const res = await runRollout(options);
    expect(res.status).not.toBe('completed');
    expect(res.errors.some((e) => (e as { code?: string }).code === 'E_JOURNAL')).toBe(true);
    const applied = calls.filter((c) => c.startsWith('apply')).map((c) => c.slice(6));
    const rolled = calls.filter((c) => c.startsWith('rollback')).map((c) => c.slice(9));
    expect(rolled.sort()).toEqual(applied.sort());
    // nothing was applied without its applying record
    for (const id of applied) expect(inner.records.some((r) => r.type === 'target' && r.targetId === id && r.state.status === 'applying')).toBe(true);
  });

  it('refuses to start over an unfinished rollout, and a second rollout on a locked journal', async () => {
    const journal = new MemoryJournal();
    await journal.append([{ type: 'rollout.started', v: 1, id: 'old', ts: '', plan: planRollout({ targets: fleet(1), stages: [{ name: 'a', percent: 100 }] }), proposed: 1, lkg: 0, changes: [] }]);
    const { options } = base(fleet(2), { journal });
    await expect(runRollout(options)).rejects.toMatchObject({ code: 'E_JOURNAL_UNFINISHED' });
    const j2 = new MemoryJournal();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const first = runRollout({ ...base(fleet(1)).options, journal: j2, apply: () => gate });
    await sleep(10);
    await expect(runRollout({ ...base(fleet(1)).options, journal: j2 })).rejects.toMatchObject({ code: 'E_ROLLOUT_LOCKED' });
    release();
    expect((await first).status).toBe('completed');
  });
});
