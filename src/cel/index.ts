/**
 * The project's one expression language: CEL (https://cel.dev), through `@marcbachmann/cel-js`.
 *
 * `compileCel(source)` parses and type-checks once; `program.evaluate(bindings)` runs the compiled program on JSON
 * values. Used by the policy's `rules` (src/rules/) and by analysis conditions. Why this library and not
 * `@bufbuild/cel`: see the README ("CEL: which evaluator") and BENCHMARKS.md (conformance, speed, size).
 *
 * Numbers: JSON has one number type, CEL has `int` and `double` and never mixes them in arithmetic. A JSON number
 * that is an integer in the safe range (|n| <= 2^53 - 1) is passed to CEL as an `int`, any other number as a
 * `double`. So `self.port == 443`, `self.replicas > 2` and `sum == 100` work on JSON input as written; to mix
 * with fractions, convert: `double(self.weight) * 1.5`. Equality and ordering across int and double work in CEL
 * (`self.ratio < 1` is fine); arithmetic does not (`self.port + 0.5` is an evaluation error).
 *
 * Results come back as plain values: `int`/`uint` as a number (a `bigint` when outside the safe range, never
 * rounded), `double` as a number, maps as plain objects, lists as arrays, `timestamp` as a `Date`, `duration`
 * as a string such as `90s`, `type` as its name, bytes as a `Uint8Array`.
 */
import { Environment } from '@marcbachmann/cel-js';
import { ConfgateError } from '../errors.js';

/** Where in an expression a compile error is. `line` and `column` are 1-based, `offset` 0-based, within the source. */
export interface CelPosition {
  offset: number;
  line: number;
  column: number;
}

/** Options of {@link compileCel}. */
export interface CelCompileOptions {
  /**
   * The variables the expression may use (each of any type). A reference to any other name is a compile error,
   * so a typo such as `slef.port` is caught when the policy loads rather than on the first push.
   * When omitted, any name is accepted and an unbound one is an evaluation error.
   * @default undefined (any name)
   */
  variables?: readonly string[];
}

/** A compiled CEL expression. Compile once, evaluate many times. */
export interface CelProgram {
  /** The expression as written. */
  readonly source: string;
  /**
   * Runs the program. Bindings are JSON values (plus `Date` for timestamps); see the module notes for numbers.
   * Throws {@link CelEvalError} (`E_CEL_EVAL`) when the expression fails on these values (no such key, no such
   * overload, division by zero...).
   */
  evaluate(bindings: Record<string, unknown>): unknown;
}

/** A CEL expression does not parse or does not type-check. Thrown by {@link compileCel}. */
export class CelCompileError extends ConfgateError {
  /** The expression. */
  readonly source: string;
  /** Where in the expression, when the library reports it. */
  readonly position?: CelPosition;
  /** The library's one-line reason, without the source excerpt (e.g. `Unexpected token: EOF`). */
  readonly reason: string;
  constructor(source: string, reason: string, options?: { position?: CelPosition; cause?: unknown }) {
    const at = options?.position ? ` at ${options.position.line}:${options.position.column}` : '';
    super('E_CEL_COMPILE', `CEL expression \`${oneLine(source)}\` does not compile${at}: ${reason}`, {
      cause: options?.cause,
    });
    this.source = source;
    this.reason = reason;
    if (options?.position) this.position = options.position;
  }
}

/** A compiled CEL expression failed on the values it was given. Thrown by {@link CelProgram.evaluate}. */
export class CelEvalError extends ConfgateError {
  /** The expression. */
  readonly source: string;
  /** The library's one-line reason (e.g. `No such key: port`). */
  readonly reason: string;
  constructor(source: string, reason: string, options?: { cause?: unknown }) {
    super('E_CEL_EVAL', `CEL expression \`${oneLine(source)}\` failed: ${reason}`, { cause: options?.cause });
    this.source = source;
    this.reason = reason;
  }
}

