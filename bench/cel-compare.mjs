// Compares @bufbuild/cel and @marcbachmann/cel-js on a subset of the CEL conformance suite that
// @bufbuild/cel-spec ships (the cel-spec textproto tests, Apache-2.0), then on speed for a rule-like expression.
// Usage: node bench/cel-compare.mjs [--failures]   (both libraries and the data are devDependencies)
import { tests } from '@bufbuild/cel-spec/testdata/conformance.js';
import * as buf from '@bufbuild/cel';
import * as mb from '@marcbachmann/cel-js';

const SUITES = ['basic', 'comparisons', 'conversions', 'fp_math', 'integer_math', 'lists', 'logic', 'macros',
  'parse', 'plumbing', 'string', 'timestamps', 'fields'];

class Skip extends Error {}

/** Expected conformance value (cel.expr.Value JSON) → canonical string. */
function canonExpected(v) {
  if ('int64Value' in v) return `int:${BigInt(v.int64Value)}`;
  if ('uint64Value' in v) return `uint:${BigInt(v.uint64Value)}`;
  if ('doubleValue' in v) return `double:${canonDouble(Number(v.doubleValue))}`;
  if ('stringValue' in v) return `string:${JSON.stringify(v.stringValue)}`;
  if ('boolValue' in v) return `bool:${v.boolValue}`;
  if ('nullValue' in v) return 'null';
  if ('bytesValue' in v) return `bytes:${Buffer.from(v.bytesValue, 'base64').toString('hex')}`;
  if ('listValue' in v) return `[${(v.listValue.values ?? []).map(canonExpected).join(',')}]`;
  if ('mapValue' in v) return `{${(v.mapValue.entries ?? []).map((e) => `${canonExpected(e.key)}=>${canonExpected(e.value)}`).sort().join(',')}}`;
  if ('typeValue' in v) return `type:${v.typeValue}`;
  if ('objectValue' in v) {
    const o = v.objectValue;
    if (o['@type'] === 'type.googleapis.com/google.protobuf.Timestamp') return `timestamp:${canonTs(Date.parse(o.value), o.value)}`;
    if (o['@type'] === 'type.googleapis.com/google.protobuf.Duration') return `duration:${canonDur(o.value)}`;
  }
  throw new Skip('unsupported expected value');
}
function canonDouble(n) { return Number.isNaN(n) ? 'NaN' : Object.is(n, -0) ? '0' : String(n); }
function canonTs(ms, text) {
  const frac = /\.(\d+)/.exec(text ?? '')?.[1] ?? '';
  return `${Math.floor(ms / 1000)}.${frac.padEnd(9, '0').slice(0, 9)}`;
}
function canonDur(text) { // "1.5s", "-3s"
  const sec = Number(text.replace(/s$/, ''));
  return canonNanos(BigInt(Math.round(sec * 1e9)));
}
function canonNanos(n) { return String(n); }

/** Expected binding (cel.expr.Value JSON) → JS input, per library. */
function inputFrom(v, lib) {
  if ('int64Value' in v) return BigInt(v.int64Value);
  if ('uint64Value' in v) { if (lib === 'buf') return buf.celUint(BigInt(v.uint64Value)); throw new Skip('uint binding'); }
  if ('doubleValue' in v) return Number(v.doubleValue);
  if ('stringValue' in v) return v.stringValue;
  if ('boolValue' in v) return v.boolValue;
  if ('nullValue' in v) return null;
  if ('bytesValue' in v) return new Uint8Array(Buffer.from(v.bytesValue, 'base64'));
  if ('listValue' in v) return (v.listValue.values ?? []).map((x) => inputFrom(x, lib));
  if ('mapValue' in v) {
    const entries = (v.mapValue.entries ?? []).map((e) => [inputFrom(e.key, lib), inputFrom(e.value, lib)]);
    if (lib === 'buf') return new Map(entries);
    if (entries.some(([k]) => typeof k !== 'string')) throw new Skip('non-string map key binding');
    return Object.fromEntries(entries);
  }
  throw new Skip('unsupported binding');
}

