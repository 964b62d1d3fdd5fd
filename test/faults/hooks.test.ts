/**
 * Fault injection on the caller's hooks (library level, `runRollout`): apply that throws, hangs or is not idempotent;
 * health that flaps, throws or hangs; rollback that fails. Every test checks what the engine did to the fleet
 * (which hooks ran, on which targets, in which order), not only the final status.
 */
import { describe, expect, it } from 'vitest';
import { RolloutError, runRollout } from '../../src/rollout/index.js';
import type { HookContext } from '../../src/rollout/index.js';
import { harness, tally } from './helpers.js';

describe('apply faults', () => {
  it('apply throws: the stage fails, every changed target (including the failed one) is rolled back newest first', async () => {
    const h = harness(6, {
      concurrency: 1,
      apply: (t) => {
        h.calls.push(`apply:${t.id}`);
        if (t.id === 't3') throw new Error('edge rejected config: bad field');
      },
    });
    const res = await runRollout(h.options);
    expect(res.status).toBe('rolled-back');
    expect(res.reason).toMatch(/apply failures exceed the failure budget of 0.*t3: edge rejected config/);
    const applied = h.of('apply');
    expect(applied).toContain('t3');
    // the failed target may be half-applied: it is rolled back too, and rollback order is the reverse of apply order
    expect(h.of('rollback')).toEqual([...applied].reverse());
    expect(res.targets.t3).toEqual({ status: 'rolled-back', stage: 1, error: 'edge rejected config: bad field' });
    // targets never attempted end skipped, never "unknown"
    for (const [id, s] of Object.entries(res.targets)) {
      expect(applied.includes(id) ? 'rolled-back' : 'skipped', id).toBe(s.status);
    }
    const err = res.errors[0] as RolloutError;
    expect(err).toBeInstanceOf(RolloutError);
    expect(err).toMatchObject({ phase: 'apply', targetId: 't3' });
    expect((err.cause as Error).message).toBe('edge rejected config: bad field');
  });

  it('apply hangs past applyTimeout: its signal is aborted, the target is rolled back but reported `apply-timed-out` while the apply may land', async () => {
    const signals = new Map<string, AbortSignal>();
    const h = harness(3, {
      applyTimeout: '40ms',
      settleTimeout: '20ms',
      apply: (t, ctx) => {
        h.calls.push(`apply:${t.id}`);
        signals.set(t.id, ctx.signal);
        if (t.id !== 't1') return;
        return new Promise<void>(() => undefined); // never settles, ignores its signal
      },
    });
    const res = await runRollout(h.options);
    expect(res.status).toBe('failed'); // a person must check t1: its apply never settled
    expect(signals.get('t1')!.aborted).toBe(true);
    expect((signals.get('t1')!.reason as Error).message).toMatch(/apply on t1 timed out after 40ms/);
    expect(signals.get('t0')!.aborted).toBe(false); // only the hung call's signal
    expect(res.targets.t1).toMatchObject({ status: 'apply-timed-out', error: expect.stringMatching(/still running .* a person must check/) });
    expect(res.targets.t0).toMatchObject({ status: 'rolled-back' });
    expect(h.of('rollback')).toContain('t1');
    expect(res.targets.t2).toMatchObject({ status: 'skipped' }); // the second wave never started
  });

  it('a non-idempotent apply is called exactly once per target in a run (no hidden retries)', async () => {
    // The hook "succeeds twice" if called twice: it appends the feature each time. The engine must not call it again
    // during health rounds, tolerated failures, later stages or rollback.
    const fleetState = new Map<string, string[]>();
    const h = harness(
      8,
      {
        failureBudget: 1,
        apply: (t, ctx: HookContext) => {
          h.calls.push(`apply:${t.id}`);
          fleetState.set(t.id, [...(fleetState.get(t.id) ?? []), `v${(ctx.config as { v: number }).v}`]);
          if (t.id === 't5') throw new Error('transient'); // tolerated (budget 1): restored, never re-applied
        },
        healthOptions: { interval: 5, timeout: 500, successes: 2 },
      },
      [
        { name: 'canary', count: 2, bake: 20 },
        { name: 'half', percent: 50, bake: 20 },
        { name: 'all', percent: 100 },
      ],
    );
    const res = await runRollout(h.options);
    expect(res.status).toBe('incomplete'); // t5 stays on the LKG
    expect(res.remaining).toEqual([{ targetId: 't5', reason: 'rolled back after: transient' }]);
    expect(tally(h.of('apply'))).toEqual(Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`t${i}`, 1])));
    for (const [id, applied] of fleetState) expect(applied, id).toEqual(['v2']);
    expect(h.of('rollback')).toEqual(['t5']); // only the tolerated failure, once
    expect(res.targets.t5).toMatchObject({ status: 'rolled-back', error: 'transient' });
    expect(h.events.filter((e) => e.type === 'target.applying')).toHaveLength(8);
  });

  it('a failing rollout calls apply once and rollback once per changed target', async () => {
    const h = harness(6, { health: (t) => t.id !== 't4' });
    const res = await runRollout(h.options);
    expect(res.status).toBe('rolled-back');
    expect(Object.values(tally(h.of('apply')))).toEqual([1, 1, 1, 1, 1, 1]);
    expect(tally(h.of('rollback'))).toEqual(tally(h.of('apply')));
  });
});

