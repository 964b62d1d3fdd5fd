// Windows × targets (issue #15): the cost of many maintenance windows over many targets, for one `check`-like
// evaluation (resolve the policy, evaluate with targets, plan the rollout), each case in a fresh child process so
// that its peak RSS is its own. Measures the BUILT package. Never fails on timing.
//
//   npm run build && node bench/windows.mjs            # 1,000 and 5,000 cron windows, 1,000 weekly RRULE windows from 2000
//   node bench/windows.mjs --case=cron:1000:200        # one case: form:windows:targets
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const arg = process.argv.find((a) => a.startsWith('--case='));

if (arg) {
  const [form, nw, nt] = arg.slice(7).split(':');
  const cg = await import(pathToFileURL(path.join(here, '../dist/index.js')).href);
  const regions = Array.from({ length: 20 }, (_, i) => `R${i}`);
  const targets = Array.from({ length: Number(nt) }, (_, i) => ({ id: `t${i}`, labels: { region: regions[i % 20], env: 'prod' } }));
  const kinds = ['maintenance', 'freeze', 'allow'];
  const windows = Array.from({ length: Number(nw) }, (_, i) => {
    const w = { name: `w${i}`, kind: kinds[i % 3], targets: { region: regions[i % 20] } };
    if (form === 'cron') Object.assign(w, { schedule: `${i % 60} * * * *`, duration: '10m', timeZone: i % 2 ? 'Europe/Berlin' : 'UTC' });
    else Object.assign(w, { rrule: 'FREQ=WEEKLY;BYDAY=FR', start: '2000-01-07T18:00:00', duration: '2h', timeZone: 'Europe/Berlin' });
    return w;
  });
  const stages = [{ name: 'canary', percent: 5, bake: '10m' }, { name: 'early', percent: 25, bake: '30m' }, { name: 'all', percent: 100 }];
  const at = new Date('2026-03-06T18:30:00Z');
  let t = performance.now();
  const policy = cg.resolvePolicy({ version: 1, windows, rollout: { stages } });
  const resolveMs = performance.now() - t;
  t = performance.now();
  const report = cg.createGate(policy).evaluate({ proposed: { a: 1 }, current: { a: 0 }, targets, at });
  const evaluateMs = performance.now() - t;
  t = performance.now();
  cg.planRollout({ targets, stages, windows, at });
  const planMs = performance.now() - t;
  process.stdout.write(JSON.stringify({ resolveMs, evaluateMs, planMs, findings: report.findings.length }));
} else {
  const cases = ['cron:1000:200', 'cron:5000:200', 'rrule:1000:200'];
  console.log('| windows × targets | resolve policy | evaluate | plan | total | peak RSS |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const c of cases) {
    const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, fileURLToPath(import.meta.url), `--case=${c}`], { encoding: 'utf8' });
    if (r.status !== 0) {
      console.log(`| ${c} | failed: ${r.stderr.trim().split('\n').pop()} |`);
      continue;
    }
    const m = JSON.parse(r.stdout);
    const kb = Number(r.stderr.trim().split('\n').pop());
    const [form, nw, nt] = c.split(':');
    const f = (ms) => `${Math.round(ms).toLocaleString('en-US')} ms`;
    console.log(`| ${Number(nw).toLocaleString('en-US')} ${form} windows × ${nt} targets | ${f(m.resolveMs)} | ${f(m.evaluateMs)} | ${f(m.planMs)} | ${f(m.resolveMs + m.evaluateMs + m.planMs)} | ${Math.round(kb / 1024)} MiB |`);
  }
}
