// Analysis benchmark: one `scope: stage` round over N targets (one Prometheus-style answer with N series, parsed,
// matched to targets, each value checked by its CEL condition) against the floor: a bare fetch + JSON.parse of the
// same answer from the same loopback server. Interleaved in one run (bench/lib.mjs measurePairAsync).
import { createServer } from 'node:http';
import { fmtMs, fmtN, measurePairAsync } from './lib.mjs';

/** A Prometheus instant-query answer with one series per target. */
function answer(n) {
  const result = [];
  for (let i = 0; i < n; i++) {
    result.push({ metric: { __name__: 'edge_error_ratio', target: `edge-${i}`, region: `r${i % 10}`, job: 'fleet' }, value: [1764467000.123, String((i % 97) / 10000)] });
  }
  return JSON.stringify({ status: 'success', data: { resultType: 'vector', result } });
}

export async function benchAnalysis(cg, row, { quick = false } = {}) {
  const n = 10_000;
  const body = answer(n);
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}`;
  try {
    const targets = Array.from({ length: n }, (_, i) => ({ id: `edge-${i}`, labels: { region: `r${i % 10}` } }));
    const policy = cg.loadPolicy({
      text: `version: 1\nrollout:\n  analysis:\n    metrics:\n      - name: error-ratio\n        prometheus: { url: '${url}', query: 'edge_error_ratio{target=~"{{stage.targets}}"}' }\n        scope: stage\n        successCondition: result <= 0.01\n`,
    });
    const metric = policy.rollout.analysis.metrics[0];
    const stage = { name: 'global', targets };
    const signal = new AbortController().signal;
    // The floor sends the same request (the stage's ids as one regex) and reads the same answer.
    const query = new URLSearchParams({ query: `edge_error_ratio{target=~"${targets.map((t) => t.id).join('|')}"}` }).toString();
    const ours = async () => {
      const ms = await cg.measure(metric, { targets, stage, signal });
      if (ms.length !== n || ms[5].phase !== 'Successful') throw new Error('analysis bench: unexpected measurements');
      return ms;
    };
    const floor = async () => {
      const r = await fetch(`${url}/api/v1/query`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: query });
      return JSON.parse(await r.text());
    };
    const [a, b] = await measurePairAsync([ours, floor], { runs: quick ? 5 : 15, warmup: 3 });
    console.log(`\nanalysis: scope: stage round over ${fmtN(n)} targets (${(body.length / 1e6).toFixed(1)} MB answer): ${fmtMs(a.ms)} ms vs bare fetch + JSON.parse ${fmtMs(b.ms)} ms`);
    row(`analysis: one \`scope: stage\` round over ${fmtN(n)} targets (${(body.length / 1e6).toFixed(1)} MB answer, CEL condition per target) vs bare fetch + JSON.parse of the same answer`, a.ms, b.ms, 2);
  } finally {
    await new Promise((r) => server.close(() => r()));
  }
}