function canonBuf(r) {
  if (buf.isCelError(r)) return 'error';
  if (typeof r === 'bigint') return `int:${r}`;
  if (buf.isCelUint(r)) return `uint:${r.value}`;
  if (typeof r === 'number') return `double:${canonDouble(r)}`;
  if (typeof r === 'string') return `string:${JSON.stringify(r)}`;
  if (typeof r === 'boolean') return `bool:${r}`;
  if (r === null) return 'null';
  if (r instanceof Uint8Array) return `bytes:${Buffer.from(r).toString('hex')}`;
  if (buf.isCelList(r)) return `[${[...r].map(canonBuf).join(',')}]`;
  if (buf.isCelMap(r)) return `{${[...r.entries()].map(([k, v]) => `${canonBuf(k)}=>${canonBuf(v)}`).sort().join(',')}}`;
  if (buf.isCelType(r)) return `type:${r.name}`;
  const tn = r?.desc?.typeName;
  if (tn === 'google.protobuf.Timestamp') return `timestamp:${r.message.seconds}.${String(r.message.nanos).padStart(9, '0')}`;
  if (tn === 'google.protobuf.Duration') return `duration:${BigInt(r.message.seconds) * 1000000000n + BigInt(r.message.nanos)}`;
  return `other:${String(r)}`;
}

function canonMb(r) {
  if (typeof r === 'bigint') return `int:${r}`;
  if (r?.constructor?.name === 'UnsignedInt') return `uint:${r.value}`;
  if (typeof r === 'number') return `double:${canonDouble(r)}`;
  if (typeof r === 'string') return `string:${JSON.stringify(r)}`;
  if (typeof r === 'boolean') return `bool:${r}`;
  if (r === null) return 'null';
  if (r instanceof Uint8Array) return `bytes:${Buffer.from(r).toString('hex')}`;
  if (Array.isArray(r)) return `[${r.map(canonMb).join(',')}]`;
  if (r instanceof Map) return `{${[...r.entries()].map(([k, v]) => `${canonMb(k)}=>${canonMb(v)}`).sort().join(',')}}`;
  if (r instanceof Date) {
    const ns = r.__nanos ?? 0;
    return `timestamp:${Math.floor(r.getTime() / 1000)}.${String((r.getTime() % 1000 + 1000) % 1000 * 1e6 + ns).padStart(9, '0')}`;
  }
  if (r?.constructor?.name === 'Duration') return `duration:${BigInt(r.seconds) * 1000000000n + BigInt(r.nanos ?? 0)}`;
  if (r?.constructor?.name === 'Type') return `type:${String(r).replace(/^Type<(.*)>$/, '$1')}`;
  if (r && typeof r === 'object' && Object.getPrototypeOf(r) === Object.prototype)
    return `{${Object.entries(r).map(([k, v]) => `string:${JSON.stringify(k)}=>${canonMb(v)}`).sort().join(',')}}`;
  return `other:${String(r)}`;
}

const mbEnv = new mb.Environment({ unlistedVariablesAreDyn: true });
const runners = {
  buf: (expr, bindings) => {
    const p = buf.plan(buf.celEnv(), buf.parse(expr));
    return canonBuf(p(bindings));
  },
  mb: (expr, bindings) => {
    const p = mbEnv.parse(expr);
    return canonMb(p(bindings));
  },
};

const counts = {}; // suite -> { total, skipped, buf, mb }
const failures = { buf: [], mb: [] };
function visit(suite, top) {
  for (const t of suite.tests ?? []) {
    const o = t.original;
    const c = (counts[top] ??= { total: 0, skipped: 0, buf: 0, mb: 0 });
    c.total++;
    let expected;
    try {
      if (o.checkOnly || o.container || o.typedResult) throw new Skip('not an eval test');
      if ((o.typeEnv ?? []).some((d) => !d.ident)) throw new Skip('function decls');
      if (JSON.stringify(o.typeEnv ?? []).includes('messageType')) throw new Skip('message types');
      expected = o.evalError ? 'error' : o.value ? canonExpected(o.value) : 'bool:true';
      for (const lib of ['buf', 'mb']) {
        const bindings = Object.fromEntries(Object.entries(o.bindings ?? {}).map(([k, v]) => [k, inputFrom(v.value, lib)]));
        o[`_${lib}`] = bindings;
      }
    } catch (e) {
      if (e instanceof Skip) { c.skipped++; continue; }
      throw e;
    }
    for (const lib of ['buf', 'mb']) {
      let got;
      try { got = runners[lib](o.expr, o[`_${lib}`]); } catch { got = 'error'; }
      if (got === expected) c[lib]++;
      else failures[lib].push(`${top}/${o.name}: ${o.expr} → expected ${expected}, got ${got}`);
    }
  }
  for (const s of suite.suites ?? []) visit(s, top);
}
for (const s of tests.suites) if (SUITES.includes(s.name)) visit(s, s.name);

