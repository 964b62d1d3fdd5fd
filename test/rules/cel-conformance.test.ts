/**
 * The CEL wrapper against the CEL conformance suite (cel-spec's textproto tests, shipped as data by
 * `@bufbuild/cel-spec`, Apache-2.0): every evaluation test of the core suites that needs no protobuf messages or
 * extensions, run through `compileCel` with bindings given as plain values. The floor per suite is what
 * `@marcbachmann/cel-js` passes today (see BENCHMARKS.md, "CEL evaluators"); a library update that loses a case
 * fails here, one that gains cases is welcome (raise the floor).
 */
import { appendFileSync } from 'node:fs';
import { tests } from '@bufbuild/cel-spec/testdata/conformance.js';
import { describe, expect, it } from 'vitest';
import { compileCel } from '../../src/index.js';

type ExprValue = Record<string, unknown>;
interface Original {
  name: string;
  expr: string;
  value?: ExprValue;
  evalError?: unknown;
  bindings?: Record<string, { value: ExprValue }>;
  typeEnv?: unknown[];
  container?: string;
  checkOnly?: boolean;
  typedResult?: unknown;
}
interface Suite {
  name: string;
  suites?: Suite[];
  tests?: { original: Original }[];
}

class Skip extends Error {}

/** A conformance value as the plain value compileCel returns for it (see src/cel/index.ts). */
function plain(v: ExprValue): unknown {
  if ('int64Value' in v || 'uint64Value' in v) {
    const b = BigInt(String(v['int64Value'] ?? v['uint64Value']));
    return b <= BigInt(Number.MAX_SAFE_INTEGER) && b >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(b) : b;
  }
  if ('doubleValue' in v) return Number(v['doubleValue']);
  if ('stringValue' in v) return v['stringValue'];
  if ('boolValue' in v) return v['boolValue'];
  if ('nullValue' in v) return null;
  if ('bytesValue' in v) return new Uint8Array(Buffer.from(String(v['bytesValue']), 'base64'));
  if ('listValue' in v) return ((v['listValue'] as { values?: ExprValue[] }).values ?? []).map(plain);
  if ('mapValue' in v) {
    const out: Record<string, unknown> = {};
    for (const e of (v['mapValue'] as { entries?: { key: ExprValue; value: ExprValue }[] }).entries ?? []) {
      const k = plain(e.key);
      if (typeof k !== 'string') throw new Skip('non-string map key');
      out[k] = plain(e.value);
    }
    return out;
  }
  if ('typeValue' in v) return v['typeValue'];
  throw new Skip('message value');
}

/** Binding as JSON input: ints and doubles both become JS numbers, so only unambiguous ones are kept. */
function input(v: ExprValue): unknown {
  if ('uint64Value' in v) throw new Skip('uint binding');
  if ('doubleValue' in v && Number.isInteger(Number(v['doubleValue']))) throw new Skip('integral double binding');
  if ('int64Value' in v && !Number.isSafeInteger(Number(v['int64Value']))) throw new Skip('int64 beyond 2^53');
  if ('bytesValue' in v) throw new Skip('bytes binding');
  if ('listValue' in v) return ((v['listValue'] as { values?: ExprValue[] }).values ?? []).map(input);
  if ('mapValue' in v) {
    const out: Record<string, unknown> = {};
    for (const e of (v['mapValue'] as { entries?: { key: ExprValue; value: ExprValue }[] }).entries ?? []) {
      const k = plain(e.key);
      if (typeof k !== 'string') throw new Skip('non-string map key');
      out[k] = input(e.value);
    }
    return out;
  }
  return plain(v);
}

function same(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Object.is(a, b) || a === b || (Number.isNaN(a) && Number.isNaN(b));
  try {
    expect(a).toEqual(b);
    return true;
  } catch {
    return false;
  }
}

/** Cases passed per suite, measured with @marcbachmann/cel-js 8.0.0 through compileCel. */
const FLOOR: Record<string, number> = {
  basic: 41, comparisons: 308, conversions: 93, fields: 43, fp_math: 30, integer_math: 62, lists: 34, logic: 25,
  macros: 42, parse: 167, plumbing: 5, string: 51, timestamps: 52,
};
const SUITES = ['basic', 'comparisons', 'conversions', 'fields', 'fp_math', 'integer_math', 'lists', 'logic', 'macros', 'parse', 'plumbing', 'string', 'timestamps'];

function run(suite: Suite, counts: { ran: number; passed: number; failed: string[] }): void {
  for (const { original: o } of suite.tests ?? []) {
    let expected: unknown;
    let bindings: Record<string, unknown>;
    try {
      if (o.checkOnly || o.container || o.typedResult) throw new Skip('not an evaluation test');
      if (JSON.stringify(o.typeEnv ?? []).match(/messageType|function/)) throw new Skip('declarations');
      expected = o.evalError ? 'error' : o.value ? plain(o.value) : true;
      bindings = Object.fromEntries(Object.entries(o.bindings ?? {}).map(([k, v]) => [k, input(v.value)]));
    } catch (e) {
      if (e instanceof Skip) continue;
      throw e;
    }
    counts.ran++;
    let got: unknown;
    try {
      got = compileCel(o.expr).evaluate(bindings);
    } catch {
      got = 'error';
    }
    if (same(got, expected)) counts.passed++;
    else counts.failed.push(`${o.name}: ${o.expr}`);
  }
  for (const s of suite.suites ?? []) run(s, counts);
}

describe('CEL conformance (cel-spec data from @bufbuild/cel-spec)', () => {
  const all = (tests as unknown as Suite).suites ?? [];
  const results: Record<string, { ran: number; passed: number; failed: string[] }> = {};
  for (const name of SUITES) {
    const suite = all.find((s) => s.name === name);
    it(`${name}: passes at least the recorded number of cases`, () => {
      expect(suite).toBeDefined();
      const counts = { ran: 0, passed: 0, failed: [] as string[] };
      run(suite!, counts);
      results[name] = counts;
      const report = process.env['CEL_CONFORMANCE_REPORT'];
      if (report) appendFileSync(report, `${JSON.stringify({ name, ran: counts.ran, passed: counts.passed, failed: counts.failed })}\n`);
      expect(counts.ran).toBeGreaterThan(0);
      expect(counts.passed).toBeGreaterThanOrEqual(FLOOR[name] ?? 0);
    });
  }
});
