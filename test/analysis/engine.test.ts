// The engine runs the policy's analysis (`runRollout({ analysis })`, the same path as the CLI): measurements as typed
// events and journal records, findings in the result, and the stage-end judge (baselines of the same failure domain
// still on the LKG, or `baseline: self` from readings taken before each apply). Metrics come from a real loopback HTTP
// server (the web provider) whose answers depend on the config each target runs.
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { loadPolicy, MemoryJournal, planRollout, resumeRollout, rolloutOptionsFromPolicy, runRollout } from '../../src/index.js';
import type { JournalRecord, MeasurementEvent, RolloutEvent, RunOptions, Target } from '../../src/index.js';
import { MetricsServer } from './harness.js';

const TOKEN = 's3cr3t-metrics-token-4711';
/** Which config each target runs, and how the new one behaves. */
const runs = new Map<string, 'lkg' | 'new'>();
let newLatency = 0; // added to latency on the new config
let newErrors = 0.001;
let farExtra = 0; // extra latency of the `far` region, whatever the config
let exporterDown = false; // no data for targets on the new config
const regionOf = (id: string) => (Number(id.slice(1)) % 2 === 0 ? 'near' : 'far');
const server = new MetricsServer((id) => {
  const n = Number(id.slice(1));
  const onNew = runs.get(id) === 'new';
  // deterministic spread between targets (no ties), no time dependence
  const latency = 100 + ((n * 7) % 11) * 0.37 + n * 0.001 + (regionOf(id) === 'far' ? farExtra : 0) + (onNew ? newLatency : 0);
  return { latency, errors: onNew ? (exporterDown ? null : newErrors) : 0.001 };
}, TOKEN);

const targets: Target[] = Array.from({ length: 24 }, (_, i) => ({ id: `t${String(i).padStart(2, '0')}`, labels: { region: regionOf(`t${i}`) } }));

beforeAll(() => server.start());
afterAll(() => server.stop());

function policyWith(metrics: string) {
  return loadPolicy({
    text: `version: 1
rollout:
  failureDomain: region
  health: { interval: 20ms, timeout: 5s }
  analysis:
    metrics:
${metrics}`,
  });
}

const web = (path: string) => `web: { url: '${server.url}/m/{{target.id}}', jsonPath: $.${path}, headers: { Authorization: 'env:METRICS_AUTH' } }`;

async function rollout(metrics: string, extra: Partial<RunOptions> = {}, stages = [{ name: 'canary', percent: 25, bake: 150 }, { name: 'rest', percent: 100, bake: 100 }]) {
  for (const t of targets) runs.set(t.id, 'lkg');
  server.requests.length = 0;
  const policy = policyWith(metrics);
  const fromPolicy = rolloutOptionsFromPolicy(policy);
  const events: RolloutEvent[] = [];
  const order: string[] = [];
  const journal = new MemoryJournal();
  const result = await runRollout({
    ...fromPolicy,
    analysis: { ...fromPolicy.analysis!, env: { METRICS_AUTH: `Bearer ${TOKEN}` } },
    plan: planRollout({ targets, stages, failureDomain: 'region' }),
    proposed: { v: 2 },
    lkg: { v: 1 },
    journal,
    apply: (t) => {
      order.push(`apply ${t.id}`);
      runs.set(t.id, 'new');
    },
    rollback: (t) => void runs.set(t.id, 'lkg'),
    onEvent: (e) => {
      events.push(e);
      if (e.type === 'analysis.measurement') order.push(`measure ${e.targetId} ${e.role}`);
    },
    ...extra,
  });
  return { result, events, journal, order, measurements: events.filter((e): e is MeasurementEvent => e.type === 'analysis.measurement') };
}