const sum = { total: 0, skipped: 0, buf: 0, mb: 0 };
console.log('| suite | tests | run | @bufbuild/cel | @marcbachmann/cel-js |\n| --- | ---: | ---: | ---: | ---: |');
for (const [name, c] of Object.entries(counts)) {
  for (const k of Object.keys(sum)) sum[k] += c[k];
  console.log(`| ${name} | ${c.total} | ${c.total - c.skipped} | ${c.buf} | ${c.mb} |`);
}
console.log(`| **all** | ${sum.total} | ${sum.total - sum.skipped} | ${sum.buf} | ${sum.mb} |`);
if (process.argv.includes('--failures')) for (const lib of ['buf', 'mb']) { console.log(`\n${lib} failures:`); for (const f of failures[lib]) console.log('  ' + f); }

// Speed: a per-entry rule like the policy's (compiled once, evaluated many times on JSON input), 5 rounds
// interleaved so machine noise hits both alike; medians.
const N = 100_000;
const entries = Array.from({ length: N }, (_, i) => ({ name: `f${i}`, min: BigInt(i % 50), max: BigInt((i % 50) + 1 + (i % 3)) }));
const expr = 'self.min < self.max && self.name != ""';
const bp = buf.plan(buf.celEnv(), buf.parse(expr));
const mp = mbEnv.parse(expr);
const compileN = 2000;
const jobs = {
  evalBuf: () => { for (const e of entries) { if (bp({ self: e }) !== true) throw new Error('buf'); } },
  evalMb: () => { for (const e of entries) { if (mp({ self: e }) !== true) throw new Error('mb'); } },
  compileBuf: () => { for (let i = 0; i < compileN; i++) buf.plan(buf.celEnv(), buf.parse(expr + ` && ${i} >= 0`)); },
  compileMb: () => { for (let i = 0; i < compileN; i++) mbEnv.parse(expr + ` && ${i} >= 0`).check(); },
};
const times = Object.fromEntries(Object.keys(jobs).map((k) => [k, []]));
for (let round = 0; round < 6; round++) {
  for (const [k, fn] of Object.entries(jobs)) {
    const t0 = performance.now();
    fn();
    if (round > 0) times[k].push(performance.now() - t0); // round 0 warms up
  }
}
const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
console.log(`\nevaluate \`${expr}\` on ${N} entries (median of 5): @bufbuild/cel ${med(times.evalBuf).toFixed(0)} ms, @marcbachmann/cel-js ${med(times.evalMb).toFixed(0)} ms`);
console.log(`parse + check ${compileN} expressions (median of 5): @bufbuild/cel ${med(times.compileBuf).toFixed(0)} ms, @marcbachmann/cel-js ${med(times.compileMb).toFixed(0)} ms`);

// Size on disk of each library with its runtime dependencies (peer included), from node_modules.
const { readdirSync, readFileSync, statSync } = await import('node:fs');
const pathMod = await import('node:path');
function dirSize(dir) {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = pathMod.join(dir, e.name);
    n += e.isDirectory() ? (e.name === 'node_modules' ? 0 : dirSize(p)) : statSync(p).size;
  }
  return n;
}
function pkgDir(name) {
  return pathMod.join(pathMod.dirname(new URL(import.meta.url).pathname), '..', 'node_modules', name);
}
function sizeWithDeps(name, seen = new Set()) {
  if (seen.has(name)) return 0;
  seen.add(name);
  const dir = pkgDir(name);
  const pkg = JSON.parse(readFileSync(pathMod.join(dir, 'package.json'), 'utf8'));
  let n = dirSize(dir);
  for (const d of Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies })) n += sizeWithDeps(d, seen);
  return n;
}
const mib = (n) => `${(n / 1048576).toFixed(2)} MiB`;
console.log(`installed size with runtime dependencies: @bufbuild/cel ${mib(sizeWithDeps('@bufbuild/cel'))}, @marcbachmann/cel-js ${mib(sizeWithDeps('@marcbachmann/cel-js'))}`);