/**
 * A value already converted for CEL (see {@link prepareCelValue}). Evaluating with it skips the conversion, so a
 * document converted once can be bound to many evaluations (one per matched entry) without copying it each time.
 */
export class PreparedCelValue {
  /** @internal */
  readonly value: unknown;
  /** @internal */
  constructor(value: unknown) {
    this.value = value;
  }
  /** The converted value at a JSON Pointer's segments, or `undefined` when absent. */
  at(segments: readonly string[]): PreparedCelValue | undefined {
    let v: unknown = this.value;
    for (const s of segments) {
      if (Array.isArray(v)) {
        if (!/^(0|[1-9]\d*)$/.test(s)) return undefined;
        v = v[Number(s)];
      } else if (isObject(v) && Object.hasOwn(v, s)) v = (v as Record<string, unknown>)[s];
      else return undefined;
      if (v === undefined) return undefined;
    }
    return new PreparedCelValue(v);
  }
}

/** Converts a JSON value for CEL once, to bind it to many evaluations (see {@link PreparedCelValue}). */
export function prepareCelValue(value: unknown): PreparedCelValue {
  return new PreparedCelValue(toCel(value));
}

// Environments are built on first use (not at import: the CLI's cold start should not pay for CEL it never runs).
let anyNameEnv: Environment | undefined;
const envCache = new Map<string, Environment>();

function environmentFor(variables: readonly string[] | undefined): Environment {
  if (variables === undefined) return (anyNameEnv ??= new Environment({ unlistedVariablesAreDyn: true, homogeneousAggregateLiterals: false }));
  const key = [...variables].sort().join('\0');
  let env = envCache.get(key);
  if (!env) {
    env = new Environment({ unlistedVariablesAreDyn: false, homogeneousAggregateLiterals: false });
    for (const name of new Set(variables)) env.registerVariable(name, 'dyn');
    envCache.set(key, env);
  }
  return env;
}

/**
 * Parses and type-checks a CEL expression once. Throws {@link CelCompileError} (`E_CEL_COMPILE`, with the position
 * when known) on a syntax error, a type error (`1 + "a"`), or a variable not in `options.variables`.
 */
export function compileCel(source: string, options?: CelCompileOptions): CelProgram {
  if (typeof source !== 'string') throw new CelCompileError(String(source), `expected a string, got ${typeof source}`);
  if (source.trim() === '') throw new CelCompileError(source, 'the expression is empty');
  const env = environmentFor(options?.variables);
  let run: (context: Record<string, unknown>) => unknown;
  try {
    const parsed = env.parse(source);
    const checked = parsed.check();
    if (!checked.valid) throw checked.error ?? new Error('type check failed');
    run = parsed as unknown as (context: Record<string, unknown>) => unknown;
  } catch (err) {
    throw new CelCompileError(source, reasonOf(err), { position: positionOf(source, err), cause: err });
  }
  const program: CelProgram = {
    source,
    evaluate(bindings: Record<string, unknown>): unknown {
      const context: Record<string, unknown> = {};
      for (const name of Object.keys(bindings)) {
        const v = bindings[name];
        context[name] = v instanceof PreparedCelValue ? v.value : toCel(v);
      }
      let out: unknown;
      try {
        out = run(context);
      } catch (err) {
        throw new CelEvalError(source, reasonOf(err), { cause: err });
      }
      if (out instanceof Promise) throw new CelEvalError(source, 'the expression is asynchronous');
      return fromCel(out);
    },
  };
  asts.set(program, (run as { ast?: unknown }).ast);
  return program;
}

const asts = new WeakMap<CelProgram, unknown>();

/**
 * The identifiers a compiled expression refers to (variables, and comprehension variables: an over-approximation),
 * or `undefined` when unknown. Lets a caller skip converting documents an expression never reads.
 */
