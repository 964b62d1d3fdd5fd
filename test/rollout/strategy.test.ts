/** Stage generators: `rollout.strategy` (linear / exponential, AWS AppConfig-like) expands into cumulative stages. */
import { describe, expect, it } from 'vitest';
import { createGate, expandStrategy, OptionsError, planRollout, PolicyError, resolvePolicy } from '../../src/index.js';
import type { Target } from '../../src/index.js';

const percents = (s: ReturnType<typeof expandStrategy>) => s.map((x) => x.percent);

describe('expandStrategy', () => {
  it('linear: 10 % steps give 10, 20, ... 100, named by percent, each with the bake', () => {
    const stages = expandStrategy({ linear: { step: '10%' }, bake: '10m' });
    expect(percents(stages)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(stages[0]).toEqual({ name: '10%', percent: 10, bake: '10m' });
    expect(stages.at(-1)).toEqual({ name: '100%', percent: 100, bake: '10m' });
  });

  it('linear: a last step past 100 stops at 100; float noise is rounded away', () => {
    expect(percents(expandStrategy({ linear: { step: 30 } }))).toEqual([30, 60, 90, 100]);
    expect(percents(expandStrategy({ linear: { step: '33.3%' } }))).toEqual([33.3, 66.6, 99.9, 100]);
    // 3 * 1.1 is 3.3000000000000003 in floating point
    expect(percents(expandStrategy({ linear: { step: '1.1 %' } })).slice(0, 3)).toEqual([1.1, 2.2, 3.3]);
    expect(percents(expandStrategy({ linear: { step: '100%' } }))).toEqual([100]);
  });

  it('exponential: from 1 % by a factor of 2 gives 1, 2, 4, ... 64, 100', () => {
    expect(percents(expandStrategy({ exponential: { from: '1%', factor: 2 } }))).toEqual([1, 2, 4, 8, 16, 32, 64, 100]);
    expect(percents(expandStrategy({ exponential: { from: '0.5%', factor: 3 } }))).toEqual([0.5, 1.5, 4.5, 13.5, 40.5, 100]);
    expect(expandStrategy({ exponential: { from: 5, factor: 10 } }).map((s) => s.name)).toEqual(['5%', '50%', '100%']);
  });

  it('approval: every stage after the first asks', () => {
    const stages = expandStrategy({ exponential: { from: '10%', factor: 3 }, approval: true });
    expect(stages.map((s) => s.approval ?? false)).toEqual([false, true, true, true]);
  });

  it('rejects bad input with an OptionsError naming the field', () => {
    const bad: Array<[unknown, RegExp]> = [
      [{ linear: { step: 0 } }, /`strategy\.linear\.step` must be a percent greater than 0/],
      [{ linear: { step: '150%' } }, /at most 100/],
      [{ linear: { step: 'ten%' } }, /like `10%`, got "ten%"/],
      [{ linear: { step: '0.5%' } }, /more than 100 stages: use a larger `step`/],
      [{ exponential: { from: '1%', factor: 1 } }, /`strategy\.exponential\.factor` must be a number greater than 1, got 1/],
      [{ exponential: { from: '1%', factor: 1.01 } }, /more than 100 stages/],
      [{ exponential: { factor: 2 } }, /`strategy\.exponential\.from`/],
      [{ linear: { step: 10 }, exponential: { from: 1, factor: 2 } }, /exactly one of `linear` or `exponential`, got both/],
      [{ bake: '10m' }, /got none/],
      [{ linear: { step: 10 }, bake: '10 minutes' }, /bake/],
      [null, /must be an object/],
    ];
    for (const [input, why] of bad) {
      expect(() => expandStrategy(input as never)).toThrow(OptionsError);
      expect(() => expandStrategy(input as never)).toThrow(why);
    }
  });
});

const fleet: Target[] = Array.from({ length: 200 }, (_, i) => ({ id: `pop-${String(i).padStart(3, '0')}`, labels: { region: `r${i % 8}` } }));

describe('policy rollout.strategy', () => {
  it('resolves into stages that the gate plans', () => {
    const policy = resolvePolicy({ version: 1, rollout: { strategy: { exponential: { from: '1%', factor: 2 }, bake: '10m' }, failureDomain: 'region' } });
    expect(policy.rollout.stages.map((s) => s.name)).toEqual(['1%', '2%', '4%', '8%', '16%', '32%', '64%', '100%']);
    expect(policy.rollout.strategy).toEqual({ exponential: { from: '1%', factor: 2 }, bake: '10m' });
    const report = createGate(policy).evaluate({ proposed: { a: 2 }, current: { a: 1 }, targets: fleet, at: new Date('2025-01-01T00:00:00Z') });
    const sizes = report.plan!.waves.map((w) => w.targets.length);
    // cumulative 1 % of 200 = 2, 2 % = 4, 4 % = 8, ... 64 % = 128, 100 % = 200
    expect(sizes).toEqual([2, 2, 4, 8, 16, 32, 64, 72]);
    expect(report.plan!.waves.every((w) => w.bakeMs === 600_000)).toBe(true);
  });

  it('the same stages as writing them by hand', () => {
    const gen = resolvePolicy({ version: 1, rollout: { strategy: { linear: { step: '25%' }, bake: '5m' } } });
    const hand = resolvePolicy({
      version: 1,
      rollout: { stages: [25, 50, 75, 100].map((p) => ({ name: `${p}%`, percent: p, bake: '5m' })) },
    });
    const plan = (p: typeof gen) => planRollout({ targets: fleet, stages: p.rollout.stages });
    expect(plan(gen)).toEqual(plan(hand));
  });

  it('both strategy and stages, or a bad strategy, is a policy error at /rollout/strategy', () => {
    const both = () => resolvePolicy({ version: 1, rollout: { strategy: { linear: { step: 10 } }, stages: [{ name: 'all', percent: 100 }] } });
    expect(both).toThrow(PolicyError);
    expect(both).toThrow(/\/rollout\/strategy: `rollout\.strategy` and `rollout\.stages` cannot both be given/);
    for (const strategy of [{ linear: { step: 'ten%' } }, { exponential: { from: 1, factor: 1 } }, { linear: { step: 10 }, exponential: { from: 1, factor: 2 } }, { linear: { step: 10 }, size: 3 }, { linear: { step: 0.1 } }]) {
      const err = (() => {
        try {
          resolvePolicy({ version: 1, rollout: { strategy } });
        } catch (e) {
          return e as PolicyError;
        }
        return undefined;
      })();
      expect(err, JSON.stringify(strategy)).toBeInstanceOf(PolicyError);
      expect(err!.problems.join('\n')).toMatch(/\/rollout\/strategy/);
    }
  });
});