describe('health faults', () => {
  const flapping = () => {
    const n = new Map<string, number>();
    return (t: { id: string }) => {
      n.set(t.id, (n.get(t.id) ?? 0) + 1);
      return n.get(t.id)! % 2 === 0; // false, true, false, true...
    };
  };

  it('health that flaps fails the gate with failureLimit 0', async () => {
    const h = harness(2, { health: flapping(), healthOptions: { interval: 5, timeout: 500, failureLimit: 0 } }, [
      { name: 'all', percent: 100, bake: 30 },
    ]);
    const res = await runRollout(h.options);
    expect(res.status).toBe('rolled-back');
    expect(res.stages[0]).toMatchObject({ status: 'failed', healthFailures: 2, healthRounds: 1 });
    expect(h.of('rollback').sort()).toEqual(['t0', 't1']);
  });

  it('health that flaps passes with a tolerant failureLimit, ending on a healthy round', async () => {
    const results: boolean[] = [];
    const flap = flapping();
    const h = harness(
      2,
      {
        health: (t) => {
          const ok = flap(t);
          results.push(ok);
          return ok;
        },
        healthOptions: { interval: 5, timeout: 500, failureLimit: 1000 },
      },
      [{ name: 'all', percent: 100, bake: 30 }],
    );
    const res = await runRollout(h.options);
    expect(res.status).toBe('completed');
    expect(res.stages[0]!.healthFailures).toBeGreaterThanOrEqual(2);
    expect(res.stages[0]!.healthFailures).toBe(results.filter((r) => !r).length);
    expect(results.slice(-2)).toEqual([true, true]); // the stage only passes after a round where every target was healthy
    expect(h.of('rollback')).toEqual([]);
  });

  it('health that throws is a failure (with the message), never a pass', async () => {
    const h = harness(4, {
      health: (t) => {
        if (t.id === 't1') throw new TypeError("Cannot read properties of undefined (reading 'status')");
        return true;
      },
    });
    const res = await runRollout(h.options);
    expect(res.status).toBe('rolled-back');
    expect(res.reason).toMatch(/t1: Cannot read properties of undefined/);
    const bad = h.events.find((e) => e.type === 'health.result' && !e.healthy);
    expect(bad).toMatchObject({ targetId: 't1', error: expect.stringMatching(/Cannot read/) });
    expect(h.of('apply')).toEqual(['t0', 't1']);
  });

  it('health that hangs past its timeout fails, with the health call signal aborted', async () => {
    const signals: AbortSignal[] = [];
    const h = harness(2, {
      health: (_t, ctx) => {
        signals.push(ctx.signal);
        return new Promise<boolean>(() => undefined);
      },
      healthOptions: { interval: 5, timeout: 30 },
    });
    const res = await runRollout(h.options);
    expect(res.status).toBe('rolled-back');
    expect(res.reason).toMatch(/health check of t\d timed out after 30ms/);
    expect(signals.length).toBeGreaterThan(0);
    expect(signals.every((s) => s.aborted)).toBe(true);
    expect(h.of('rollback').sort()).toEqual(['t0', 't1']);
  });
});

describe('rollback faults', () => {
  it('a rollback that fails for one target does not stop the others: status failed, AggregateError with causes', async () => {
    const h = harness(6, {
      health: (t) => t.id !== 't5',
      rollback: (t) => {
        h.calls.push(`rollback:${t.id}`);
        if (t.id === 't2') throw new Error('t2 unreachable: connection refused');
      },
    });
    const res = await runRollout(h.options);
    expect(res.status).toBe('failed');
    expect(h.of('rollback').sort()).toEqual(['t0', 't1', 't2', 't3', 't4', 't5']);
    expect(res.targets.t2).toEqual({ status: 'rollback-failed', stage: 1, error: 't2 unreachable: connection refused' });
    for (const id of ['t0', 't1', 't3', 't4', 't5']) expect(res.targets[id]!.status, id).toBe('rolled-back');
    expect(res.error).toBeInstanceOf(AggregateError);
    const rollbackErrors = res.error!.errors.filter((e: RolloutError) => e.phase === 'rollback') as RolloutError[];
    expect(rollbackErrors).toHaveLength(1);
    expect(rollbackErrors[0]).toMatchObject({ targetId: 't2' });
    expect((rollbackErrors[0]!.cause as Error).message).toBe('t2 unreachable: connection refused');
  });

  it('a rollback that hangs past rollbackTimeout fails that target only', async () => {
    const h = harness(2, {
      health: () => false,
      rollbackTimeout: 30,
      rollback: (t) => {
        h.calls.push(`rollback:${t.id}`);
        return t.id === 't0' ? new Promise<void>(() => undefined) : undefined;
      },
    });
    const res = await runRollout(h.options);
    expect(res.status).toBe('failed');
    expect(res.targets.t0).toMatchObject({ status: 'rollback-failed', error: expect.stringMatching(/rollback of t0 timed out/) });
    expect(res.targets.t1!.status).toBe('rolled-back');
  });
});
