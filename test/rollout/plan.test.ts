import { describe, expect, it } from 'vitest';
import { planRollout } from '../../src/rollout/index.js';
import { OptionsError } from '../../src/errors.js';
import type { RolloutPlan, Target, WindowSpec } from '../../src/types.js';

function fleet(n: number, labels: (i: number) => Record<string, string> = () => ({})): Target[] {
  return Array.from({ length: n }, (_, i) => ({ id: `t${String(i).padStart(4, '0')}`, labels: labels(i) }));
}

/** Every target is in exactly one wave or excluded in notes. */
function accounted(plan: RolloutPlan, targets: Target[]): void {
  const inWaves = plan.waves.flatMap((w) => w.targets.map((t) => t.id));
  expect(new Set(inWaves).size).toBe(inWaves.length);
  const excluded = plan.notes.filter((n) => n.action === 'excluded').map((n) => n.targetId);
  expect([...inWaves, ...excluded].sort()).toEqual(targets.map((t) => t.id).sort());
}

describe('planRollout: stage sizes', () => {
  it('count stages are cumulative', () => {
    const targets = fleet(10);
    const plan = planRollout({ targets, stages: [{ name: 'a', count: 1 }, { name: 'b', count: 4 }, { name: 'c', count: 10 }] });
    expect(plan.waves.map((w) => w.targets.length)).toEqual([1, 3, 6]);
    expect(plan.waves.map((w) => w.index)).toEqual([0, 1, 2]);
    expect(plan.totalTargets).toBe(10);
    accounted(plan, targets);
  });

  it('percent stages round up and take at least one target', () => {
    const targets = fleet(250);
    const plan = planRollout({ targets, stages: [{ name: 'canary', percent: 0.1 }, { name: 'early', percent: 10 }, { name: 'all', percent: 100 }] });
    // 0.1% of 250 = 0.25 -> 1 ; 10% = 25 -> 24 more ; rest 225
    expect(plan.waves.map((w) => w.targets.length)).toEqual([1, 24, 225]);
    const p2 = planRollout({ targets: fleet(300), stages: [{ name: 'a', percent: 1 }, { name: 'b', percent: 100 }] });
    expect(p2.waves[0]!.targets).toHaveLength(3); // exactly 3, not 4 (float rounding)
  });

  it('is deterministic: targets sorted by id whatever the input order', () => {
    const targets = fleet(20);
    const a = planRollout({ targets, stages: [{ name: 'a', count: 3 }, { name: 'b', percent: 100 }] });
    const b = planRollout({ targets: [...targets].reverse(), stages: [{ name: 'a', count: 3 }, { name: 'b', percent: 100 }] });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(a.waves[0]!.targets.map((t) => t.id)).toEqual(['t0000', 't0001', 't0002']);
  });

  it('select stages take matching unplaced targets', () => {
    const targets = fleet(6, (i) => ({ env: i < 2 ? 'staging' : 'prod' }));
    const plan = planRollout({ targets, stages: [{ name: 'staging', select: { env: 'staging' } }, { name: 'prod', percent: 100 }] });
    expect(plan.waves[0]!.targets.map((t) => t.labels.env)).toEqual(['staging', 'staging']);
    expect(plan.waves[1]!.targets).toHaveLength(4);
    accounted(plan, targets);
  });

  it('stages that do not reach 100% exclude the rest with a reason and a warning', () => {
    const targets = fleet(10);
    const plan = planRollout({ targets, stages: [{ name: 'a', percent: 50 }] });
    expect(plan.waves[0]!.targets).toHaveLength(5);
    const excluded = plan.notes.filter((n) => n.action === 'excluded');
    expect(excluded).toHaveLength(5);
    expect(excluded[0]!.reason).toMatch(/not reached by any stage/);
    expect(plan.warnings.join('\n')).toMatch(/5 of 10 targets are not reached/);
    accounted(plan, targets);
  });

  it('bake and approval are carried; `at` is echoed as ISO', () => {
    const plan = planRollout({
      targets: fleet(3),
      stages: [{ name: 'a', count: 1, bake: '10m', approval: true }, { name: 'b', percent: 100, bake: 1500 }],
      at: '2025-11-18T10:00:00+01:00',
    });
    expect(plan.waves.map((w) => [w.bakeMs, w.approval])).toEqual([[600_000, true], [1500, false]]);
    expect(plan.at).toBe('2025-11-18T09:00:00.000Z');
    expect(planRollout({ targets: fleet(1), stages: [{ name: 'a', percent: 100 }] }).at).toBe('1970-01-01T00:00:00.000Z');
  });

  it('drops empty waves when a later wave exists', () => {
    const targets = fleet(4, () => ({ env: 'prod' }));
    const plan = planRollout({ targets, stages: [{ name: 'staging', select: { env: 'staging' } }, { name: 'all', percent: 100 }] });
    expect(plan.waves.map((w) => w.name)).toEqual(['all']);
    expect(plan.waves[0]!.index).toBe(0);
    expect(plan.warnings.join('\n')).toMatch(/"staging" has no targets and was dropped/);
  });

  it.each([
    [[{ name: 'a', count: 1 }, { name: 'b', percent: 150 }], /`stages\[1\]\.percent` must be between 0 and 100, got 150/],
    [[{ name: 'a', count: 0 }], /`stages\[0\]\.count` must be a positive integer/],
    [[{ name: 'a', count: 1, percent: 5 }], /`stages\[0\]` must have exactly one of/],
    [[{ name: 'a' }], /exactly one of .* got none/],
    [[{ name: 'a', percent: 5, bake: '10 minutes' }], /`stages\[0\]\.bake` must be a duration/],
    [[{ name: 'a', count: 1 }, { name: 'a', count: 2 }], /`stages\[1\]\.name` must be unique/],
    [[], /`stages` must be a non-empty list/],
  ])('rejects invalid stages %#', (stages, re) => {
    const call = () => planRollout({ targets: fleet(2), stages: stages as never });
    expect(call).toThrow(OptionsError);
    expect(call).toThrow(re);
    try {
      call();
    } catch (e) {
      expect((e as OptionsError).code).toBe('E_OPTIONS_INVALID');
    }
  });

  it('rejects duplicate target ids and windows without `at`', () => {
    expect(() => planRollout({ targets: [{ id: 'x', labels: {} }, { id: 'x', labels: {} }], stages: [{ name: 'a', percent: 100 }] })).toThrow(/`targets\[1\]\.id` must be unique/);
    const windows: WindowSpec[] = [{ name: 'm', kind: 'maintenance', start: '2025-01-01T00:00:00Z', end: '2025-01-02T00:00:00Z' }];
    expect(() => planRollout({ targets: fleet(2), stages: [{ name: 'a', percent: 100 }], windows })).toThrow(/`at` is required/);
  });
});

