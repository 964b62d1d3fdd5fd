// confgate benchmarks: every benchmark measures confgate (the BUILT package, dist/) and its floor or peer side by
// side in the same process and run, interleaved round-robin so machine noise hits both alike, and prints the
// ratio of the medians. Goals are ratios; absolute times are context. Never fails on timing: exits 0 and prints
// "goal met" / "goal missed" per row.
//
//   npm run bench                       # build, then every benchmark at full size
//   node bench/run.mjs --quick          # smoke run with small sizes (or BENCH_QUICK=1)
//   node bench/run.mjs --only=gate,diff # a subset: gate, diff, yaml, small, cli, rollout, rollout-pg, memory, growth, rules, analysis
//   CONFGATE_DIST=/path/to/index.js node bench/run.mjs   # another build of the library
//
// Data are generated with a deterministic PRNG (bench/lib.mjs).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Ajv from 'ajv';
import formatsModule from 'ajv-formats';
import microdiff from 'microdiff';
import pLimit from 'p-limit';
import YAML from 'yaml';
import {
  CONFIG_SCHEMA,
  QUICK,
  fmtMs,
  fmtN,
  gatePolicy,
  generate,
  measurePair,
  measurePairAsync,
  median,
} from './lib.mjs';
import { benchAnalysis } from './analysis.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const distUrl = process.env.CONFGATE_DIST ? pathToFileURL(path.resolve(process.env.CONFGATE_DIST)).href : pathToFileURL(path.join(root, 'dist/index.js')).href;
const cg = await import(distUrl);
const addFormats = formatsModule.default ?? formatsModule;

const onlyArg = process.argv.find((a) => a.startsWith('--only='));
const ONLY = onlyArg ? new Set(onlyArg.slice(7).split(',')) : undefined;
const want = (name) => !ONLY || ONLY.has(name);

const AT = new Date('2025-06-01T12:00:00Z');
const SIZE = QUICK ? 10_000 : 100_000;
const GROWTH_SIZES = QUICK ? [1_000, 10_000] : [10_000, 100_000, 1_000_000];
const results = [];

function floorValidator() {
  // The same ajv options confgate uses for config schemas (src/validate/ajv.ts), compiled once.
  const ajv = new Ajv({ allErrors: true, strict: false, logger: false });
  addFormats(ajv);
  return ajv.compile(CONFIG_SCHEMA);
}

function row(what, oursMs, floorMs, goal, { unit = 'ms', higherIsBetter = false, ratio, note = '' } = {}) {
  const r = ratio ?? oursMs / floorMs;
  const met = higherIsBetter ? r >= goal : r <= goal;
  results.push({ what, oursMs, floorMs, ratio: r, goal, met, unit, higherIsBetter, note });
  const goalText = higherIsBetter ? `>= ${fmtN(goal)}` : `<= ${goal}x`;
  const shown = higherIsBetter ? fmtN(Math.round(r)) : `${r.toFixed(2)}x`;
  console.log(`  => ${shown} (goal ${goalText}): goal ${met ? 'met' : 'MISSED'}${note ? ` — ${note}` : ''}`);
}

function header(title) {
  console.log('');
  console.log(`## ${title}`);
}

// ---------------------------------------------------------------- gate

function gateCase(n, runs, warmup) {
  const { currentText, proposedText } = generate(n);
  const gate = cg.createGate(gatePolicy(n * 2));
  const validate = floorValidator();
  const [ours, floor] = measurePair(
    [
      () => gate.evaluate({ proposed: { text: proposedText }, current: { text: currentText }, at: AT }),
      () => {
        const current = JSON.parse(currentText);
        const proposed = JSON.parse(proposedText);
        if (!validate(proposed)) throw new Error('floor: schema rejects the proposed config');
        return [current, proposed];
      },
    ],
    { runs, warmup },
  );
  const report = ours.result;
  const rules = report.findings.map((f) => f.rule);
  if (rules.some((r) => r.startsWith('input.') || r === 'parse.error' || r === 'internal.error' || r === 'schema')) {
    throw new Error(`gate benchmark is not measuring a full evaluation: ${rules.join(', ')}`);
  }
  if (report.changes.total !== 3) throw new Error(`expected 3 changes (version, one modified, one added), got ${report.changes.total}`);
  return { ours: ours.ms, floor: floor.ms, mb: (currentText.length + proposedText.length) / 2 / 1e6, report };
}

