// End to end: a rollout whose health is the policy's metrics, measured by a real Prometheus scraping a simulated
// fleet whose error ratio depends on the config each target runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnalysis, loadPolicy, planRollout, runRollout } from '../../src/index.js';
import type { RolloutEvent, Target } from '../../src/index.js';
import { Fleet, PrometheusServer } from './harness.js';

const fleet = new Fleet();
const prom = new PrometheusServer();
const targets: Target[] = Array.from({ length: 6 }, (_, i) => ({ id: `edge-${i}`, labels: { region: i % 2 === 0 ? 'eu' : 'us' } }));

beforeAll(async () => {
  for (const t of targets) fleet.add(t.id, 'v1', t.labels);
  fleet.errorRatio.set('v2-bad', 0.2);
  fleet.errorRatio.set('v2-good', 0.002);
  await fleet.start();
  await prom.start(fleet.port);
  await prom.waitFor('edge_up', (r) => r.length === targets.length);
}, 180_000);

afterAll(async () => {
  await prom.stop();
  await fleet.stop();
}, 60_000);

function policy() {
  return loadPolicy({
    text: `version: 1
rollout:
  failureDomain: region
  health: { interval: 250ms, timeout: 5s }
  analysis:
    metrics:
      - name: error-ratio
        prometheus: { url: '${prom.url}', query: 'max(edge_error_ratio{target="{{target.id}}"})' }
        successCondition: result <= 0.01
        interval: 500ms
        noData: inconclusive    # a scrape missed on a loaded machine is not what this test is about
        inconclusiveLimit: 20
`,
  });
}

async function push(version: string) {
  for (const t of targets) fleet.versions.set(t.id, 'v1');
  await prom.waitFor('max(edge_error_ratio)', (r) => r[0]?.value[1] === '0.001');
  const p = policy();
  const events: RolloutEvent[] = [];
  const analysis = createAnalysis(p.rollout.analysis!.metrics, { failureDomain: 'region' });
  const plan = planRollout({ targets, stages: [{ name: 'canary', count: 2, bake: '6s' }, { name: 'rest', percent: 100, bake: '1s' }], failureDomain: 'region' });
  const result = await runRollout({
    plan,
    proposed: { v: 2 },
    lkg: { v: 1 },
    apply: (t) => void fleet.versions.set(t.id, version),
    rollback: (t) => void fleet.versions.set(t.id, 'v1'),
    health: analysis.health,
    healthOptions: { interval: 250, timeout: 5000 },
    onEvent: (e) => events.push(e),
  });
  return { result, events, analysis };
}

describe('rollout gated by a Prometheus metric from the policy', () => {
  it('a push whose error ratio rises on the canary is rolled back, naming metric, target, value and condition', async () => {
    const { result, analysis } = await push('v2-bad');
    expect(result.status).toBe('rolled-back');
    expect(result.reason).toMatch(/metric "error-ratio" on edge-\d: successCondition `result <= 0.01` is false \(value 0.2\)/);
    // only the canary stage was touched, and it is back on v1
    expect(result.stages.map((s) => s.status)).toEqual(['failed', 'not-started']);
    expect([...fleet.versions.values()].every((v) => v === 'v1')).toBe(true);
    expect(analysis.findings[0]).toMatchObject({ metric: 'error-ratio', kind: 'failed', value: 0.2, condition: 'result <= 0.01' });
    expect(analysis.measurements.filter((m) => m.phase === 'Failed').every((m) => m.targetId === analysis.findings[0]!.targetId || m.value === 0.2)).toBe(true);
  }, 120_000);

  it('a healthy push completes', async () => {
    const { result, analysis } = await push('v2-good');
    expect(result.status).toBe('completed');
    expect(analysis.findings).toEqual([]);
    expect(analysis.measurements.filter((m) => m.value === 0.002).length).toBeGreaterThan(0);
  }, 120_000);
});
