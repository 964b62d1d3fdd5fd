/**
 * One compiled gate evaluating many pushes against the same live config (the small-pushes use case). The gate
 * caches work on the current document given as text (its load, LKG schema validation, secrets, list facts):
 * every report must be exactly what a fresh gate gives, whatever `at` is, and whatever a caller does to earlier
 * reports or to the documents and bytes it passed in.
 */
import { describe, expect, it } from 'vitest';
import { createGate, fingerprint, parseConfig, type GateReport, type PolicyDocument } from '../../src/index.js';

const AT = '2025-06-01T12:00:00Z';

const POLICY: PolicyDocument = {
  version: 1,
  schema: {
    type: 'object',
    properties: {
      version: { type: 'string', pattern: '^\\d+\\.\\d+\\.\\d+$' },
      features: { type: 'array', items: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, weight: { type: 'number', maximum: 1 } } } },
    },
  },
  keys: { '/features': 'name' },
  ordered: ['/features'],
  checks: [
    { path: '/features', maxItems: 50, unique: 'name' },
    { path: '/certs/*/expires', expiresAfter: '7d' },
  ],
  limits: { minListSize: 2 },
};

function features(n: number, extra: (i: number) => Record<string, unknown> = () => ({})): Array<Record<string, unknown>> {
  return Array.from({ length: n }, (_, i) => ({ name: `f${String(i).padStart(3, '0')}`, weight: 0.5, tags: ['a', 'b'], ...extra(i) }));
}

const CURRENT = {
  version: '1.0.0',
  features: features(12),
  certs: [{ host: 'a', expires: '2025-06-20T00:00:00Z' }],
  db: { password: 'hunter2-secret' },
  big: 0,
};
// The live config: a large integer that loses precision, an LKG schema error (weight 7 > 1), a secret.
const CURRENT_TEXT = JSON.stringify({ ...CURRENT, features: features(12, (i) => (i === 3 ? { weight: 7 } : {})) }).replace('"big":0', '"big":9007199254740993');

function proposals(): string[] {
  const out: string[] = [];
  const base = JSON.parse(CURRENT_TEXT) as typeof CURRENT;
  out.push(JSON.stringify({ ...base, version: '1.0.1' }));
  out.push(JSON.stringify({ ...base, version: '1.0.1', features: [...base.features].reverse() }));
  out.push(JSON.stringify({ ...base, version: '1.0.1', features: base.features.map((f) => ({ ...f, tags: [] })) }));
  out.push(JSON.stringify({ ...base, version: '1.0.1', features: base.features.slice(0, 3) }));
  out.push(JSON.stringify({ ...base, version: '0.9.0', db: { password: 'rotated-secret-value' } }));
  out.push(JSON.stringify({ ...base, features: [...base.features, ...base.features] }));
  out.push('{ "version": "1.0.1", "features": [ }');
  return out;
}

const json = (r: GateReport): string => JSON.stringify(r);

