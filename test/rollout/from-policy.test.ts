/** `rolloutOptionsFromPolicy`: what the CLI does with the policy's health block, for library callers. */
import { describe, expect, it } from 'vitest';
import { MemoryJournal, planRollout, resolvePolicy, rolloutOptionsFromPolicy, runRollout } from '../../src/index.js';
import type { HealthOptions, RolloutEvent, Target } from '../../src/index.js';

describe('rolloutOptionsFromPolicy', () => {
  it('turns the resolved rollout.health block into runRollout healthOptions', () => {
    const policy = resolvePolicy({ version: 1, rollout: { health: { interval: '20ms', timeout: '2s', failureLimit: 2, successes: 3 } } });
    expect(rolloutOptionsFromPolicy(policy)).toEqual({ healthOptions: { interval: 20, timeout: 2000, failureLimit: 2, successes: 3 }, windows: [] });
    expect(rolloutOptionsFromPolicy(resolvePolicy({ version: 1 }))).toEqual({ healthOptions: { interval: 30_000, timeout: 10_000, failureLimit: 0, successes: 1 }, windows: [] });
    const freeze = { name: 'weekend', kind: 'freeze' as const, start: '2025-01-04T00:00:00Z', end: '2025-01-06T00:00:00Z' };
    expect(rolloutOptionsFromPolicy(resolvePolicy({ version: 1, windows: [freeze] })).windows).toMatchObject([freeze]);
  });

  it('rollout.onApprovalDenied: given only when the policy sets it; other values are a policy error', () => {
    expect(rolloutOptionsFromPolicy(resolvePolicy({ version: 1, rollout: { onApprovalDenied: 'rollback' } })).onApprovalDenied).toBe('rollback');
    expect('onApprovalDenied' in rolloutOptionsFromPolicy(resolvePolicy({ version: 1 }))).toBe(false);
    expect(() => resolvePolicy({ version: 1, rollout: { onApprovalDenied: 'later' } } as never)).toThrow(/onApprovalDenied/);
  });

  it("the resolved block is not a HealthOptions (a compile error), and the converted one is honoured by runRollout", async () => {
    const policy = resolvePolicy({ version: 1, rollout: { health: { interval: '10ms', successes: 2 } } });
    // @ts-expect-error the resolved policy's health block (`intervalMs`...) must not type-check as HealthOptions
    const wrong: HealthOptions = policy.rollout.health;
    void wrong;
    const targets: Target[] = [{ id: 'a', labels: {} }];
    const events: RolloutEvent[] = [];
    const result = await runRollout({
      ...rolloutOptionsFromPolicy(policy),
      plan: planRollout({ targets, stages: [{ name: 'all', percent: 100, bake: '1s' }] }),
      proposed: { v: 2 },
      lkg: { v: 1 },
      apply: () => undefined,
      rollback: () => undefined,
      health: () => true,
      journal: new MemoryJournal(),
      onEvent: (e) => void events.push(e),
    });
    expect(result.status).toBe('completed');
    // a 10ms interval over a 1s bake: many rounds (the 30s default would give one)
    const baked = events.find((e) => e.type === 'stage.baked');
    expect(baked && baked.type === 'stage.baked' ? baked.rounds : 0).toBeGreaterThanOrEqual(2);
    expect(events.filter((e) => e.type === 'warning')).toEqual([]);
  });
});