function benchGate() {
  header(`gate: ${fmtN(SIZE)}-entry keyed list, from text (load both, validate, diff, score) vs JSON.parse both + ajv`);
  const r = gateCase(SIZE, QUICK ? 5 : 7, 2);
  console.log(`  proposed ~${r.mb.toFixed(1)} MB; verdict ${r.report.verdict}; findings: ${r.report.findings.map((f) => f.rule).join(', ') || 'none'}`);
  console.log(`  confgate ${fmtMs(r.ours)} ms, floor ${fmtMs(r.floor)} ms`);
  row(`gate, ${fmtN(SIZE)} entries (~${r.mb.toFixed(0)} MB)`, r.ours, r.floor, 2.5);
}

// ---------------------------------------------------------------- rules (issue 13)

/** The gate with one per-entry CEL rule (a comparison of two fields) vs the same gate without it, side by side. */
function benchRules() {
  header(`rules: ${fmtN(SIZE)}-entry gate with one per-entry CEL rule (path /features/*, two fields compared) vs without`);
  const { currentText, proposedText } = generate(SIZE);
  const plain = cg.createGate(gatePolicy(SIZE * 2));
  const withRule = cg.createGate({
    ...gatePolicy(SIZE * 2),
    rules: [{ id: 'name-not-type', path: '/features/*', expr: 'self.name != self.type', message: 'feature {{self.name}} is named after its type' }],
  });
  const input = { proposed: { text: proposedText }, current: { text: currentText }, at: AT };
  const [ours, floor] = measurePair([() => withRule.evaluate(input), () => plain.evaluate(input)], { runs: QUICK ? 5 : 7, warmup: 2 });
  const ruleFindings = ours.result.findings.filter((f) => f.rule.startsWith('rule.') || f.rule === 'internal.error');
  if (ruleFindings.length > 0) throw new Error(`the rule should pass on every entry: ${ruleFindings.slice(0, 3).map((f) => f.message).join('; ')}`);
  if (ours.result.changes.total !== 3 || floor.result.changes.total !== 3) throw new Error('expected 3 changes in both runs');
  console.log(`  gate + rule ${fmtMs(ours.ms)} ms, gate ${fmtMs(floor.ms)} ms (${fmtN(SIZE + 1)} rule evaluations)`);
  row(`gate + one per-entry CEL rule, ${fmtN(SIZE)} entries, vs the gate without it`, ours.ms, floor.ms, 2);
}

// ---------------------------------------------------------------- diff

function benchDiff() {
  header(`diff alone: diffConfigs (keyed) vs microdiff (positional), ${fmtN(SIZE)} entries`);
  const { currentText, proposedText } = generate(SIZE);
  const current = JSON.parse(currentText);
  const proposed = JSON.parse(proposedText);
  const options = { keys: { '/features': 'name' } };
  const [ours, peer] = measurePair([() => cg.diffConfigs(current, proposed, options), () => microdiff(current, proposed)], { runs: QUICK ? 5 : 9, warmup: 2 });
  console.log(`  diffConfigs ${fmtMs(ours.ms)} ms (${ours.result.length} changes), microdiff ${fmtMs(peer.ms)} ms (${peer.result.length} changes)`);
  row(`diff, ${fmtN(SIZE)} entries`, ours.ms, peer.ms, 1.5);
}

// ---------------------------------------------------------------- yaml

function yamlText(targetBytes) {
  // A realistic YAML config: the keyed list in block style, ~2 MB.
  let n = 1000;
  for (;;) {
    const { current } = generate(n);
    const text = YAML.stringify(current);
    if (text.length >= targetBytes) return text;
    n = Math.ceil(n * (targetBytes / text.length) * 1.02);
  }
}

