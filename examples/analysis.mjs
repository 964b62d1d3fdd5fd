// The analysis part of `npm start`: a push whose error ratio rises on the canary, caught by a metric declared in the
// policy (`rollout.analysis`) and rolled back by the engine (`rolloutOptionsFromPolicy(policy)` gives `runRollout` the
// metrics: the same code path as `confgate rollout --policy`). The demo serves its own small metrics endpoint on
// 127.0.0.1 (the web provider reads it), so it needs no Prometheus; with Prometheus the metric would be a
// `prometheus:` query instead.
import { createServer } from 'node:http';
import { loadPolicy, MemoryJournal, planRollout, rolloutOptionsFromPolicy, runRollout } from '../dist/index.js';

export async function analysisDemo(heading) {
  heading('5. A push rolled back by a metric declared in the policy (rollout.analysis)');
  const targets = Array.from({ length: 12 }, (_, i) => ({ id: `pop-${String(i + 1).padStart(2, '0')}`, labels: { region: ['ams', 'iad', 'sin'][i % 3] } }));
  const runs = new Map(targets.map((t) => [t.id, 'lkg']));
  // The exporter: each target's error ratio depends on the config it runs (the new one leaks errors in 8% of requests).
  const server = createServer((req, res) => {
    const id = decodeURIComponent((req.url ?? '').replace(/^\/stats\//, ''));
    const on = runs.get(id);
    res.writeHead(on ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(on ? { requests: 1000, errors: { ratio: on === 'proposed' ? 0.08 : 0.002 } } : { error: 'unknown target' }));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}`;
  try {
    const policyText = `version: 1
rollout:
  failureDomain: region
  health: { interval: 100ms, timeout: 2s }
  analysis:
    metrics:
      - name: error-ratio
        web: { url: '${url}/stats/{{target.id}}', jsonPath: $.errors.ratio }
        successCondition: result <= 0.01
        noData: fail
`;
    console.log(`policy (the analysis part):\n${policyText.replace(/^/gm, '  ')}`);
    const policy = loadPolicy({ text: policyText, file: 'demo-analysis.yaml' });
    const plan = planRollout({ targets, stages: [{ name: 'canary', count: 3, bake: 400 }, { name: 'global', percent: 100, bake: 200 }], failureDomain: 'region' });
    let measurements = 0;
    const result = await runRollout({
      ...rolloutOptionsFromPolicy(policy), // healthOptions, windows, and analysis: the policy's metrics
      plan,
      proposed: { version: 2 },
      lkg: { version: 1 },
      journal: new MemoryJournal(),
      apply: (t) => void runs.set(t.id, 'proposed'),
      rollback: (t) => void runs.set(t.id, 'lkg'),
      onEvent: (e) => {
        // every measurement is an event (and a journal record); show the ones that are not a success
        if (e.type === 'analysis.measurement') {
          measurements++;
          if (e.phase !== 'Successful') console.log(`  [measurement] ${e.metric} ${e.targetId}: ${e.phase} value=${JSON.stringify(e.value)} ${e.message ?? ''}`);
        }
      },
    });
    console.log(`\nRollout ${result.status.toUpperCase()}${result.reason ? `: ${result.reason}` : ''}`);
    const still = [...runs.entries()].filter(([, v]) => v !== 'lkg').map(([k]) => k);
    console.log(`  targets still on the new config: ${still.length === 0 ? 'none' : still.join(', ')}`);
    const f = result.analysis?.findings[0];
    console.log(`  measurements taken: ${measurements}; the metric stopped it at stage "${f?.stageName ?? '-'}": ${f ? `metric ${f.metric} on ${f.targetId}, value ${f.value}, condition \`${f.condition}\`` : '-'}`);
    return result;
  } finally {
    await new Promise((r) => server.close(() => r()));
  }
}
