// End to end: a rollout whose health is the policy's metrics (`runRollout({ ...rolloutOptionsFromPolicy(policy) })`,
// the CLI's code path), measured by a real Prometheus scraping a simulated fleet whose error ratio and latency depend
// on the config each target runs; and the engine's stage judge over Prometheus data.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPolicy, planRollout, rolloutOptionsFromPolicy, runRollout } from '../../src/index.js';
import type { MeasurementEvent, RolloutEvent, Target } from '../../src/index.js';
import { Fleet, PrometheusServer } from './harness.js';

const fleet = new Fleet();
const prom = new PrometheusServer();
const targets: Target[] = Array.from({ length: 16 }, (_, i) => ({ id: `edge-${i}`, labels: { region: i % 2 === 0 ? 'eu' : 'us' } }));

beforeAll(async () => {
  for (const [i, t] of targets.entries()) {
    fleet.add(t.id, 'v1', t.labels);
    fleet.jitter.set(t.id, ((i * 7) % 11) * 0.37); // no two targets alike, no ties
  }
  fleet.errorRatio.set('v2-bad', 0.2);
  fleet.errorRatio.set('v2-good', 0.002);
  fleet.errorRatio.set('v2-slow', 0.04); // +39 ms latency
  await fleet.start();
  await prom.start(fleet.port);
  await prom.waitFor('edge_up', (r) => r.length === targets.length);
}, 180_000);

afterAll(async () => {
  await prom.stop();
  await fleet.stop();
}, 60_000);

function policy(metrics: string) {
  return loadPolicy({
    text: `version: 1
rollout:
  failureDomain: region
  health: { interval: 250ms, timeout: 5s }
  analysis:
    metrics:
${metrics}`,
  });
}

const errorRatio = () => `      - name: error-ratio
        prometheus: { url: '${prom.url}', query: 'max(edge_error_ratio{target="{{target.id}}"})' }
        successCondition: result <= 0.01
        interval: 500ms
        noData: inconclusive    # a scrape missed on a loaded machine is not what this test is about
        inconclusiveLimit: 20
`;
const latencyJudge = () => `      - name: latency
        prometheus: { url: '${prom.url}', query: 'max(edge_latency_ms{target="{{target.id}}"})' }
        judge: { baseline: lkg, direction: increase, tolerance: 5%, alpha: 0.05 }
        interval: 500ms
        noData: inconclusive
        inconclusiveLimit: 20
`;

async function push(version: string, metrics: string, stages = [{ name: 'canary', percent: 25, bake: '6s' }, { name: 'rest', percent: 100, bake: '1s' }]) {
  for (const t of targets) fleet.versions.set(t.id, 'v1');
  await prom.waitFor('max(edge_error_ratio)', (r) => r[0]?.value[1] === '0.001');
  const events: RolloutEvent[] = [];
  const plan = planRollout({ targets, stages, failureDomain: 'region' });
  const result = await runRollout({
    ...rolloutOptionsFromPolicy(policy(metrics)),
    healthOptions: { interval: 250, timeout: 5000 },
    plan,
    proposed: { v: 2 },
    lkg: { v: 1 },
    apply: (t) => void fleet.versions.set(t.id, version),
    rollback: (t) => void fleet.versions.set(t.id, 'v1'),
    onEvent: (e) => events.push(e),
  });
  return { result, events, measurements: events.filter((e): e is MeasurementEvent => e.type === 'analysis.measurement') };
}

describe('rollout gated by a Prometheus metric from the policy', () => {
  it('a push whose error ratio rises on the canary is rolled back, naming metric, target, value and condition', async () => {
    const { result, measurements } = await push('v2-bad', errorRatio());
    expect(result.status).toBe('rolled-back');
    expect(result.reason).toMatch(/metric "error-ratio" on edge-\d+: successCondition `result <= 0.01` is false \(value 0.2\)/);
    // only the canary stage was touched, and it is back on v1
    expect(result.stages.map((s) => s.status)).toEqual(['failed', 'not-started']);
    expect([...fleet.versions.values()].every((v) => v === 'v1')).toBe(true);
    const f = result.analysis!.findings[0]!;
    expect(f).toMatchObject({ metric: 'error-ratio', kind: 'failed', source: 'measurement', value: 0.2, condition: 'result <= 0.01' });
    expect(measurements.some((m) => m.targetId === f.targetId && m.phase === 'Failed' && m.value === 0.2)).toBe(true);
  }, 120_000);

  it('a healthy push completes', async () => {
    const { result, measurements } = await push('v2-good', errorRatio());
    expect(result.status).toBe('completed');
    expect(result.analysis!.findings).toEqual([]);
    expect(measurements.filter((m) => m.value === 0.002).length).toBeGreaterThan(0);
  }, 120_000);
});

describe('the stage judge over Prometheus data', () => {
  it('rolls back a canary whose latency rises against the targets of its region still on the LKG', async () => {
    const { result, measurements } = await push('v2-slow', latencyJudge());
    expect(result.status).toBe('rolled-back');
    expect(result.reason).toMatch(/stage "canary": metric "latency" degraded: canary higher than baseline beyond tolerance.*\(2 vs 6 targets in (eu|us)\)/);
    const j = result.analysis!.judgements[0]!;
    expect(j.domains.map((d) => [d.domain, d.canary, d.baseline]).sort()).toEqual([['eu', 2, 6], ['us', 2, 6]]);
    // baselines are targets never applied
    const canaries = new Set(Object.entries(result.targets).filter(([, s]) => s.status === 'rolled-back').map(([id]) => id));
    expect(canaries.size).toBe(4);
    expect(measurements.filter((m) => m.role === 'baseline').every((m) => !canaries.has(m.targetId))).toBe(true);
  }, 120_000);

  it('passes an unchanged latency in a slower region (each region judged against itself)', async () => {
    fleet.domainLatency.set('us', 80);
    try {
      const { result } = await push('v2-good', latencyJudge());
      expect(result.status).toBe('completed');
      expect(result.analysis!.judgements.map((j) => `${j.stageName}:${j.outcome}`)).toEqual(['canary:pass', 'rest:pass']);
    } finally {
      fleet.domainLatency.delete('us');
    }
  }, 120_000);
});