function benchYaml() {
  const target = QUICK ? 200_000 : 2_000_000;
  const text = yamlText(target);
  header(`YAML load with positions: parseConfig(text, { format: 'yaml' }) vs yaml parseDocument, ${(text.length / 1e6).toFixed(2)} MB`);
  const [ours, peer] = measurePair(
    [() => cg.parseConfig(text, { format: 'yaml' }), () => YAML.parseDocument(text)],
    { runs: QUICK ? 5 : 9, warmup: 2 },
  );
  if (ours.result.failed) throw new Error(`YAML benchmark document failed to load: ${ours.result.findings.map((f) => f.message).join('; ')}`);
  const loc = ours.result.locate('/features/10/weight');
  console.log(`  parseConfig ${fmtMs(ours.ms)} ms, parseDocument ${fmtMs(peer.ms)} ms (locate('/features/10/weight') = line ${loc?.line})`);
  const [withJs] = measurePair([() => YAML.parseDocument(text).toJS()], { runs: QUICK ? 3 : 5, warmup: 1 });
  console.log(`  (context: parseDocument + toJS ${fmtMs(withJs.ms)} ms)`);
  row(`YAML load, ${(text.length / 1e6).toFixed(1)} MB`, ours.ms, peer.ms, 1.2);
}

// ---------------------------------------------------------------- small pushes

function benchSmall() {
  // ~10 KB: entries of ~80 bytes.
  let n = 100;
  let g = generate(n);
  while (g.proposedText.length < 10_000) g = generate(++n);
  const { currentText, proposedText } = g;
  header(`small pushes: ${(proposedText.length / 1024).toFixed(1)} KB config (${n} entries), policy compiled once, one core`);
  const gate = cg.createGate(gatePolicy(1000));
  const validate = floorValidator();
  const evalOnce = () => gate.evaluate({ proposed: { text: proposedText }, current: { text: currentText }, at: AT });
  const floorOnce = () => {
    const c = JSON.parse(currentText);
    const p = JSON.parse(proposedText);
    if (!validate(p)) throw new Error('floor: schema rejects');
    return c;
  };
  // Evaluations per second: count calls in fixed slices, alternating gate and floor, median of the slices.
  const sliceMs = QUICK ? 150 : 400;
  const slices = QUICK ? 5 : 9;
  const rate = (fn) => {
    let count = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < sliceMs) {
      for (let i = 0; i < 20; i++) fn();
      count += 20;
      t = performance.now();
    }
    return (count * 1000) / (t - t0);
  };
  rate(evalOnce);
  rate(floorOnce);
  const ours = [];
  const floor = [];
  for (let i = 0; i < slices; i++) {
    ours.push(rate(evalOnce));
    floor.push(rate(floorOnce));
  }
  const o = median(ours);
  const f = median(floor);
  console.log(`  confgate ${fmtN(Math.round(o))} evaluations/s (${(1000 / o).toFixed(3)} ms each); floor ${fmtN(Math.round(f))}/s (${(1000 / f).toFixed(3)} ms)`);
  console.log(`  floor ratio (time per evaluation / time per floor): ${(f / o).toFixed(2)}x`);
  row(`small pushes, ${(proposedText.length / 1024).toFixed(0)} KB: evaluations/s`, 1000 / o, 1000 / f, 10_000, {
    higherIsBetter: true,
    ratio: o,
    note: `floor ratio ${(f / o).toFixed(2)}x`,
  });
}

// ---------------------------------------------------------------- CLI cold start