export function celIdentifiers(program: CelProgram): string[] | undefined {
  const ast = asts.get(program);
  if (ast === undefined) return undefined;
  const out = new Set<string>();
  const stack: unknown[] = [ast];
  while (stack.length > 0) {
    const n = stack.pop();
    if (n === null || typeof n !== 'object') continue;
    if (Array.isArray(n)) {
      for (const x of n) stack.push(x);
      continue;
    }
    const node = n as { op?: unknown; args?: unknown };
    if (node.op === 'id' && typeof node.args === 'string') out.add(node.args);
    else if (node.op !== undefined) stack.push(node.args);
  }
  return [...out];
}

/* ------------------------------------------------------------ conversions */

function isObject(v: unknown): v is object {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON value → CEL input: safe integers become `int` (bigint), objects get a null prototype (any key is data). */
function toCel(v: unknown): unknown {
  switch (typeof v) {
    case 'number':
      return Number.isSafeInteger(v) ? BigInt(v) : v;
    case 'undefined':
      return null;
    case 'object': {
      if (v === null || v instanceof Date || v instanceof Uint8Array) return v;
      if (Array.isArray(v)) {
        const out = new Array<unknown>(v.length);
        for (let i = 0; i < v.length; i++) out[i] = toCel(v[i]);
        return out;
      }
      if (v instanceof Map) {
        const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
        for (const [k, x] of v) if (x !== undefined) out[String(k)] = toCel(x);
        return out;
      }
      const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
      for (const k of Object.keys(v)) {
        const x = (v as Record<string, unknown>)[k];
        if (x !== undefined) out[k] = toCel(x);
      }
      return out;
    }
    default:
      return v;
  }
}

/** CEL result → plain value. */
function fromCel(v: unknown): unknown {
  switch (typeof v) {
    case 'bigint':
      return bigToPlain(v);
    case 'object': {
      if (v === null || v instanceof Date || v instanceof Uint8Array) return v;
      if (Array.isArray(v)) return v.map(fromCel);
      if (v instanceof Map) {
        const out: Record<string, unknown> = {};
        for (const [k, x] of v) setKey(out, String(fromCel(k)), fromCel(x));
        return out;
      }
      const name = (v as { constructor?: { name?: string } }).constructor?.name;
      if (name === 'UnsignedInt') return bigToPlain((v as { value: bigint }).value);
      if (name === 'Duration') return durationText(v as { seconds: number | bigint; nanos?: number });
      if (name === 'Type') return String(v).replace(/^Type<(.*)>$/, '$1');
      if (name === 'Optional') {
        const o = v as { hasValue(): boolean; value(): unknown };
        return o.hasValue() ? fromCel(o.value()) : null;
      }
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v)) setKey(out, k, fromCel((v as Record<string, unknown>)[k]));
      return out;
    }
    default:
      return v;
  }
}

function bigToPlain(v: bigint): number | bigint {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v;
}

function setKey(out: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  else out[k] = v;
}

function durationText(d: { seconds: number | bigint; nanos?: number }): string {
  const nanos = BigInt(d.seconds) * 1_000_000_000n + BigInt(d.nanos ?? 0);
  const neg = nanos < 0n;
  const abs = neg ? -nanos : nanos;
  const whole = abs / 1_000_000_000n;
  const frac = (abs % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${whole}${frac ? `.${frac}` : ''}s`;
}

/* ----------------------------------------------------------------- errors */

function reasonOf(err: unknown): string {
  if (err && typeof err === 'object') {
    const summary = (err as { summary?: unknown }).summary;
    if (typeof summary === 'string' && summary) return summary;
    const message = (err as { message?: unknown }).message;
    if (typeof message === 'string') return message.split('\n')[0] ?? message;
  }
  return String(err);
}

function positionOf(source: string, err: unknown): CelPosition | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as { range?: { start?: unknown }; node?: { pos?: unknown } };
  const offset = typeof e.range?.start === 'number' ? e.range.start : typeof e.node?.pos === 'number' ? e.node.pos : undefined;
  if (offset === undefined || offset < 0 || offset > source.length) return undefined;
  const before = source.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return { offset, line, column };
}

function oneLine(s: string): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > 120 ? `${flat.slice(0, 117)}...` : flat;
}
