// Cost of every hostile input: the committed corpus (test/hostile/corpus, proposed configs) and the big generated
// cases (test/hostile/generate.mjs, the same ones test/hostile/big.test.ts runs), each through the BUILT CLI
// (`confgate check --proposed FILE --format json`) in its own process. For each it prints the CPU time (user +
// system, from the child's own `process.resourceUsage()`) and the peak RSS, next to the same CLI on a 1 KB config
// (the start-up floor), slowest first. Never fails on timing.
//
//   npm run build && node bench/hostile.mjs            # every case, 1 run each (median of --runs=N)
//   node bench/hostile.mjs --only=bomb --runs=3        # cases whose name contains "bomb"
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateBigCorpus } from '../test/hostile/generate.mjs';
import { median, runCli } from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const bin = path.join(root, 'dist/cli/bin.cjs');
const arg = (name, dflt) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt;
const runs = Number(arg('runs', '1'));
const only = arg('only', '');
const AT = '2025-06-01T12:00:00Z';

function once(file) {
  const r = runCli(bin, ['check', '--proposed', file, '--format', 'json', '--at', AT], { nodeArgs: ['--max-old-space-size=1024'] });
  if (Number.isNaN(r.cpu)) return { cpu: NaN, rss: NaN, code: r.code, verdict: '?' };
  let verdict = '?';
  try {
    verdict = JSON.parse(r.stdout).verdict;
  } catch {
    verdict = 'no JSON';
  }
  return { cpu: r.cpu, rss: r.rss, code: r.code, verdict };
}

function measure(file) {
  const xs = Array.from({ length: runs }, () => once(file));
  return { cpu: median(xs.map((x) => x.cpu)), rss: median(xs.map((x) => x.rss)), code: xs[0].code, verdict: xs[0].verdict };
}

const corpusDir = path.join(root, 'test/hostile/corpus');
const big = generateBigCorpus();
const tmp = mkdtempSync(path.join(tmpdir(), 'confgate-bench-hostile-'));
const small = path.join(tmp, 'small.json');
writeFileSync(small, JSON.stringify({ version: '1.0.0', features: Array.from({ length: 10 }, (_, i) => ({ name: `f${i}`, weight: i })) }));
try {
  const cases = [
    ...readdirSync(corpusDir)
      .filter((f) => !f.startsWith('policy-') && !f.startsWith('targets-'))
      .sort()
      .map((f) => ({ name: f, file: path.join(corpusDir, f), kind: 'corpus' })),
    ...big.cases.map((c) => ({ name: c.name, file: c.file, kind: 'generated' })),
  ].filter((c) => c.name.includes(only));
  console.log(`# hostile inputs through the built CLI: ${cases.length} cases, ${runs} run(s) each`);
  console.log(`# node ${process.version}, ${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  const floor = measure(small);
  console.log(`# floor (CLI on a 1 KB config): ${floor.cpu.toFixed(0)} ms CPU, ${floor.rss.toFixed(0)} MB RSS`);
  const rows = cases.map((c) => ({ ...c, ...measure(c.file) }));
  rows.sort((a, b) => b.cpu - a.cpu);
  console.log('');
  console.log('| case | kind | verdict (exit) | CPU ms | CPU over the floor | peak RSS MB |');
  console.log('| --- | --- | --- | ---: | ---: | ---: |');
  for (const r of rows) {
    console.log(`| ${r.name} | ${r.kind} | ${r.verdict} (${r.code}) | ${r.cpu.toFixed(0)} | ${(r.cpu - floor.cpu).toFixed(0)} | ${r.rss.toFixed(0)} |`);
  }
  console.log(`# load average at the end: ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
} finally {
  big.cleanup();
  rmSync(tmp, { recursive: true, force: true });
}
