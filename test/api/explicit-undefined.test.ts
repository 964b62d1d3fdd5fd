/**
 * Optional options given as an explicit `undefined` (what `exactOptionalPropertyTypes` users and spread-built option
 * objects pass) behave exactly as when they are left out: the types allow it (.ci/package-check compiles a consumer with
 * exactOptionalPropertyTypes) and the runtime must not let an `undefined` override a default.
 */
import { describe, expect, it } from 'vitest';
import { createGate, diffConfigs, expandStrategy, formatReport, loadConfig, planRollout, toSarif } from '../../src/index.js';
import type { Target } from '../../src/index.js';

const targets: Target[] = Array.from({ length: 12 }, (_, i) => ({ id: `t${i}`, labels: { region: `r${i % 3}` } }));
const AT = new Date('2025-06-01T00:00:00Z');

describe('explicit undefined equals omitted', () => {
  it('loadConfig, createGate().evaluate, formatReport, toSarif', () => {
    const text = '{"features": [{"name": "a"}, {"name": "a"}]}\n';
    const a = loadConfig(text);
    const b = loadConfig(text, { file: undefined, format: undefined, limits: undefined });
    expect(b.value).toEqual(a.value);
    expect(b.findings).toEqual(a.findings);
    const gate = createGate();
    const r1 = gate.evaluate({ proposed: a, at: AT, targets });
    const r2 = gate.evaluate({ proposed: b, current: undefined, targets, at: AT, override: undefined });
    expect(r2).toEqual(r1);
    expect(formatReport(r2, 'text', { color: undefined, baseDir: undefined, toolVersion: undefined })).toBe(formatReport(r1, 'text'));
    expect(toSarif(r2, { color: undefined, baseDir: undefined, toolVersion: undefined })).toEqual(toSarif(r1));
  });

  it('planRollout, stages and strategies', () => {
    const stages = [{ name: 'canary', percent: 10, bake: '1m' }, { name: 'all', percent: 100 }];
    const p1 = planRollout({ targets, stages, failureDomain: 'region' });
    const p2 = planRollout({
      targets,
      stages: stages.map((s) => ({ ...s, count: undefined, select: undefined, approval: undefined, bake: s.bake ?? undefined })),
      windows: undefined,
      at: undefined,
      failureDomain: 'region',
      redundancy: undefined,
    });
    expect(p2).toEqual(p1);
    expect(expandStrategy({ linear: { step: 50 }, exponential: undefined, bake: undefined, approval: undefined })).toEqual(expandStrategy({ linear: { step: 50 } }));
  });

  it('diffConfigs', () => {
    const cur = { list: [{ id: 1, v: 1 }, { id: 2, v: 2 }] };
    const next = { list: [{ id: 2, v: 2 }, { id: 1, v: 3 }] };
    expect(diffConfigs(cur, next, { keys: undefined, ordered: undefined })).toEqual(diffConfigs(cur, next));
  });
});
