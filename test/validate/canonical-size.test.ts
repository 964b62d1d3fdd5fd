/**
 * The canonical size used by `limit.growth`/`limit.shrink` and the score is the UTF-8 length of the document's
 * compact JSON text, computed by a walk (no text built). Checked against `JSON.stringify` itself on arbitrary JSON,
 * including strings that need escaping (quotes, backslashes, control characters, non-ASCII, lone surrogates).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonSize } from '../../src/validate/limits.js';
import type { JsonValue } from '../../src/types.js';

const text = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }), fc.constantFrom('"', '\\', '\u0000', '\u007f', '\u2028', '\ud800', 'plain'));
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    text,
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(text, tie('value'), { maxKeys: 5 }),
  ),
})).value as fc.Arbitrary<JsonValue>;

describe('canonical document size', () => {
  it('equals the UTF-8 length of JSON.stringify for any JSON value', () => {
    fc.assert(
      fc.property(json, (v) => {
        expect(jsonSize(v)).toBe(Buffer.byteLength(JSON.stringify(v), 'utf8'));
      }),
      { numRuns: 3000, seed: 20261130 },
    );
  });

  it('is the same for a map with a `__proto__` key and with keys inherited from a polluted prototype ignored', () => {
    const v = JSON.parse('{"__proto__": {"a": 1}, "b": "x"}') as JsonValue;
    expect(jsonSize(v)).toBe(Buffer.byteLength(JSON.stringify(v), 'utf8'));
    const proto = Object.prototype as Record<string, unknown>;
    proto.polluted = 'yes';
    try {
      const w = { a: 1 } as JsonValue;
      expect(jsonSize(w)).toBe(Buffer.byteLength(JSON.stringify(w), 'utf8'));
    } finally {
      delete proto.polluted;
    }
  });
});

describe('size cache', () => {
  it('lives for one evaluation: a document whose value changed between two evaluations is measured again', async () => {
    const { createGate, loadConfig } = await import('../../src/index.js');
    const gate = createGate();
    const current = loadConfig({ text: JSON.stringify({ version: '1.0.0', blob: 'x'.repeat(4000) }), file: 'current.json' });
    const proposed = loadConfig({ text: JSON.stringify({ version: '1.0.1', blob: 'x'.repeat(4000) }), file: 'proposed.json' });
    const at = '2025-06-01T12:00:00Z';
    expect(gate.evaluate({ proposed, current, at }).findings.map((f) => f.rule)).not.toContain('limit.growth');
    (proposed.value as { blob: string }).blob = 'x'.repeat(40_000);
    expect(gate.evaluate({ proposed, current, at }).findings.map((f) => f.rule)).toContain('limit.growth');
  });
});
