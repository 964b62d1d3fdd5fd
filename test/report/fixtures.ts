/** Small hand-built reports and plans for the formatter tests. */
import type { Change, ChangeSummary, GateReport, RolloutPlan, Target } from '../../src/types.js';

export function summary(changes: Change[]): ChangeSummary {
  const count = (k: Change['kind']) => changes.filter((c) => c.kind === k).length;
  return {
    added: count('added'),
    removed: count('removed'),
    modified: count('modified'),
    reordered: count('reordered'),
    total: changes.length,
    changes,
  };
}

/** 25 changes: more than the text summary lists (20). */
function manyChanges(): Change[] {
  const out: Change[] = [
    { kind: 'modified', path: '/features/[name=bot_score]/type', pointer: '/features/3/type', oldValue: 'a', newValue: 'b' },
    { kind: 'removed', path: '/features/[name=legacy]', pointer: '/features/7', oldValue: { name: 'legacy', size: 3 } },
    { kind: 'reordered', path: '/policy/terms', pointer: '/policy/terms' },
  ];
  for (let i = 0; i < 22; i++) {
    out.push({ kind: 'added', path: `/features/[name=dup_${String(i).padStart(2, '0')}]`, pointer: `/features/${200 + i}`, newValue: { name: `dup_${i}`, size: i } });
  }
  return out;
}

/** A block report with located findings, a path-only finding and a finding with neither. */
export function blockReport(): GateReport {
  return {
    verdict: 'block',
    score: 85,
    findings: [
      {
        rule: 'limit.unique',
        severity: 'block',
        message: 'Duplicate entry "dup_01" in /features (by name): 100% of rows, a:b, c',
        path: '/features/201',
        location: { file: 'configs/edge.yaml', line: 412, column: 5 },
        detail: { field: 'name', value: 'dup_01', count: 2 },
      },
      {
        rule: 'check.regex',
        severity: 'block',
        message: 'Regex (a|a)*b can backtrack catastrophically\nRewrite it without nested quantifiers.',
        path: '/rules/0/expression',
        location: { file: 'configs/edge.yaml', line: 3, column: 17 },
      },
      {
        rule: 'limit.growth',
        severity: 'warn',
        message: '/features grew from 100 to 200 entries (2.00x, limit 1.5x).',
        path: '/features',
        detail: { ratio: 2, current: 100, proposed: 200 },
      },
      {
        rule: 'internal.error',
        severity: 'block',
        message: 'check.expiry threw: TypeError: x is undefined',
      },
    ],
    factors: [
      { id: 'growth', points: 40, detail: '/features grew 2.00x' },
      { id: 'change.size', points: 25, detail: '25 changed paths' },
      { id: 'sensitive', points: 20, detail: 'DNSSEC keys changed (/dnssec/**)' },
    ],
    changes: summary(manyChanges()),
    at: '2025-11-18T11:05:00.000Z',
    files: { proposed: 'configs/edge.yaml', current: 'lkg/edge.yaml', policy: 'confgate.yaml' },
  };
}

/** A warn report with factors, a tier, an override and a small plan. */
export function warnReport(): GateReport {
  return {
    verdict: 'warn',
    score: 45,
    findings: [
      {
        rule: 'window.freeze',
        severity: 'warn',
        message: 'Inside freeze window "weekend freeze" until 2025-11-24T10:00:00.000Z (overridden).',
      },
      {
        rule: 'override.used',
        severity: 'info',
        message: 'Break-glass override: INC-4711 | rollback of bad cert',
        document: 'policy',
      },
      {
        rule: 'rollback.lkg-invalid',
        severity: 'warn',
        message: 'The LKG fails schema validation at /limits.',
        path: '/limits',
        document: 'current',
      },
    ],
    factors: [
      { id: 'window.freeze', points: 30, detail: 'freeze window "weekend freeze" active' },
      { id: 'blast-radius', points: 15, detail: '12 of 12 targets' },
    ],
    changes: summary([
      { kind: 'modified', path: '/tls/cert', pointer: '/tls/cert', oldValue: 'MIIB...old', newValue: 'MIIB...new' },
      { kind: 'added', path: '/tls/chain/1', pointer: '/tls/chain/1', newValue: 'intermediate' },
    ]),
    tier: {
      name: 'careful',
      stages: [
        { name: 'canary', count: 1, bake: '10m' },
        { name: 'early', percent: 25, bake: 1_800_000 },
        { name: 'global', percent: 100 },
      ],
      approval: true,
    },
    plan: smallPlan(),
    override: { reason: 'INC-4711 | rollback of bad cert', at: '2025-11-22T03:00:00.000Z' },
    at: '2025-11-22T03:00:00.000Z',
    files: { proposed: 'tls.json' },
  };
}

/** An allow report with no findings, no factors and no changes. */
export function allowReport(): GateReport {
  return {
    verdict: 'allow',
    score: 0,
    findings: [],
    factors: [],
    changes: summary([]),
    at: '2025-11-18T11:05:00.000Z',
    files: { proposed: 'edge.yaml', current: 'edge.lkg.yaml' },
  };
}

function target(id: string, region: string, plane = 'data'): Target {
  return { id, labels: { region, plane } };
}

function smallPlan(): RolloutPlan {
  return {
    waves: [
      { index: 0, name: 'canary', targets: [target('scl-1', 'SCL')], bakeMs: 600_000, approval: false },
      { index: 1, name: 'global', targets: [target('mia-1', 'MIA'), target('lax-1', 'LAX')], bakeMs: 0, approval: true },
    ],
    notes: [],
    warnings: [],
    at: '2025-11-22T03:00:00.000Z',
    failureDomain: 'region',
    totalTargets: 3,
  };
}

/** A plan with failure domains, more than 10 targets in a wave, deferred/excluded notes and warnings. */
export function bigPlan(): RolloutPlan {
  const regions = ['SCL', 'MIA', 'LAX', 'FRA', 'NRT'];
  const global: Target[] = [];
  for (let i = 0; i < 14; i++) global.push(target(`pop-${String(i + 10).padStart(2, '0')}`, regions[i % regions.length]!));
  global.push({ id: 'ctl-1', labels: { plane: 'control' } }); // no region label
  return {
    waves: [
      { index: 0, name: 'canary', targets: [target('pop-01', 'MIA'), target('pop-02', 'LAX')], bakeMs: 600_000, approval: false },
      { index: 1, name: 'early', targets: [target('pop-03', 'MIA'), target('pop-04', 'LAX'), target('pop-05', 'FRA'), target('scl-1', 'SCL')], bakeMs: 5_400_000, approval: true },
      { index: 2, name: 'global', targets: global, bakeMs: 0, approval: true },
    ],
    notes: [
      { targetId: 'scl-1', action: 'deferred', reason: 'under maintenance "SCL maintenance" until 2025-11-18T15:00:00Z', wave: 1 },
      { targetId: 'scl-2', action: 'excluded', reason: 'under maintenance in every wave' },
    ],
    warnings: ['redundancy group provider=acme had every member in one stage; spread across stages'],
    at: '2025-11-18T11:05:00.000Z',
    failureDomain: 'region',
    totalTargets: 22,
  };
}