describe('planRollout: failure domains', () => {
  const regions = ['AMS', 'LAX', 'MIA', 'SCL'];

  it('spreads early waves across domains round-robin', () => {
    const targets = fleet(40, (i) => ({ region: regions[i % 4]! }));
    const plan = planRollout({ targets, stages: [{ name: 'canary', count: 4 }, { name: 'all', percent: 100 }], failureDomain: 'region' });
    expect(plan.waves[0]!.targets.map((t) => t.labels.region).sort()).toEqual(regions);
    expect(plan.failureDomain).toBe('region');
    accounted(plan, targets);
  });

  it('never puts a whole multi-target domain in a non-last wave', () => {
    // AMS has 10 targets, SCL only 2: a 50% wave would naturally hold both SCL targets
    const targets = [...fleet(10, () => ({ region: 'AMS' })), { id: 's1', labels: { region: 'SCL' } }, { id: 's2', labels: { region: 'SCL' } }];
    const plan = planRollout({ targets, stages: [{ name: 'half', percent: 50 }, { name: 'all', percent: 100 }], failureDomain: 'region' });
    const first = plan.waves[0]!.targets;
    expect(first).toHaveLength(6);
    expect(first.filter((t) => t.labels.region === 'SCL')).toHaveLength(1);
    const note = plan.notes.find((n) => n.targetId === 's2');
    expect(note).toMatchObject({ action: 'deferred', wave: 1 });
    expect(note!.reason).toMatch(/every target of region=SCL/);
    accounted(plan, targets);
  });

  it('invariant over many shapes: no early wave holds a whole domain of size > 1', () => {
    for (let n = 2; n < 30; n += 3) {
      for (const pct of [10, 34, 50, 75, 90]) {
        const targets = fleet(n, (i) => ({ region: regions[(i * 7) % Math.min(4, n)]! }));
        const plan = planRollout({ targets, stages: [{ name: 'a', percent: pct }, { name: 'b', percent: pct }, { name: 'c', percent: 100 }], failureDomain: 'region' });
        accounted(plan, targets);
        const size = new Map<string, number>();
        for (const t of targets) size.set(t.labels.region!, (size.get(t.labels.region!) ?? 0) + 1);
        for (const w of plan.waves.slice(0, -1)) {
          const count = new Map<string, number>();
          for (const t of w.targets) count.set(t.labels.region!, (count.get(t.labels.region!) ?? 0) + 1);
          for (const [d, c] of count) if (size.get(d)! > 1) expect(c, `n=${n} pct=${pct} wave ${w.name} domain ${d}`).toBeLessThan(size.get(d)!);
        }
      }
    }
  });
});

