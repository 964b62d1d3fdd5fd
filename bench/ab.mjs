// Two (or more) builds of the CLI side by side on one input: `confgate check --proposed FILE --format json` through
// each bin in turn, N rounds, so that a busy machine slows every bin alike. Prints each bin's median and minimum CPU
// (user + system of the child, from bench/usage-preload.cjs) and peak RSS. Never fails on timing.
//
//   cp dist/cli/bin.cjs /tmp/before.cjs ... (change, npm run build)
//   node bench/ab.mjs --runs=11 FILE /tmp/before.cjs dist/cli/bin.cjs
//
// A copied bin must sit where it can require the package's dependencies (a folder with a `node_modules` link to this
// one's), since the CLI bundle requires them from its own location.
import path from 'node:path';
import { median, runCli } from './lib.mjs';

const flags = process.argv.slice(2).filter((a) => a.startsWith('--'));
const [file, ...bins] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const runs = Number(flags.find((a) => a.startsWith('--runs='))?.slice(7) ?? '11');
if (!file || bins.length === 0 || !(runs > 0)) {
  console.error('usage: node bench/ab.mjs [--runs=N] FILE BIN [BIN...]');
  process.exit(2);
}

function once(bin) {
  const r = runCli(bin, ['check', '--proposed', file, '--format', 'json', '--at', '2025-06-01T12:00:00Z']);
  if (Number.isNaN(r.cpu)) throw new Error(`${bin}: no usage line (exit ${r.code}): ${r.stderr.slice(-500)}`);
  return r;
}

const samples = bins.map(() => []);
for (let i = 0; i < runs; i++) bins.forEach((b, j) => samples[j].push(once(b)));
console.log(`# ${path.basename(file)}: ${runs} alternating runs per bin, CPU ms (median, min) and peak RSS MB (median)`);
bins.forEach((b, j) => {
  const cpu = samples[j].map((s) => s.cpu);
  console.log(`${b}\t${median(cpu).toFixed(0)}\t${Math.min(...cpu).toFixed(0)}\t${median(samples[j].map((s) => s.rss)).toFixed(0)}`);
});