describe('a gate reused against the same current config', () => {
  it('gives, for every push and every `at`, the report a fresh gate gives', () => {
    const reused = createGate(POLICY);
    for (const at of [AT, '2025-06-15T00:00:00Z', '2026-01-01T00:00:00Z', AT]) {
      for (const proposed of proposals()) {
        for (const input of [
          { proposed, current: CURRENT_TEXT, at },
          { proposed: { text: proposed }, current: { text: CURRENT_TEXT }, at },
          { proposed: { text: proposed, file: 'next.json' }, current: { text: CURRENT_TEXT, file: 'live.json' }, at },
        ]) {
          expect(json(reused.evaluate(input))).toBe(json(createGate(POLICY).evaluate(input)));
        }
      }
    }
  });

  it('still reads `at` for the LKG expiry check', () => {
    const gate = createGate(POLICY);
    const proposed = proposals()[0]!;
    const lkg = (at: string) =>
      gate.evaluate({ proposed, current: CURRENT_TEXT, at }).findings.find((f) => f.rule === 'rollback.lkg-invalid' && f.detail?.['reason'] === 'expiry');
    expect(lkg('2025-06-01T00:00:00Z')).toBeUndefined();
    expect(lkg('2025-06-18T00:00:00Z')).toBeDefined();
    expect(lkg('2025-06-01T00:00:00Z')).toBeUndefined();
  });

  it('reports the LKG schema error and masks the live secret on every evaluation', () => {
    const gate = createGate(POLICY);
    for (let i = 0; i < 3; i++) {
      const report = gate.evaluate({ proposed: proposals()[4]!, current: CURRENT_TEXT, at: AT });
      expect(report.findings.some((f) => f.rule === 'rollback.lkg-invalid' && f.detail?.['reason'] === 'schema')).toBe(true);
      const text = JSON.stringify(report);
      expect(text).not.toContain('hunter2-secret');
      expect(text).not.toContain('rotated-secret-value');
      expect(text).toContain(fingerprint('hunter2-secret'));
    }
  });

  it.each([
    ['with', CURRENT_TEXT],
    ['without', CURRENT_TEXT.replace('"db":{"password":"hunter2-secret"},', '')],
  ])('is not affected by a caller changing an earlier report (live config %s secrets)', (_, currentText) => {
    const gate = createGate(POLICY);
    const input = { proposed: proposals()[1]!.replace('"db":{"password":"hunter2-secret"},', ''), current: { text: currentText }, at: AT };
    const first = gate.evaluate(input);
    const expected = json(first);
    // Scribble over everything reachable from the report.
    const scribble = (v: unknown): void => {
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) (typeof v[i] === 'object' && v[i] !== null ? scribble(v[i]) : (v[i] = 'x'));
        v.push('x');
      } else if (v !== null && typeof v === 'object') {
        for (const k of Object.keys(v)) {
          const o = v as Record<string, unknown>;
          if (typeof o[k] === 'object' && o[k] !== null) scribble(o[k]);
          else o[k] = 'x';
        }
      }
    };
    expect(first.findings.some((f) => f.rule === 'diff.reorder')).toBe(true);
    expect(first.findings.some((f) => f.rule === 'parse.precision-loss')).toBe(true);
    scribble(first);
    expect(json(gate.evaluate(input))).toBe(expected);
  });

  it('does not cache documents or bytes a caller holds (they can change between evaluations)', () => {
    const gate = createGate(POLICY);
    const proposed = proposals()[0]!;

    // A ConfigDoc: its value is the caller's.
    const doc = parseConfig(CURRENT_TEXT);
    const before = gate.evaluate({ proposed, current: doc, at: AT });
    expect(before.findings.some((f) => f.rule === 'rollback.lkg-invalid' && f.detail?.['reason'] === 'schema')).toBe(true);
    ((doc.value as { features: Array<{ weight: number }> }).features[3]!).weight = 0.5;
    const after = gate.evaluate({ proposed, current: doc, at: AT });
    expect(after.findings.some((f) => f.rule === 'rollback.lkg-invalid' && f.detail?.['reason'] === 'schema')).toBe(false);

    // Bytes: changed in place.
    const bytes = new TextEncoder().encode(CURRENT_TEXT);
    const a = gate.evaluate({ proposed, current: bytes, at: AT });
    const at = new TextDecoder().decode(bytes).indexOf('"weight":7');
    bytes[at + 9] = '0'.charCodeAt(0);
    const b = gate.evaluate({ proposed, current: bytes, at: AT });
    expect(json(a)).not.toBe(json(b));
    expect(json(b)).toBe(json(createGate(POLICY).evaluate({ proposed, current: new TextDecoder().decode(bytes), at: AT })));
  });

  it('masks a secret key added to a loaded proposed document after loading', () => {
    const gate = createGate(POLICY);
    const doc = parseConfig(JSON.stringify({ version: '1.0.1', features: features(3) }));
    (doc.value as Record<string, unknown>)['api'] = { token: 'tok-added-later-123' };
    const report = gate.evaluate({ proposed: doc, current: JSON.stringify({ version: '1.0.0', features: features(3) }), at: AT });
    const text = JSON.stringify(report);
    expect(text).toContain('/api');
    expect(text).not.toContain('tok-added-later-123');
  });

  it('stays correct across more live configs than it caches', () => {
    const gate = createGate(POLICY);
    const currents = Array.from({ length: 7 }, (_, k) => JSON.stringify({ version: `1.0.${k}`, features: features(4 + k) }));
    const proposed = JSON.stringify({ version: '1.1.0', features: features(6) });
    for (const round of [0, 1]) {
      for (const current of round === 0 ? currents : [...currents].reverse()) {
        const input = { proposed, current, at: AT };
        expect(json(gate.evaluate(input))).toBe(json(createGate(POLICY).evaluate(input)));
      }
    }
  });
});