describe('planRollout: redundancy groups', () => {
  // two regions, each served by two DNS providers
  const targets: Target[] = [
    { id: 'ams-ns1', labels: { region: 'AMS', provider: 'ns1' } },
    { id: 'ams-r53', labels: { region: 'AMS', provider: 'route53' } },
    { id: 'lax-ns1', labels: { region: 'LAX', provider: 'ns1' } },
    { id: 'lax-r53', labels: { region: 'LAX', provider: 'route53' } },
  ];

  it('defers a member so an early wave never changes every provider of a group', () => {
    const plan = planRollout({ targets, stages: [{ name: 'half', count: 3 }, { name: 'all', percent: 100 }], failureDomain: 'region', redundancy: 'provider' });
    for (const w of plan.waves.slice(0, -1)) {
      for (const region of ['AMS', 'LAX']) {
        const providers = new Set(w.targets.filter((t) => t.labels.region === region).map((t) => t.labels.provider));
        expect(providers.size).toBeLessThan(2);
      }
    }
    expect(plan.warnings.join('\n')).toMatch(/instead of|deferred/);
    accounted(plan, targets);
  });

  it('splits the final wave into `<name>-2` and says so', () => {
    const plan = planRollout({ targets, stages: [{ name: 'all', percent: 100, bake: '5m' }], failureDomain: 'region', redundancy: 'provider' });
    expect(plan.waves.map((w) => w.name)).toEqual(['all', 'all-2']);
    expect(plan.waves[0]!.targets.map((t) => t.id).sort()).toEqual(['ams-ns1', 'lax-ns1']);
    expect(plan.waves[1]!.targets.map((t) => t.id).sort()).toEqual(['ams-r53', 'lax-r53']);
    expect(plan.waves[1]!.bakeMs).toBe(300_000);
    expect(plan.warnings.join('\n')).toMatch(/split into "all" and "all-2"/);
    expect(plan.notes.filter((n) => n.action === 'deferred').map((n) => n.targetId).sort()).toEqual(['ams-r53', 'lax-r53']);
    accounted(plan, targets);
  });

  it('uses the `group` label when present', () => {
    const t2: Target[] = [
      { id: 'a', labels: { group: 'g1', provider: 'x' } },
      { id: 'b', labels: { group: 'g1', provider: 'y' } },
      { id: 'c', labels: { group: 'g2', provider: 'x' } },
    ];
    const plan = planRollout({ targets: t2, stages: [{ name: 'all', percent: 100 }], redundancy: 'provider' });
    expect(plan.waves).toHaveLength(2);
    expect(plan.waves[1]!.targets.map((t) => t.id)).toEqual(['b']);
  });
});

