// Shared helpers of the benchmarks: deterministic data, the realistic policy, timing.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

export const QUICK = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';

/** Deterministic PRNG (mulberry32). */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TYPES = ['numeric', 'boolean', 'string', 'categorical'];

/** One entry of the keyed list (~80 bytes of JSON). */
export function entry(rand, i) {
  return {
    name: `feature_${String(i).padStart(7, '0')}`,
    type: TYPES[Math.floor(rand() * TYPES.length)],
    weight: Math.round(rand() * 1e4) / 1e4,
    enabled: rand() < 0.9,
    tags: [`t${Math.floor(rand() * 50)}`],
  };
}

/**
 * Two JSON texts of an N-entry list keyed by `name`: current, and proposed with one entry modified (in the middle)
 * and one added (at the end). Also returns the parsed values.
 */
export function generate(n, { seed = 42, pretty = false } = {}) {
  const rand = mulberry32(seed);
  const features = [];
  for (let i = 0; i < n; i++) features.push(entry(rand, i));
  const current = { version: '1.0.0', service: 'edge', features };
  const proposedFeatures = features.slice();
  const mid = Math.floor(n / 2);
  proposedFeatures[mid] = { ...proposedFeatures[mid], type: proposedFeatures[mid].type === 'numeric' ? 'string' : 'numeric' };
  proposedFeatures.push(entry(rand, n));
  const proposed = { version: '1.0.1', service: 'edge', features: proposedFeatures };
  const indent = pretty ? 2 : undefined;
  return { currentText: JSON.stringify(current, null, indent), proposedText: JSON.stringify(proposed, null, indent), current, proposed };
}

/** JSON Schema of the config (entries fully described). */
export const CONFIG_SCHEMA = {
  type: 'object',
  required: ['version', 'features'],
  additionalProperties: false,
  properties: {
    version: { type: 'string', pattern: '^\\d+\\.\\d+\\.\\d+$' },
    service: { type: 'string' },
    features: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'type', 'weight', 'enabled'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', pattern: '^[a-z][a-z0-9_]*$', maxLength: 64 },
          type: { enum: ['numeric', 'boolean', 'string', 'categorical'] },
          weight: { type: 'number', minimum: 0, maximum: 1 },
          enabled: { type: 'boolean' },
          tags: { type: 'array', items: { type: 'string' }, maxItems: 16 },
        },
      },
    },
  },
};

/** The realistic policy: schema, keys, a maxItems + unique check, growth limits (defaults), input limits raised for 1M. */
export function gatePolicy(maxItems) {
  return {
    version: 1,
    schema: CONFIG_SCHEMA,
    keys: { '/features': 'name' },
    checks: [{ path: '/features', maxItems, unique: 'name' }],
    // The default input limit (64 MiB) would reject the ~80 MB 1M-entry document: raise it (and the node count).
    limits: { input: { maxBytes: '512MB', maxNodes: 100_000_000 } },
  };
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Median ms of `runs` timed calls after `warmup` untimed ones. */
export function measure(fn, { runs = 7, warmup = 2 } = {}) {
  let result;
  for (let i = 0; i < warmup; i++) result = fn();
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    result = fn();
    times.push(performance.now() - t0);
  }
  return { ms: median(times), times, result };
}

/** Same for async functions. */
export async function measureAsync(fn, { runs = 5, warmup = 1 } = {}) {
  let result;
  for (let i = 0; i < warmup; i++) result = await fn();
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    result = await fn();
    times.push(performance.now() - t0);
  }
  return { ms: median(times), times, result };
}

/**
 * Interleaved measurement of several functions: round-robin so that machine noise (other processes on a shared
 * box) hits every contender alike. Returns the median ms of each.
 */
export function measurePair(fns, { runs = 7, warmup = 2 } = {}) {
  const times = fns.map(() => []);
  const results = fns.map(() => undefined);
  for (let i = 0; i < warmup; i++) fns.forEach((f, k) => (results[k] = f()));
  for (let i = 0; i < runs; i++) {
    fns.forEach((f, k) => {
      const t0 = performance.now();
      results[k] = f();
      times[k].push(performance.now() - t0);
    });
  }
  return times.map((t, k) => ({ ms: median(t), times: t, result: results[k] }));
}

export async function measurePairAsync(fns, { runs = 5, warmup = 1 } = {}) {
  const times = fns.map(() => []);
  const results = fns.map(() => undefined);
  for (let i = 0; i < warmup; i++) for (let k = 0; k < fns.length; k++) results[k] = await fns[k]();
  for (let i = 0; i < runs; i++) {
    for (let k = 0; k < fns.length; k++) {
      const t0 = performance.now();
      results[k] = await fns[k]();
      times[k].push(performance.now() - t0);
    }
  }
  return times.map((t, k) => ({ ms: median(t), times: t, result: results[k] }));
}

export const fmtMs = (ms) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
export const fmtN = (n) => n.toLocaleString('en-US');

/** Preloaded into a measured CLI process: it reports its own CPU time and peak RSS (CommonJS: see the file). */
const USAGE_PRELOAD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'usage-preload.cjs');

/**
 * Run the CLI `bin` with `args` in a process of its own, under {@link USAGE_PRELOAD}: its CPU time (user + system, ms)
 * and peak RSS (MB), NaN when it reported none, with its exit code, stdout and stderr. `nodeArgs` come before the
 * preload, `env` over the inherited environment (colour and the GitHub step summary are off).
 */
export function runCli(bin, args, { nodeArgs = [], cwd, env = {} } = {}) {
  const r = spawnSync(process.execPath, [...nodeArgs, `--require=${USAGE_PRELOAD}`, bin, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    cwd,
    env: { ...process.env, NO_COLOR: '1', GITHUB_STEP_SUMMARY: '', ...env },
  });
  const m = /@@usage (\{.*\})\s*$/.exec(r.stderr ?? '');
  const usage = m ? JSON.parse(m[1]) : { cpu: NaN, rss: NaN };
  return { cpu: usage.cpu, rss: usage.rss, code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}
