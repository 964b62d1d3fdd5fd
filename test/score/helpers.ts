/** Hand-built inputs for score tests. */
import type { ResolvedPolicy } from '../../src/policy/types.js';
import type { ScoreInput } from '../../src/score/index.js';
import type { Change, ChangeSummary, ConfigDoc, Finding, JsonValue, RolloutPlan, StageSpec, Target } from '../../src/types.js';

/** A resolved policy with defaults like the policy loader's; `over` replaces top-level fields. */
export function policy(over: Partial<ResolvedPolicy> = {}): ResolvedPolicy {
  return {
    baseDir: '.',
    keys: {},
    ordered: [],
    versionPath: '/version',
    limits: {
      growth: { warn: 1.5, block: 2 },
      shrink: { warn: 0.2, block: 0.5 },
      minListSize: 10,
      input: { maxBytes: 67108864, maxDepth: 256, maxAliases: 1000, maxNodes: 5000000 },
    },
    checks: [],
    sensitive: [],
    secrets: [],
    planes: { control: [], data: [] },
    windows: [],
    scoring: { warn: 40, block: 70, tiers: [] },
    rollout: {
      stages: [],
      health: { intervalMs: 30000, timeoutMs: 10000, failureLimit: 0, successes: 1 },
    },
    document: { version: 1 },
    ...over,
  };
}

/** The three-stage rollout used by most tests. */
export const STAGES: StageSpec[] = [
  { name: 'canary', percent: 1, bake: '10m' },
  { name: 'early', percent: 10, bake: '30m' },
  { name: 'global', percent: 100 },
];

/** A loaded document; `bytes` defaults to the JSON length. */
export function doc(value: JsonValue | undefined, bytes?: number): ConfigDoc {
  return {
    value,
    format: 'json',
    bytes: bytes ?? (value === undefined ? 0 : JSON.stringify(value).length),
    file: '<input>',
    findings: [],
    failed: value === undefined,
    locate: () => undefined,
  };
}

/**
 * A loaded document whose canonical size (compact JSON, what growth, shrink and change.size measure) is exactly
 * `size` bytes (at least 12): `{"pad":"xxx…"}`. `bytes` (the file size) is deliberately different, to show
 * that the file size is not what is measured.
 */
export function sized(size: number): ConfigDoc {
  if (size < 12) throw new Error('sized() needs at least 12 bytes');
  return doc({ pad: 'x'.repeat(size - 10) }, size * 3);
}

/** A change; `path` defaults to the pointer. */
export function change(kind: Change['kind'], pointer: string, extra: Partial<Change> = {}): Change {
  return { kind, path: pointer, pointer, ...extra };
}

/** A change summary whose counts agree with the list. */
export function summary(changes: Change[]): ChangeSummary {
  const count = (k: Change['kind']): number => changes.filter((c) => c.kind === k).length;
  return {
    added: count('added'),
    removed: count('removed'),
    modified: count('modified'),
    reordered: count('reordered'),
    total: changes.length,
    changes,
  };
}

/** `n` targets spread round-robin over `regions`. */
export function targets(n: number, regions: string[] = ['SCL', 'MIA', 'LAX', 'FRA', 'SIN']): Target[] {
  return Array.from({ length: n }, (_, i) => ({ id: `t${i}`, labels: { region: regions[i % regions.length]! } }));
}

/** A plan whose waves hold the given targets. */
export function plan(waves: Target[][], failureDomain?: string): RolloutPlan {
  return {
    waves: waves.map((ts, index) => ({ index, name: `w${index}`, targets: ts, bakeMs: 0, approval: false })),
    notes: [],
    warnings: [],
    at: '2025-11-18T12:00:00.000Z',
    ...(failureDomain ? { failureDomain } : {}),
    totalTargets: waves.reduce((s, w) => s + w.length, 0),
  };
}

/** A finding with detail. */
export function finding(rule: Finding['rule'], detail?: Finding['detail'], path?: string): Finding {
  return { rule, severity: 'warn', message: rule, ...(path ? { path } : {}), ...(detail ? { detail } : {}) };
}

export const AT = new Date('2025-11-18T12:00:00Z');

/**
 * A score input for one modified value `/a` (current `{a:1}`, proposed `{a:2}`), default policy with
 * three stages and no targets. `over` replaces fields.
 */
export function input(over: Partial<ScoreInput> = {}): ScoreInput {
  return {
    policy: policy({ rollout: { ...policy().rollout, stages: STAGES } }),
    changes: summary([change('modified', '/a', { oldValue: 1, newValue: 2 })]),
    findings: [],
    proposed: doc({ a: 2 }),
    current: doc({ a: 1 }),
    at: AT,
    ...over,
  };
}