describe('runRollout({ analysis })', () => {
  it('rolls back a push whose error ratio rises; result, events and journal name metric, target, value and condition', async () => {
    newErrors = 0.2;
    const { result, events, journal, measurements } = await rollout(`      - name: error-ratio
        ${web('errors')}
        successCondition: result <= 0.01
`);
    expect(result.status).toBe('rolled-back');
    expect(result.reason).toMatch(/metric "error-ratio" on t\d\d: successCondition `result <= 0.01` is false \(value 0.2\)/);
    const f = result.analysis!.findings[0]!;
    expect(f).toMatchObject({ metric: 'error-ratio', kind: 'failed', source: 'measurement', stage: 0, stageName: 'canary', value: 0.2, condition: 'result <= 0.01' });
    expect(targets.map((t) => t.id)).toContain(f.targetId);
    expect([...runs.values()].every((v) => v === 'lkg')).toBe(true);
    // every measurement is a typed event...
    expect(measurements.length).toBeGreaterThan(0);
    expect(measurements.find((m) => m.phase === 'Failed')).toMatchObject({ metric: 'error-ratio', role: 'canary', stage: 0, stageName: 'canary', value: 0.2, condition: 'result <= 0.01' });
    expect(events.some((e) => e.type === 'analysis.finding' && e.metric === 'error-ratio')).toBe(true);
    // ...and a journal record, as is the finding; the result in the journal carries the findings too
    const records = await journal.read();
    const measured = records.filter((r): r is Extract<JournalRecord, { type: 'measurement' }> => r.type === 'measurement');
    expect(measured.length).toBe(measurements.length);
    expect(measured.some((r) => r.phase === 'Failed' && r.value === 0.2 && typeof r.ts === 'string')).toBe(true);
    expect(records.some((r) => r.type === 'analysis.finding' && r.finding.metric === 'error-ratio')).toBe(true);
    const finished = records.find((r) => r.type === 'rollout.finished') as Extract<JournalRecord, { type: 'rollout.finished' }>;
    expect(finished.result.analysis?.findings[0]).toMatchObject({ metric: 'error-ratio', value: 0.2 });
    // the header was sent, and the credential appears nowhere
    expect(server.requests.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
    const everything = JSON.stringify([result, events, records]);
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toContain('s3cr3t');
  }, 60_000);

  it('a wrong credential fails closed (HTTP 401 is an error, never a pass) without showing the value', async () => {
    newErrors = 0.001;
    const { result } = await rollout(`      - name: error-ratio
        ${web('errors')}
        successCondition: result <= 0.01
        consecutiveErrorLimit: 0
`, { analysis: { metrics: policyWith(`      - name: error-ratio\n        ${web('errors')}\n        successCondition: result <= 0.01\n        consecutiveErrorLimit: 0\n`).rollout.analysis!.metrics, env: { METRICS_AUTH: 'Bearer wrong-token-123' } } });
    expect(result.status).toBe('rolled-back');
    expect(result.reason).toMatch(/HTTP 401/);
    expect(JSON.stringify(result)).not.toContain('wrong-token-123');
  }, 60_000);

  it('no data past inconclusiveLimit holds (held after holdTimeout); resumeRollout forward with the same analysis completes once data is back', async () => {
    newErrors = 0.001;
    exporterDown = true;
    onTestFinished(() => void (exporterDown = false));
    const metrics = `      - name: error-ratio
        ${web('errors')}
        successCondition: result <= 0.01
        noData: inconclusive
        inconclusiveLimit: 2
`;
    const { result, journal } = await rollout(metrics, { holdTimeout: 300 });
    expect(result.status).toBe('held');
    expect(result.reason).toMatch(/health inconclusive.*metric "error-ratio" on t\d\d: no data; \d+ inconclusive measurements > inconclusiveLimit 2/);
    expect(result.analysis!.findings[0]).toMatchObject({ metric: 'error-ratio', kind: 'inconclusive', condition: 'result <= 0.01' });
    exporterDown = false;
    const fromPolicy = rolloutOptionsFromPolicy(policyWith(metrics));
    const resumed = await resumeRollout(journal, {
      ...fromPolicy,
      analysis: { ...fromPolicy.analysis!, env: { METRICS_AUTH: `Bearer ${TOKEN}` } },
      forward: true,
      apply: (t) => void runs.set(t.id, 'new'),
      rollback: (t) => void runs.set(t.id, 'lkg'),
    });
    expect(resumed.status).toBe('completed');
    expect([...runs.values()].every((v) => v === 'new')).toBe(true);
    expect((await journal.read()).some((r) => r.type === 'measurement' && r.phase === 'Successful' && r.value === 0.001)).toBe(true);
  }, 60_000);

  it('beside a health hook both must pass', async () => {
    newErrors = 0.001;
    const { result } = await rollout(`      - name: error-ratio
        ${web('errors')}
        successCondition: result <= 0.01
`, { health: (t) => (t.id === 't00' ? { healthy: false, message: 'hook says no' } : true) });
    expect(result.status).toBe('rolled-back');
    expect(result.reason).toMatch(/hook says no/);
  }, 60_000);
});

describe('the stage judge in the engine', () => {
  const judged = (extra = '') => `      - name: latency
        ${web('latency')}
        judge: { baseline: lkg, direction: increase, tolerance: 5%, alpha: 0.05 }
${extra}`;

  it('fails a canary clearly worse than the targets of its domain still on the LKG; an applied target is never a baseline', async () => {
    newLatency = 30;
    farExtra = 0;
    const { result, measurements, events } = await rollout(judged());
    expect(result.status).toBe('rolled-back');
    expect(result.reason).toMatch(/stage "canary": metric "latency" degraded: canary higher than baseline beyond tolerance/);
    expect(result.reason).toMatch(/\(3 vs 9 targets in (near|far)\).*\(exact\)/);
    // one observation per target: 6 canaries, each domain judged against its own 9 pending targets
    const j = result.analysis!.judgements[0]!;
    expect(j).toMatchObject({ stage: 0, stageName: 'canary', metric: 'latency', outcome: 'fail' });
    expect(j.domains.map((d) => [d.domain, d.canary, d.baseline]).sort()).toEqual([['far', 3, 9], ['near', 3, 9]]);
    const canaries = new Set(Object.entries(result.targets).filter(([, s]) => s.status === 'rolled-back').map(([id]) => id));
    expect(canaries.size).toBe(6);
    const baselines = measurements.filter((m) => m.role === 'baseline').map((m) => m.targetId);
    expect(baselines).toHaveLength(18);
    for (const id of baselines) expect(canaries.has(id)).toBe(false);
    const f = result.analysis!.findings.find((x) => x.source === 'judge')!;
    expect(f).toMatchObject({ metric: 'latency', kind: 'failed', stage: 0 });
    expect(f.targets).toHaveLength(3);
    expect(f.value).toBeGreaterThan(f.baseline! + 25);
    expect(f.condition).toMatch(/<= 5% of the baseline median/);
    expect(events.some((e) => e.type === 'analysis.judgement' && e.outcome === 'fail')).toBe(true);
  }, 60_000);

  it('passes a good push in a slower region (domains are judged apart) and does not judge again where no baseline is left', async () => {
    newLatency = 0;
    farExtra = 80; // the far region is slower whatever config it runs
    const { result, events } = await rollout(judged());
    farExtra = 0;
    expect(result.status).toBe('completed');
    const js = result.analysis!.judgements;
    expect(js.map((j) => `${j.stageName}:${j.outcome}`)).toEqual(['canary:pass', 'rest:pass']);
    expect(js[1]!.domains).toEqual([]); // the last stage: no target left on the LKG, both domains passed at the canary
    const notes = events.filter((e) => e.type === 'warning').map((e) => (e as { message: string }).message);
    expect(notes.some((m) => /metric "latency" in (near|far): not judged: no target of this domain is left on the LKG/.test(m))).toBe(true);
  }, 60_000);

  it('baseline self: each target is measured just before its apply, and a rise against its own past fails', async () => {
    newLatency = 30;
    const { result, order } = await rollout(`      - name: latency
        ${web('latency')}
        judge: { baseline: self, direction: increase, tolerance: 5% }
`);
    expect(result.status).toBe('rolled-back');
    expect(result.reason).toMatch(/stage "canary": metric "latency" degraded.*6 vs 6 targets/);
    const applied = order.filter((o) => o.startsWith('apply ')).map((o) => o.slice(6));
    expect(applied).toHaveLength(6);
    for (const id of applied) {
      const before = order.indexOf(`measure ${id} before`);
      expect(before).toBeGreaterThanOrEqual(0);
      expect(before).toBeLessThan(order.indexOf(`apply ${id}`));
    }
  }, 60_000);

  it('a marginal judgement holds the rollout (status held after holdTimeout), naming the metric and why', async () => {
    newLatency = 30;
    // 2 targets per region in the canary against 1 left on the LKG: the exact test can never reach alpha → marginal
    const few = targets.slice(0, 6);
    const { result } = await rollout(judged(), { holdTimeout: 300, targets: few, plan: planRollout({ targets: few, stages: [{ name: 'canary', count: 4, bake: 100 }, { name: 'rest', percent: 100 }], failureDomain: 'region' }) });
    expect(result.status).toBe('held');
    expect(result.reason).toMatch(/metric "latency": too few observations to judge at alpha 0.05/);
    expect(result.stages[0]).toMatchObject({ status: 'held' });
    expect(result.analysis!.findings.find((f) => f.source === 'judge')).toMatchObject({ metric: 'latency', kind: 'inconclusive', stage: 0 });
    newLatency = 0;
  }, 60_000);
});