describe('planRollout: maintenance windows', () => {
  const targets = [
    { id: 'ams-1', labels: { region: 'AMS' } },
    { id: 'scl-1', labels: { region: 'SCL' } },
    { id: 'scl-2', labels: { region: 'SCL' } },
  ];
  const stages = [
    { name: 'canary', count: 2, bake: '1h' },
    { name: 'all', percent: 100, bake: '1h' },
  ];

  it('defers targets under maintenance to the next wave that starts outside the window', () => {
    const windows: WindowSpec[] = [
      { name: 'SCL maintenance', kind: 'maintenance', targets: { region: 'SCL' }, start: '2025-11-18T09:00:00Z', end: '2025-11-18T09:30:00Z' },
    ];
    const plan = planRollout({ targets, stages, windows, at: '2025-11-18T09:00:00Z' });
    expect(plan.waves[0]!.targets.map((t) => t.id)).toEqual(['ams-1']);
    expect(plan.waves[1]!.targets.map((t) => t.id).sort()).toEqual(['scl-1', 'scl-2']);
    const note = plan.notes.find((n) => n.targetId === 'scl-1');
    expect(note).toMatchObject({ action: 'deferred', wave: 1 });
    expect(note!.reason).toMatch(/SCL maintenance/);
    accounted(plan, targets);
  });

  it('excludes with a note naming the window when no wave starts outside it', () => {
    const windows: WindowSpec[] = [
      { name: 'SCL maintenance', kind: 'maintenance', targets: { region: 'SCL' }, start: '2025-11-18T09:00:00Z', end: '2025-11-18T15:00:00Z' },
      { name: 'weekend freeze', kind: 'freeze', start: '2025-11-18T09:00:00Z', end: '2025-11-18T15:00:00Z' },
    ];
    const plan = planRollout({ targets, stages, windows, at: '2025-11-18T09:00:00Z' });
    expect(plan.waves.flatMap((w) => w.targets.map((t) => t.id))).toEqual(['ams-1']);
    const excluded = plan.notes.filter((n) => n.action === 'excluded');
    expect(excluded.map((n) => n.targetId).sort()).toEqual(['scl-1', 'scl-2']);
    for (const n of excluded) expect(n.reason).toMatch(/SCL maintenance/);
    expect(plan.warnings.join('\n')).toMatch(/excluded: under maintenance/);
    accounted(plan, targets);
  });

  it('a canary whose first pick is under maintenance gets the next free target: the first stage is never emptied and dropped', () => {
    // Order by id: aaa-1 (region A, under maintenance) would be the canary; without a replacement the canary stage
    // would be empty and dropped, and the 50% stage would go first.
    const fleet = [
      { id: 'aaa-1', labels: { region: 'A' } },
      { id: 'bbb-1', labels: { region: 'B' } },
      { id: 'ccc-1', labels: { region: 'C' } },
      { id: 'ddd-1', labels: { region: 'D' } },
    ];
    const windows: WindowSpec[] = [{ name: 'A maintenance', kind: 'maintenance', targets: { region: 'A' }, start: '2025-11-18T09:00:00Z', end: '2025-11-18T09:30:00Z' }];
    const plan = planRollout({
      targets: fleet,
      stages: [
        { name: 'canary', count: 1, bake: '1h' },
        { name: 'half', percent: 50, bake: '1h' },
        { name: 'all', percent: 100, bake: '1h' },
      ],
      windows,
      at: '2025-11-18T09:00:00Z',
    });
    expect(plan.waves.map((w) => w.name)).toEqual(['canary', 'half', 'all']);
    expect(plan.waves[0]!.targets.map((t) => t.id)).toEqual(['bbb-1']);
    expect(plan.warnings.join('\n')).not.toMatch(/dropped/);
    // aaa-1 joins the first wave that starts after its window (the 50% stage, an hour later), with the reason.
    const note = plan.notes.find((n) => n.targetId === 'aaa-1');
    expect(note).toMatchObject({ action: 'deferred', wave: 1 });
    expect(note!.reason).toMatch(/A maintenance/);
    accounted(plan, fleet);
  });

  it('ignores windows that are not active at the estimated start', () => {
    const windows: WindowSpec[] = [
      { name: 'later', kind: 'maintenance', start: '2025-11-19T09:00:00Z', end: '2025-11-19T10:00:00Z' },
    ];
    const plan = planRollout({ targets, stages, windows, at: new Date('2025-11-18T09:00:00Z') });
    expect(plan.notes).toEqual([]);
    expect(plan.waves.map((w) => w.targets.length)).toEqual([2, 1]);
  });
});
