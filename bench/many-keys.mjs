// Cost per key and per byte of large valid configs (issue 15, "many keys"): `confgate check --proposed P --current C
// --format json` through the BUILT CLI, each in its own process, for flat and nested documents of growing size in
// JSON and YAML (C is P with every 100th value changed, so the diff is real). Prints CPU time (user + system, from
// the child's own `process.resourceUsage()`), peak RSS, and the cost per key and per byte over the CLI's start-up
// floor, so a term that is not linear shows as a per-key cost that grows with the size. Then a 20 MB config rolled
// out to 20 no-op targets (`--apply true`): CPU, peak RSS and the journal's size. Never fails on timing.
//
//   npm run build && node bench/many-keys.mjs                 # every size (about 2 minutes on an idle 2-core machine)
//   node bench/many-keys.mjs --only=json --max=1000000        # JSON cases up to 1,000,000 keys
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const arg = (name, dflt) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt;
const bin = path.resolve(arg('bin', path.join(here, '..', 'dist/cli/bin.cjs')));

const only = arg('only', '');
const max = Number(arg('max', '3000000'));
const skipRollout = process.argv.includes('--no-rollout');
const AT = '2025-06-01T12:00:00Z';

function run(args, cwd) {
  const r = runCli(bin, args, { nodeArgs: ['--max-old-space-size=4096'], cwd, env: { CONFGATE_JOURNAL: '' } });
  return { cpu: r.cpu, rss: r.rss, code: r.code, out: r.stdout.length, stderr: r.stderr };
}

/** A document with `keys` keys (every object key counts once), and its current version (every 100th value changed). */
function build(shape, keys) {
  const make = (changed) => {
    const v = (i) => (changed && i % 100 === 0 ? i + 1 : i);
    if (shape === 'flat') {
      const o = {};
      for (let i = 0; i < keys; i++) o[`key${i}`] = v(i);
      return o;
    }
    // nested: regions -> services -> 8 settings each (10 keys per service including its own key and name).
    const o = {};
    let n = 0;
    for (let r = 0; n < keys; r++) {
      const region = (o[`region-${r}`] = {});
      n++;
      for (let s = 0; s < 1000 && n < keys; s++) {
        const svc = (region[`svc-${s}`] = { name: `svc-${r}-${s}` });
        n += 2;
        for (let k = 0; k < 8 && n < keys; k++, n++) svc[`setting_${k}`] = v(n);
      }
    }
    return o;
  };
  return [make(false), make(true)];
}

function yamlText(value, indent = '') {
  const lines = [];
  for (const [k, x] of Object.entries(value)) {
    if (x !== null && typeof x === 'object') {
      lines.push(`${indent}${k}:`);
      lines.push(yamlText(x, indent + '  '));
    } else lines.push(`${indent}${k}: ${typeof x === 'string' ? JSON.stringify(x) : x}`);
  }
  return lines.join('\n');
}

const tmp = mkdtempSync(path.join(tmpdir(), 'confgate-bench-keys-'));
try {
  console.log(`# many keys through the built CLI (check --proposed P --current C --format json)`);
  console.log(`# node ${process.version}, ${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  const sp = path.join(tmp, 'small.json');
  writeFileSync(sp, JSON.stringify({ a: 1, b: { c: 2 } }));
  const floor = run(['check', '--proposed', sp, '--current', sp, '--format', 'json', '--at', AT]);
  console.log(`# floor (1 KB config): ${floor.cpu.toFixed(0)} ms CPU, ${floor.rss.toFixed(0)} MB RSS`);
  console.log('');
  console.log('| case | keys | bytes (proposed) | exit | CPU ms | µs per key over the floor | ns per byte over the floor | peak RSS MB | report MB |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  const cases = [];
  for (const fmt of ['json', 'yaml']) {
    for (const shape of ['flat', 'nested']) {
      const sizes = fmt === 'json' ? [100_000, 300_000, 1_000_000, 3_000_000] : [30_000, 100_000, 300_000, 1_000_000];
      for (const keys of sizes) if (keys <= max) cases.push({ fmt, shape, keys });
    }
  }
  for (const c of cases) {
    const name = `${c.fmt}-${c.shape}-${c.keys}`;
    if (only === 'rollout' || !name.includes(only)) continue;
    const [p, cur] = build(c.shape, c.keys);
    const pf = path.join(tmp, `p.${c.fmt}`);
    const cf = path.join(tmp, `c.${c.fmt}`);
    writeFileSync(pf, c.fmt === 'json' ? JSON.stringify(p) : yamlText(p) + '\n');
    writeFileSync(cf, c.fmt === 'json' ? JSON.stringify(cur) : yamlText(cur) + '\n');
    const bytes = statSync(pf).size;
    const r = run(['check', '--proposed', pf, '--current', cf, '--format', 'json', '--at', AT]);
    const over = r.cpu - floor.cpu;
    console.log(
      `| ${name} | ${c.keys.toLocaleString('en')} | ${bytes.toLocaleString('en')} | ${r.code} | ${r.cpu.toFixed(0)} | ${((over * 1000) / c.keys).toFixed(2)} | ${((over * 1e6) / bytes).toFixed(0)} | ${r.rss.toFixed(0)} | ${(r.out / 1e6).toFixed(1)} |`,
    );
  }

  if (!skipRollout && (only === '' || only === 'rollout')) {
    // A 20 MB config rolled out to 20 no-op targets: the hooks are `true`, so what is measured is confgate itself.
    const [p, cur] = build('nested', 1_000_000);
    const pf = path.join(tmp, 'p.json');
    const cf = path.join(tmp, 'c.json');
    writeFileSync(pf, JSON.stringify(p));
    writeFileSync(cf, JSON.stringify(cur));
    const tf = path.join(tmp, 'targets.json');
    writeFileSync(tf, JSON.stringify({ targets: Array.from({ length: 20 }, (_, i) => ({ id: `edge-${i}`, labels: { region: `r${i % 4}` } })) }));
    const pol = path.join(tmp, 'confgate.yaml');
    writeFileSync(pol, 'version: 1\nrollout:\n  stages:\n    - { name: canary, percent: 5 }\n    - { name: all, percent: 100 }\n');
    const journal = path.join(tmp, 'journal.ndjson');
    const bytes = statSync(pf).size;
    const r = run(
      ['rollout', '--proposed', pf, '--current', cf, '--targets', tf, '--policy', pol, '--apply', 'true', '--rollback', 'true', '--journal', journal, '--scope', `bench-many-keys-${process.pid}`, '--at', AT, '--override', 'bench'],
      tmp,
    );
    let jsize = NaN;
    try {
      jsize = statSync(journal).size;
    } catch {}
    console.log('');
    console.log(
      `# rollout of a ${(bytes / 1e6).toFixed(1)} MB config (1,000,000 keys) to 20 no-op targets in 2 stages: exit ${r.code}, ${r.cpu.toFixed(0)} ms CPU, ${r.rss.toFixed(0)} MB peak RSS, journal ${(jsize / 1e6).toFixed(2)} MB`,
    );
    if (r.code !== 0) console.log(r.stderr.split('\n').slice(-8).join('\n'));
  }
  console.log(`# load average at the end: ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
