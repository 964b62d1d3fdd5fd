import { describe, expect, it } from 'vitest';
import { CelCompileError, CelEvalError, ConfgateError, compileCel } from '../../src/index.js';

describe('compileCel', () => {
  it('compares JSON integers with int literals and JSON fractions with doubles', () => {
    const p = compileCel('self.port == 443 && self.ratio < 1 && self.weight > 0.5');
    expect(p.source).toBe('self.port == 443 && self.ratio < 1 && self.weight > 0.5');
    expect(p.evaluate({ self: { port: 443, ratio: 0.25, weight: 2 } })).toBe(true);
    expect(p.evaluate({ self: { port: 8443, ratio: 0.25, weight: 2 } })).toBe(false);
  });

  it('does int arithmetic on JSON integers (sums of weights) and double arithmetic on fractions', () => {
    const p = compileCel('root.pools.all(p, p.weight >= 0) && root.pools.size() == 2 && root.pools[0].weight + root.pools[1].weight == 100');
    expect(p.evaluate({ root: { pools: [{ weight: 60 }, { weight: 40 }] } })).toBe(true);
    expect(p.evaluate({ root: { pools: [{ weight: 60 }, { weight: 50 }] } })).toBe(false);
    expect(compileCel('self.a * 2.0').evaluate({ self: { a: 1.5 } })).toBe(3);
    expect(compileCel('double(self.a) * 1.5').evaluate({ self: { a: 2 } })).toBe(3);
  });

  it('returns plain values: numbers, arrays, objects, Date, durations as text', () => {
    expect(compileCel('[1, 2.5, "x", null, true]').evaluate({})).toEqual([1, 2.5, 'x', null, true]);
    expect(compileCel('{"a": 1, "b": [2]}').evaluate({})).toEqual({ a: 1, b: [2] });
    expect(compileCel('root.items.map(p, p.name)').evaluate({ root: { items: [{ name: 'a' }, { name: 'b' }] } })).toEqual(['a', 'b']);
    expect(compileCel('9223372036854775807').evaluate({})).toBe(9223372036854775807n);
    expect(compileCel('duration("90s") + duration("1.5s")').evaluate({})).toBe('91.5s');
    const ts = compileCel('timestamp("2025-11-18T09:00:00Z")').evaluate({});
    expect(ts).toBeInstanceOf(Date);
    expect((ts as Date).toISOString()).toBe('2025-11-18T09:00:00.000Z');
    expect(compileCel('type(1)').evaluate({})).toBe('int');
  });

  it('takes a Date binding as a timestamp (the evaluation time)', () => {
    const p = compileCel('timestamp(self.expires) - at > duration("168h")', { variables: ['self', 'at'] });
    const at = new Date('2025-01-01T00:00:00Z');
    expect(p.evaluate({ self: { expires: '2025-02-01T00:00:00Z' }, at })).toBe(true);
    expect(p.evaluate({ self: { expires: '2025-01-03T00:00:00Z' }, at })).toBe(false);
  });

  it('treats every key as data: has() on own keys only, __proto__ is an ordinary key', () => {
    const doc = JSON.parse('{"__proto__": {"x": 1}, "a": 1}') as Record<string, unknown>;
    expect(compileCel('has(self.a) && !has(self.toString) && !has(self.constructor)').evaluate({ self: doc })).toBe(true);
    expect(compileCel('self["__proto__"].x == 1').evaluate({ self: doc })).toBe(true);
    const out = compileCel('self').evaluate({ self: doc }) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__', 'a']);
  });

  it('throws CelCompileError with a stable code and the position of a syntax error', () => {
    let err: unknown;
    try {
      compileCel('self.port ==\n  ');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CelCompileError);
    expect(err).toBeInstanceOf(ConfgateError);
    const e = err as CelCompileError;
    expect(e.code).toBe('E_CEL_COMPILE');
    expect(e.position).toEqual({ offset: 15, line: 2, column: 3 });
    expect(e.message).toMatch(/does not compile at 2:3/);
    expect(e.source).toBe('self.port ==\n  ');
  });

  it('rejects type errors and unknown variables at compile time', () => {
    expect(() => compileCel('1 + "a"')).toThrow(CelCompileError);
    expect(() => compileCel('self.a == 1 && slef.b == 2', { variables: ['self', 'root'] })).toThrow(/Unknown variable: slef/);
    expect(() => compileCel('self.a == 1', { variables: ['self'] })).not.toThrow();
    expect(() => compileCel('   ')).toThrow(/empty/);
  });

  it('throws CelEvalError on evaluation failures, with the reason', () => {
    const p = compileCel('self.port == 443');
    expect(() => p.evaluate({ self: { name: 'x' } })).toThrow(CelEvalError);
    try {
      p.evaluate({ self: { name: 'x' } });
    } catch (e) {
      expect((e as CelEvalError).code).toBe('E_CEL_EVAL');
      expect((e as CelEvalError).reason).toBe('No such key: port');
    }
    expect(() => compileCel('self.a / self.b').evaluate({ self: { a: 1, b: 0 } })).toThrow(/division by zero/);
    expect(() => compileCel('self.port + 0.5').evaluate({ self: { port: 1 } })).toThrow(/no such overload/);
    expect(() => compileCel('missing == 1').evaluate({})).toThrow(CelEvalError);
  });

  it('compiles once and evaluates many times without re-parsing', () => {
    const p = compileCel('self.min < self.max');
    let n = 0;
    for (let i = 0; i < 1000; i++) if (p.evaluate({ self: { min: i, max: i + (i % 2) } }) === true) n++;
    expect(n).toBe(500);
  });
});
