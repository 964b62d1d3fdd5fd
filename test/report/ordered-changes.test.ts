/**
 * The JSON report does not copy a change whose JSON text is already in the fixed key order (src/report/util.ts):
 * property test against copying every change, on change objects built every way (any key order, missing and extra
 * keys, undefined values, non-enumerable and inherited properties).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { orderedChange, orderedChanges } from '../../src/report/util.js';
import type { Change, ChangeSummary } from '../../src/types.js';

const KEYS = ['kind', 'path', 'pointer', 'file', 'oldValue', 'newValue', 'extra'] as const;
const valueArb = fc.oneof(fc.constant(undefined), fc.constantFrom('added', '/a', 'x.yaml'), fc.integer(), fc.jsonValue({ maxDepth: 2 }));
const propArb = fc.record({ key: fc.constantFrom(...KEYS), value: valueArb, how: fc.constantFrom('own', 'own', 'own', 'hidden', 'inherited') });

const changeArb = fc.array(propArb, { maxLength: 8 }).map((props) => {
  const proto: Record<string, unknown> = {};
  const c: Record<string, unknown> = Object.create(props.some((p) => p.how === 'inherited') ? proto : Object.prototype) as Record<string, unknown>;
  for (const p of props) {
    if (p.how === 'inherited') proto[p.key] = p.value;
    else Object.defineProperty(c, p.key, { value: p.value, enumerable: p.how === 'own', writable: true, configurable: true });
  }
  return c as unknown as Change;
});
/** The usual change, as the diff builds it. */
const usualArb = fc.tuple(fc.constantFrom<Change['kind']>('added', 'removed', 'modified'), fc.string(), fc.option(fc.integer(), { nil: undefined })).map(([kind, p, v]) => {
  const c: Change = { kind, path: p, pointer: p };
  if (v !== undefined) c.newValue = v;
  return c;
});

describe('orderedChanges', () => {
  it('gives the JSON text of copying every change with orderedChange', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(changeArb, usualArb), { maxLength: 6 }), (changes) => {
        const summary: ChangeSummary = { added: 1, removed: 0, modified: 0, reordered: 0, total: changes.length, changes };
        const copied = { added: 1, removed: 0, modified: 0, reordered: 0, total: changes.length, changes: changes.map(orderedChange) };
        expect(JSON.stringify(orderedChanges(summary), null, 2)).toBe(JSON.stringify(copied, null, 2));
      }),
      { numRuns: 3000 },
    );
  });

  it('does not copy the usual change', () => {
    const c: Change = { kind: 'added', path: '/a', pointer: '/a', newValue: 1 };
    expect(orderedChanges({ added: 1, removed: 0, modified: 0, reordered: 0, total: 1, changes: [c] }).changes[0]).toBe(c);
  });
});
