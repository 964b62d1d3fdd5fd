// Benchmark of the diff stage: confgate's diffConfigs against JSON.parse, microdiff (positional, no keys)
// and raw json-diff-ts with embeddedObjKeys, on two versions of a large keyed list.
//
//   npm run build && node bench/diff.mjs            # uses ../dist/index.js
//   CONFGATE_DIFF=/path/to/index.js node bench/diff.mjs   # another build of diffConfigs
//   BENCH_RUNS=9 BENCH_SIZES=10000,100000 node bench/diff.mjs
//
// Data are generated with a deterministic PRNG (mulberry32): N entries keyed by `name`; the proposed
// version has one entry modified (in the middle) and one entry added (at the end).
import { pathToFileURL } from 'node:url';
import microdiff from 'microdiff';
import { diff as jsonDiff } from 'json-diff-ts';
import { entry, measure as libMeasure, mulberry32 } from './lib.mjs';

const modulePath = process.env.CONFGATE_DIFF ? pathToFileURL(process.env.CONFGATE_DIFF).href : '../dist/index.js';
const { diffConfigs } = await import(modulePath);

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const WARMUP = 2;
const MAIN_SIZE = 100_000;
const GROWTH = (process.env.BENCH_SIZES ?? '10000,100000,1000000').split(',').map(Number);

/**
 * Two JSON texts: current and proposed (one entry modified, one added). `shuffled`: entries in a
 * random (but the same) order in both versions, so keys are not sorted (hash join instead of merge join).
 */
function generate(n, { seed = 42, shuffled = false } = {}) {
  const rand = mulberry32(seed);
  const features = [];
  for (let i = 0; i < n; i++) features.push(entry(rand, i));
  if (shuffled) {
    for (let i = features.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [features[i], features[j]] = [features[j], features[i]];
    }
  }
  const current = { version: '1.0.0', features };
  const proposedFeatures = features.map((f) => ({ ...f, tags: [...f.tags] }));
  const mid = Math.floor(n / 2);
  proposedFeatures[mid] = { ...proposedFeatures[mid], type: proposedFeatures[mid].type === 'numeric' ? 'string' : 'numeric' };
  proposedFeatures.push(entry(rand, n));
  const proposed = { version: '1.0.1', features: proposedFeatures };
  return { currentText: JSON.stringify(current), proposedText: JSON.stringify(proposed) };
}


/** Median of `runs` timed calls after `warmup` untimed ones (the shared helper of bench/lib.mjs). */
function measure(fn, runs = RUNS, warmup = WARMUP) {
  return libMeasure(fn, { runs, warmup });
}

const OPTIONS = { keys: { '/features': 'name' } };

function mainTable() {
  const { currentText, proposedText } = generate(MAIN_SIZE);
  const current = JSON.parse(currentText);
  const proposed = JSON.parse(proposedText);
  const mb = (currentText.length + proposedText.length) / 2 / 1e6;
  console.log(`diff of two ${MAIN_SIZE.toLocaleString('en-US')}-entry keyed lists (~${mb.toFixed(1)} MB each), median of ${RUNS} runs after ${WARMUP} warm-up runs`);

  const rows = [
    ['JSON.parse (both texts)', measure(() => [JSON.parse(currentText), JSON.parse(proposedText)])],
    ['microdiff (positional, no keys)', measure(() => microdiff(current, proposed))],
    ['json-diff-ts raw (embeddedObjKeys)', measure(() => jsonDiff(current, proposed, { embeddedObjKeys: { features: 'name' } }))],
    ['confgate diffConfigs (keyed)', measure(() => diffConfigs(current, proposed, OPTIONS))],
  ];
  {
    // The same with entries in random order (keys not sorted): diffConfigs takes its hash-join path.
    const shuffled = generate(MAIN_SIZE, { shuffled: true });
    const c = JSON.parse(shuffled.currentText);
    const p = JSON.parse(shuffled.proposedText);
    rows.push(['microdiff, unsorted keys', measure(() => microdiff(c, p))]);
    rows.push(['confgate diffConfigs, unsorted keys', measure(() => diffConfigs(c, p, OPTIONS))]);
  }
  const base = rows[1][1].ms;
  const parse = rows[0][1].ms;
  console.log('');
  console.log(`${'case'.padEnd(38)}${'median ms'.padStart(11)}${'x microdiff'.padStart(13)}${'x parse'.padStart(10)}`);
  for (const [i, [name, { ms }]] of rows.entries()) {
    const against = i >= 4 ? rows[4][1].ms : base;
    console.log(`${name.padEnd(38)}${ms.toFixed(1).padStart(11)}${(ms / against).toFixed(2).padStart(13)}${(ms / parse).toFixed(2).padStart(10)}`);
  }
  console.log('(x microdiff: against microdiff on the same data, sorted or unsorted)');
  const changes = rows[3][1].result;
  console.log('');
  console.log(`diffConfigs found ${changes.length} changes: ${changes.map((c) => `${c.kind} ${c.path}`).join(', ')}`);
}

function growth() {
  console.log('');
  console.log('growth of diffConfigs (keyed), median ms and ns per entry (sorted keys; unsorted in the last columns)');
  console.log(
    `${'entries'.padStart(10)}${'diffConfigs ms'.padStart(16)}${'ns/entry'.padStart(10)}${'microdiff ms'.padStart(14)}${'json-diff-ts ms'.padStart(17)}${'unsorted ms'.padStart(13)}${'ns/entry'.padStart(10)}`,
  );
  for (const n of GROWTH) {
    const runs = n >= 1_000_000 ? 3 : RUNS;
    const warm = n >= 1_000_000 ? 1 : WARMUP;
    let unsorted;
    {
      const shuffled = generate(n, { shuffled: true });
      const c = JSON.parse(shuffled.currentText);
      const p = JSON.parse(shuffled.proposedText);
      unsorted = measure(() => diffConfigs(c, p, OPTIONS), runs, warm).ms;
    }
    const { currentText, proposedText } = generate(n);
    const current = JSON.parse(currentText);
    const proposed = JSON.parse(proposedText);
    const ours = measure(() => diffConfigs(current, proposed, OPTIONS), runs, warm).ms;
    const micro = measure(() => microdiff(current, proposed), runs, warm).ms;
    // Raw json-diff-ts is skipped at 1M entries (too slow to be useful here).
    const raw = n >= 1_000_000 ? undefined : measure(() => jsonDiff(current, proposed, { embeddedObjKeys: { features: 'name' } }), runs, warm).ms;
    console.log(
      `${n.toLocaleString('en-US').padStart(10)}${ours.toFixed(1).padStart(16)}${((ours * 1e6) / n).toFixed(0).padStart(10)}${micro.toFixed(1).padStart(14)}${(raw === undefined ? 'skipped' : raw.toFixed(1)).padStart(17)}${unsorted.toFixed(1).padStart(13)}${((unsorted * 1e6) / n).toFixed(0).padStart(10)}`,
    );
  }
}

mainTable();
growth();