function benchCli() {
  header('CLI cold start: `confgate check` on two 1 KB files vs node importing only the runtime dependencies');
  const dir = mkdtempSync(path.join(tmpdir(), 'confgate-bench-cli-'));
  try {
    let n = 5;
    let g = generate(n);
    while (g.proposedText.length < 1000) g = generate(++n);
    const proposed = path.join(dir, 'proposed.json');
    const current = path.join(dir, 'current.json');
    writeFileSync(proposed, g.proposedText);
    writeFileSync(current, g.currentText);
    const bin = path.join(root, 'dist/cli/bin.cjs');
    const floorScript = path.join(here, 'deps-only.mjs');
    const run = (args) => {
      const t0 = performance.now();
      const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
      const ms = performance.now() - t0;
      return { ms, status: r.status, stderr: r.stderr };
    };
    const check = [bin, 'check', '--proposed', proposed, '--current', current, '--at', AT.toISOString()];
    const first = run(check);
    if (first.status !== 0) throw new Error(`confgate check exited ${first.status}: ${first.stderr}`);
    run([floorScript]);
    const runs = QUICK ? 7 : 15;
    const ours = [];
    const floor = [];
    for (let i = 0; i < runs; i++) {
      ours.push(run(check).ms);
      floor.push(run([floorScript]).ms);
    }
    const o = median(ours);
    const f = median(floor);
    const bare = median(Array.from({ length: QUICK ? 3 : 7 }, () => run(['-e', '0']).ms));
    console.log(`  confgate check ${fmtMs(o)} ms, deps-only node ${fmtMs(f)} ms (context: bare \`node -e 0\` ${fmtMs(bare)} ms), median of ${runs}`);
    row('CLI cold start, `check` on 1 KB files', o, f, 1.5);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- rollout

const STAGES = [
  { name: 'canary', percent: 1, bake: 0 },
  { name: 'early', percent: 10, bake: 0 },
  { name: 'global', percent: 100, bake: 0 },
];

function makeTargets(n) {
  const regions = ['SCL', 'MIA', 'LAX', 'AMS', 'FRA', 'SIN', 'NRT', 'GRU'];
  return Array.from({ length: n }, (_, i) => ({ id: `edge-${String(i).padStart(7, '0')}`, labels: { region: regions[i % regions.length] } }));
}

async function rolloutCase(n, runs, warmup) {
  const targets = makeTargets(n);
  const plan = cg.planRollout({ targets, stages: STAGES, failureDomain: 'region', at: AT });
  const dir = mkdtempSync(path.join(tmpdir(), 'confgate-bench-rollout-'));
  const proposed = { version: '1.0.1' };
  const lkg = { version: '1.0.0' };
  const noop = () => undefined;
  const yes = () => true; // health fails closed: only true or { healthy: true } passes
  let k = 0;
  try {
    const ours = async () => {
      const journal = new cg.FileJournal(path.join(dir, `journal-${k++}.jsonl`));
      const r = await cg.runRollout({ plan, proposed, lkg, apply: noop, health: yes, rollback: noop, concurrency: 256, journal });
      if (r.status !== 'completed') throw new Error(`rollout ${r.status}: ${r.reason}`);
      rmSync(journal.path, { force: true });
      return r;
    };
    const floor = async () => {
      // The same hooks, bare p-limit: apply each wave, then health of every target changed so far (as the engine does).
      const limit = pLimit(256);
      const changed = [];
      const ctx = { config: proposed, lkg, changes: [], signal: new AbortController().signal, rolloutId: 'floor', attempt: 1 };
      for (const wave of plan.waves) {
        await Promise.all(wave.targets.map((t) => limit(() => noop(t, { ...ctx, stage: wave }))));
        for (const t of wave.targets) changed.push(t);
        await Promise.all(changed.map((t) => limit(() => yes(t, { ...ctx, stage: wave }))));
      }
      return changed.length;
    };
    const [o, f] = await measurePairAsync([ours, floor], { runs, warmup });
    return { ours: o.ms, floor: f.ms, waves: plan.waves.map((w) => w.targets.length) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchRollout() {
  header(`rollout: ${fmtN(SIZE)} targets, 3 stages, zero bake, no-op hooks, concurrency 256, FileJournal vs bare p-limit`);
  const r = await rolloutCase(SIZE, QUICK ? 3 : 5, 1);
  console.log(`  waves ${r.waves.join(' / ')} targets; confgate ${fmtMs(r.ours)} ms, p-limit ${fmtMs(r.floor)} ms`);
  row(`rollout, ${fmtN(SIZE)} targets, FileJournal`, r.ours, r.floor, 3);
}

// ---------------------------------------------------------------- rollout with the PostgreSQL store

// The same 100k-target rollout journaled in PostgreSQL (127.0.0.1:5432, database `test`; CONFGATE_BENCH_PG overrides)
// and in a FileJournal, measured in alternation in one run. A fresh schema, dropped afterwards; a fresh scope per run.
async function benchRolloutPg() {
  const url = process.env.CONFGATE_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
  const schema = `confgate_bench_${process.pid}`;
  header(`rollout: ${fmtN(SIZE)} targets, PostgreSQL store vs FileJournal (same run; ${url.replace(/:[^:@/]*@/, ':***@')})`);
  const targets = makeTargets(SIZE);
  const plan = cg.planRollout({ targets, stages: STAGES, failureDomain: 'region', at: AT });
  const dir = mkdtempSync(path.join(tmpdir(), 'confgate-bench-pg-'));
  const proposed = { version: '1.0.1' };
  const lkg = { version: '1.0.0' };
  const noop = () => undefined;
  let k = 0;
  const run = async (journal) => {
    const r = await cg.runRollout({ plan, proposed, lkg, apply: noop, health: () => true, rollback: noop, concurrency: 256, journal });
    if (r.status !== 'completed') throw new Error(`rollout ${r.status}: ${r.reason}`);
    return r;
  };
  try {
    const pgRun = () => run(new cg.PostgresJournal(url, { schema, scope: `bench-${k++}` }));
    const fileRun = async () => {
      const journal = new cg.FileJournal(path.join(dir, `journal-${k++}.jsonl`), { lockDir: path.join(dir, 'locks') });
      await run(journal);
      rmSync(journal.path, { force: true });
    };
    const [p, f] = await measurePairAsync([pgRun, fileRun], { runs: QUICK ? 3 : 5, warmup: 1 });
    console.log(`  PostgreSQL ${fmtMs(p.ms)} ms, FileJournal ${fmtMs(f.ms)} ms`);
    row(`rollout, ${fmtN(SIZE)} targets, PostgreSQL store`, p.ms, f.ms, 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    const { default: pg } = await import('pg');
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await c.end();
  }
}

// ---------------------------------------------------------------- memory

function benchMemory() {
  header(`peak memory of the gate on the ${fmtN(SIZE)}-entry documents (child processes, --expose-gc)`);
  const dir = mkdtempSync(path.join(tmpdir(), 'confgate-bench-mem-'));
  try {
    const { currentText, proposedText } = generate(SIZE);
    const small = generate(500);
    const files = {
      proposed: path.join(dir, 'proposed.json'),
      current: path.join(dir, 'current.json'),
      smallProposed: path.join(dir, 'small-proposed.json'),
      smallCurrent: path.join(dir, 'small-current.json'),
    };
    writeFileSync(files.proposed, proposedText);
    writeFileSync(files.current, currentText);
    writeFileSync(files.smallProposed, small.proposedText);
    writeFileSync(files.smallCurrent, small.currentText);
    const input = proposedText.length + currentText.length;
    const child = (mode) => {
      const r = spawnSync(process.execPath, ['--expose-gc', path.join(here, 'memory-child.mjs'), mode, JSON.stringify(files), String(SIZE * 2)], {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, CONFGATE_DIST: distUrl },
      });
      if (r.status !== 0) throw new Error(`memory child (${mode}) failed: ${r.stderr}`);
      return JSON.parse(r.stdout);
    };
    const runs = QUICK ? 1 : 3;
    const ours = Array.from({ length: runs }, () => child('gate'));
    const floor = Array.from({ length: runs }, () => child('floor'));
    const o = median(ours.map((m) => m.peakOverBaseline));
    const f = median(floor.map((m) => m.peakOverBaseline));
    const oh = median(ours.map((m) => m.heapAfter - m.heapBaseline));
    const mb = (b) => `${(b / 1048576).toFixed(1)} MiB`;
    console.log(`  input ${mb(input)} (both documents' text); baseline RSS ${mb(ours[0].baseline)} (texts loaded, code warmed, after gc)`);
    console.log(`  gate peak RSS over baseline ${mb(o)} = ${(o / input).toFixed(2)}x input; retained heap after (report + docs alive) ${mb(oh)}`);
    console.log(`  floor (JSON.parse both + ajv) peak over baseline ${mb(f)} = ${(f / input).toFixed(2)}x input`);
    row(`peak memory, ${fmtN(SIZE)}-entry gate (x input)`, o, input, 6, { note: `floor ${(f / input).toFixed(2)}x input` });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- growth

async function benchGrowth() {
  header('growth: time per entry / per target at each size (linear growth = flat ns per item)');
  console.log('');
  console.log(`${'entries'.padStart(10)}${'gate ms'.padStart(10)}${'floor ms'.padStart(10)}${'ratio'.padStart(8)}${'gate ns/entry'.padStart(15)}${'floor ns/entry'.padStart(16)}`);
  const gateRows = [];
  for (const n of GROWTH_SIZES) {
    const big = n >= 1_000_000;
    const r = gateCase(n, big ? 3 : 5, 1);
    gateRows.push({ n, ...r });
    console.log(
      `${fmtN(n).padStart(10)}${fmtMs(r.ours).padStart(10)}${fmtMs(r.floor).padStart(10)}${(r.ours / r.floor).toFixed(2).padStart(8)}${((r.ours * 1e6) / n).toFixed(0).padStart(15)}${((r.floor * 1e6) / n).toFixed(0).padStart(16)}`,
    );
  }
  console.log(`  (${fmtN(GROWTH_SIZES.at(-1))} entries = ~${gateRows.at(-1).mb.toFixed(0)} MB per document: the policy raises limits.input.maxBytes to 512MB and maxNodes to 1e8)`);
  console.log('');
  console.log(`${'targets'.padStart(10)}${'rollout ms'.padStart(12)}${'p-limit ms'.padStart(12)}${'ratio'.padStart(8)}${'rollout ns/target'.padStart(19)}${'p-limit ns/target'.padStart(19)}`);
  const rolloutRows = [];
  for (const n of GROWTH_SIZES) {
    const big = n >= 1_000_000;
    const r = await rolloutCase(n, big ? 3 : 5, 1);
    rolloutRows.push({ n, ...r });
    console.log(
      `${fmtN(n).padStart(10)}${fmtMs(r.ours).padStart(12)}${fmtMs(r.floor).padStart(12)}${(r.ours / r.floor).toFixed(2).padStart(8)}${((r.ours * 1e6) / n).toFixed(0).padStart(19)}${((r.floor * 1e6) / n).toFixed(0).padStart(19)}`,
    );
  }
  const spread = (rows) => {
    const per = rows.map((r) => r.ours / r.n);
    return Math.max(...per) / Math.min(...per);
  };
  const gs = spread(gateRows);
  const rs = spread(rolloutRows);
  console.log('');
  console.log(`  per-entry cost, largest / smallest across sizes: gate ${gs.toFixed(2)}x, rollout ${rs.toFixed(2)}x (quadratic would be ~${fmtN(GROWTH_SIZES.at(-1) / GROWTH_SIZES[0])}x)`);
  row('growth: gate per-entry spread 10k..1M', gs, 1, 2, { note: 'max/min ns per entry' });
  row('growth: rollout per-target spread 10k..1M', rs, 1, 2, { note: 'max/min ns per target' });
}

// ---------------------------------------------------------------- main

console.log(`confgate benchmarks${QUICK ? ' (--quick: small sizes)' : ''}`);
console.log(`node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM (${(freemem() / 2 ** 30).toFixed(1)} free), load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log(`library: ${distUrl}`);

const benches = [
  ['gate', benchGate],
  ['diff', benchDiff],
  ['yaml', benchYaml],
  ['small', benchSmall],
  ['cli', benchCli],
  ['rollout', benchRollout],
  ['rollout-pg', benchRolloutPg],
  ['memory', benchMemory],
  ['growth', benchGrowth],
  ['rules', benchRules],
  ['analysis', () => benchAnalysis(cg, row, { quick: QUICK })],
];
for (const [name, fn] of benches) {
  if (!want(name)) continue;
  try {
    await fn();
  } catch (err) {
    console.log(`  !! ${name} benchmark failed: ${err instanceof Error ? err.stack : String(err)}`);
    results.push({ what: name, failed: true });
  }
}

console.log('');
console.log('## summary (measured; goals are ratios, times are context)');
console.log('');
console.log('| what | confgate | floor / peer | measured | goal | |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const r of results) {
  if (r.failed) {
    console.log(`| ${r.what} | — | — | failed | — | error |`);
    continue;
  }
  const isMem = r.what.startsWith('peak memory');
  const isGrowth = r.what.startsWith('growth');
  const a = isGrowth ? '' : isMem ? `${(r.oursMs / 1048576).toFixed(1)} MiB` : `${fmtMs(r.oursMs)} ms`;
  const b = isGrowth ? '' : isMem ? `${(r.floorMs / 1048576).toFixed(1)} MiB input` : `${fmtMs(r.floorMs)} ms`;
  const m = r.higherIsBetter ? `${fmtN(Math.round(r.ratio))}/s` : `${r.ratio.toFixed(2)}x`;
  const g = r.higherIsBetter ? `>= ${fmtN(r.goal)}/s` : `<= ${r.goal}x`;
  console.log(`| ${r.what} | ${a} | ${b} | ${m}${r.note ? ` (${r.note})` : ''} | ${g} | goal ${r.met ? 'met' : 'missed'} |`);
}
process.exitCode = 0;
