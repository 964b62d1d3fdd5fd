// Ad-hoc: cost of analysis in the engine for one stage of 10,000 targets (scope: stage metric, one round), against the
// same rollout with a plain health hook (FileJournal in a temp dir; 3 alternated pairs).
// Usage: npm run build && node bench/analysis-engine.mjs
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
const cg = await import(new URL('../dist/index.js', import.meta.url).href);
const n = 10_000;
const result = [];
for (let i = 0; i < n; i++) result.push({ metric: { target: `edge-${i}` }, value: [1764467000.123, String((i % 97) / 10000)] });
const body = JSON.stringify({ status: 'success', data: { resultType: 'vector', result } });
const server = createServer((req, res) => { req.resume(); req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(body); }); });
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${server.address().port}`;
const targets = Array.from({ length: n }, (_, i) => ({ id: `edge-${i}`, labels: {} }));
const policy = cg.loadPolicy({ text: `version: 1\nrollout:\n  health: { interval: 1h, timeout: 30s }\n  analysis:\n    metrics:\n      - name: error-ratio\n        prometheus: { url: '${url}', query: 'edge_error_ratio{target=~"{{stage.targets}}"}' }\n        scope: stage\n        interval: 1h\n        successCondition: result <= 0.01\n` });
async function run(withAnalysis) {
  const dir = mkdtempSync(path.join(tmpdir(), 'e2b-'));
  const journal = new cg.FileJournal(path.join(dir, 'j'), { lockDir: path.join(dir, 'locks') });
  const plan = cg.planRollout({ targets, stages: [{ name: 'all', percent: 100 }] });
  const t0 = performance.now();
  const r = await cg.runRollout({
    ...cg.rolloutOptionsFromPolicy(policy),
    ...(withAnalysis ? {} : { analysis: undefined, health: () => true }),
    plan, proposed: { v: 2 }, lkg: { v: 1 }, journal, concurrency: 64,
    apply: () => {}, rollback: () => {},
  });
  const ms = performance.now() - t0;
  const size = statSync(path.join(dir, 'j')).size;
  rmSync(dir, { recursive: true, force: true });
  if (r.status !== 'completed') throw new Error(r.reason);
  return { ms, size };
}
for (let i = 0; i < 3; i++) {
  const a = await run(false);
  const b = await run(true);
  console.log(`plain health: ${a.ms.toFixed(0)} ms, journal ${(a.size / 1e6).toFixed(2)} MB | analysis (scope: stage): ${b.ms.toFixed(0)} ms, journal ${(b.size / 1e6).toFixed(2)} MB`);
}
server.close();
