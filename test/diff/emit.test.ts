/**
 * The diff's emitter keeps the encoded pointer of every prefix instead of encoding each change's segments when it is
 * emitted: property test against `encodePointer` of the segment stacks, for any sequence of pushes, pops and emits.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Emitter, escapeSegment } from '../../src/diff/emit.js';
import { diffConfigs } from '../../src/diff/index.js';
import { encodePointer, escapeSegment as escapePointerSegment, getAtPointer } from '../../src/pointer.js';
import type { Change, ChangeKind, JsonValue } from '../../src/types.js';

const segArb = fc.oneof(fc.constantFrom('', '~', '/', '~1', '~0', '/~', 'a', '[name=x]', '0', 'k'), fc.string({ maxLength: 4 }));
type Op = { op: 'push'; d: string; o: string; n: string } | { op: 'pop' } | { op: 'emit'; kind: ChangeKind } | { op: 'top'; kind: ChangeKind; seg: string };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.tuple(segArb, segArb, fc.boolean(), fc.boolean()).map(([a, b, sameOld, sameDisplay]) => ({ op: 'push' as const, d: sameDisplay ? a : b, o: sameOld ? a : b + 'x', n: a })),
  fc.constant({ op: 'pop' as const }),
  fc.constantFrom<ChangeKind>('added', 'removed', 'modified', 'reordered').map((kind) => ({ op: 'emit' as const, kind })),
  fc.tuple(fc.constantFrom<ChangeKind>('added', 'removed'), segArb).map(([kind, seg]) => ({ op: 'top' as const, kind, seg })),
);

describe('Emitter', () => {
  it('emits the pointers encodePointer gives for its stacks', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
        const e = new Emitter();
        const expected: Change[] = [];
        for (const op of ops) {
          if (op.op === 'push') e.push(op.d, op.o, op.n);
          else if (op.op === 'pop') {
            if (e.display.length > 0) e.pop();
          } else if (op.op === 'top') {
            // emitTop is push, emit, pop (without the stacks at the root).
            e.emitTop(op.kind, op.seg, op.kind === 'removed' ? 1 : undefined, op.kind === 'added' ? 2 : undefined);
            const segs = (s: string[]) => encodePointer([...s, op.seg]);
            expected.push({ kind: op.kind, path: segs(e.display), pointer: segs(op.kind === 'removed' ? e.oldSegs : e.newSegs), ...(op.kind === 'removed' ? { oldValue: 1 } : { newValue: 2 }) });
          } else {
            e.emit(op.kind, 1, 2);
            expected.push({ kind: op.kind, path: encodePointer(e.display), pointer: encodePointer(op.kind === 'removed' ? e.oldSegs : e.newSegs), oldValue: 1, newValue: 2 });
          }
        }
        expect(JSON.stringify(e.changes)).toBe(JSON.stringify(expected));
      }),
      { numRuns: 1000 },
    );
  });

  it('escapes a segment as the pointer module does', () => {
    fc.assert(fc.property(segArb, (s) => {
      expect(escapeSegment(s)).toBe(escapePointerSegment(s));
    }), { numRuns: 1000 });
  });

  it('a first push lists the keys in code-unit order, each pointer resolving to its value', () => {
    const keyArb = fc.oneof(segArb, fc.string({ unit: 'binary', maxLength: 3 }));
    fc.assert(
      fc.property(fc.dictionary(keyArb, fc.integer(), { maxKeys: 30 }), (obj) => {
        const value = JSON.parse(JSON.stringify(obj)) as Record<string, JsonValue>;
        const changes = diffConfigs(undefined, value);
        const keys = Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        expect(changes.map((c) => c.pointer)).toEqual(keys.map((k) => encodePointer([k])));
        for (const c of changes) {
          expect(c.path).toBe(c.pointer);
          expect(getAtPointer(value, c.pointer)).toBe(c.newValue);
        }
        // And the other way: every key removed.
        const removed = diffConfigs(value, undefined);
        expect(removed.map((c) => [c.kind, c.path, c.pointer, c.oldValue])).toEqual(changes.map((c) => ['removed', c.path, c.pointer, c.newValue]));
      }),
      { numRuns: 500 },
    );
  });
});
