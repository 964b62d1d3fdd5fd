// The analysis monitor's decisions (limits, no data, dry-run, stage queries, judge) with a scripted provider; the
// conditions are real CEL compiled by the policy loader.
import { describe, expect, it } from 'vitest';
import { combineHealth, createAnalysis, loadPolicy } from '../../src/index.js';
import type { AnalysisMetric, HookContext, PlannedWave, Provider, ProviderContext, Target } from '../../src/index.js';

const targets: Target[] = Array.from({ length: 6 }, (_, i) => ({ id: `t${i}`, labels: { region: i % 2 === 0 ? 'eu' : 'us' } }));
const wave: PlannedWave = { index: 0, name: 'canary', targets: targets.slice(0, 2), bakeMs: 0, approval: false };
const signal = new AbortController().signal;
const ctx = (w: PlannedWave = wave, attempt = 1): HookContext => ({ config: {}, lkg: {}, changes: [], stage: w, attempt, signal, rolloutId: 'r', generation: 1 });

/** A provider that answers from a script: a function of the query context. */
function scripted(answer: (c: ProviderContext) => number[] | Error, perTarget = true): Provider & { calls: ProviderContext[] } {
  const calls: ProviderContext[] = [];
  return {
    kind: 'scripted', perTarget, description: 'scripted', calls,
    async query(c) {
      calls.push(c);
      const a = answer(c);
      if (a instanceof Error) throw a;
      return { series: a.map((value, i): { labels: Record<string, string>; value: number } => ({ labels: c.target ? {} : { target: c.stage.targets[i]!.id }, value })) };
    },
  };
}

function metric(yaml: string, provider: Provider): AnalysisMetric {
  const p = loadPolicy({ text: `version: 1\nrollout:\n  health: { interval: 1ms }\n  analysis:\n    metrics:\n      - name: m\n        prometheus: { url: 'http://127.0.0.1:9', query: up }\n${yaml}` });
  const m = p.rollout.analysis!.metrics[0]!;
  // Without an explicit interval, measure at every health call (the tests call in quick succession).
  return { ...m, provider, intervalMs: /\binterval:/.test(yaml) ? m.intervalMs : 0 };
}

describe('analysis monitor', () => {
  it('passes while the condition holds; fails past failureLimit naming metric, target, value and condition', async () => {
    let v = 0.001;
    const a = createAnalysis([metric('        successCondition: result <= 0.01\n        failureLimit: 1\n', scripted(() => [v]))]);
    expect(await a.health(targets[0]!, ctx())).toMatchObject({ healthy: true, metrics: { m: 0.001 } });
    v = 0.2;
    // 1 failure tolerated: not a failure, but not a pass either (the stage waits for the next measurement)
    expect(await a.health(targets[0]!, ctx())).toMatchObject({ healthy: false, pending: true, message: expect.stringMatching(/within its limits/) });
    const r = (await a.health(targets[0]!, ctx())) as { healthy: boolean; message: string };
    expect(r.healthy).toBe(false);
    expect(r.message).toMatch(/metric "m" on t0: successCondition `result <= 0.01` is false \(value 0.2\); 2 failed measurements > failureLimit 1/);
    expect(a.findings).toEqual([expect.objectContaining({ metric: 'm', targetId: 't0', kind: 'failed', value: 0.2, condition: 'result <= 0.01' })]);
    v = 0.001; // sticky within the stage
    expect((await a.health(targets[0]!, ctx())) as { healthy: boolean }).toMatchObject({ healthy: false });
  });

  it('no data fails by default, and is inconclusive (a hold) with noData: inconclusive past inconclusiveLimit', async () => {
    const failing = createAnalysis([metric('        successCondition: result <= 0.01\n', scripted(() => []))]);
    expect(await failing.health(targets[0]!, ctx())).toMatchObject({ healthy: false, message: expect.stringMatching(/no data/) });
    const holding = createAnalysis([metric('        successCondition: result <= 0.01\n        noData: inconclusive\n        inconclusiveLimit: 1\n', scripted(() => []))]);
    // within the limit no data is still never a pass: pending (the stage waits), then past the limit a hold
    expect(await holding.health(targets[0]!, ctx())).toMatchObject({ healthy: false, pending: true });
    const r = await holding.health(targets[0]!, ctx());
    expect(r).toMatchObject({ healthy: false, inconclusive: true });
    expect(holding.findings.map((f) => f.kind)).toEqual(['inconclusive']);
  });

  it('query errors fail only past consecutiveErrorLimit; a success resets the run', async () => {
    let fail = true;
    const a = createAnalysis([metric('        successCondition: result < 1\n        consecutiveErrorLimit: 2\n', scripted(() => (fail ? new Error('HTTP 503') : [0])))]);
    expect(await a.health(targets[0]!, ctx())).toMatchObject({ pending: true, message: expect.stringMatching(/HTTP 503/) });
    expect(await a.health(targets[0]!, ctx())).toMatchObject({ pending: true });
    fail = false;
    expect(await a.health(targets[0]!, ctx())).toMatchObject({ healthy: true });
    fail = true;
    await a.health(targets[0]!, ctx());
    await a.health(targets[0]!, ctx());
    expect(await a.health(targets[0]!, ctx())).toMatchObject({ healthy: false, message: expect.stringMatching(/HTTP 503.*3 consecutive errors > consecutiveErrorLimit 2/) });
  });

  it('count: when the last allowed measurement is not a success, the target is held (nothing more can show it healthy)', async () => {
    let v = 0.001;
    const a = createAnalysis([metric('        successCondition: result <= 0.01\n        failureLimit: 5\n        count: 2\n', scripted(() => [v]))]);
    expect(await a.health(targets[0]!, ctx())).toMatchObject({ healthy: true });
    v = 0.5;
    expect(await a.health(targets[0]!, ctx())).toMatchObject({ healthy: false, inconclusive: true, message: expect.stringMatching(/the last of its 2 measurements \(count\) is not a success/) });
    expect(a.findings[0]).toMatchObject({ kind: 'inconclusive', value: 0.5, condition: 'result <= 0.01' });
  });

  it('initialDelay: pending until the first measurement', async () => {
    let t = 0;
    const a = createAnalysis([metric('        successCondition: result == 0\n        initialDelay: 5s\n', scripted(() => [0]))], { now: () => t });
    expect(await a.health(targets[0]!, ctx())).toMatchObject({ healthy: false, pending: true, message: expect.stringMatching(/not measured yet/) });
    t = 5_000;
    expect(await a.health(targets[0]!, ctx())).toMatchObject({ healthy: true });
  });

  it('combineHealth: unhealthy over inconclusive over pending over healthy; a missing answer fails', async () => {
    const h = (r: unknown) => () => r as never;
    const t = targets[0]!;
    expect(await combineHealth(h(true), h({ healthy: false, pending: true }))!(t, ctx())).toMatchObject({ pending: true });
    expect(await combineHealth(h({ healthy: false, inconclusive: true }), h({ healthy: false, pending: true }))!(t, ctx())).toMatchObject({ inconclusive: true });
    expect(await combineHealth(h({ healthy: false, pending: true }), h(false))!(t, ctx())).toMatchObject({ healthy: false });
    expect(await combineHealth(h(true), h(undefined))!(t, ctx())).toMatchObject({ healthy: false });
    expect(await combineHealth(h({ healthy: true, metrics: { a: 1 } }), h({ healthy: true, metrics: { b: 2 } }))!(t, ctx())).toEqual({ healthy: true, metrics: { a: 1, b: 2 } });
  });

  it('a condition that does not give a boolean is an error, never a pass', async () => {
    const a = createAnalysis([metric('        successCondition: result\n        consecutiveErrorLimit: 0\n', scripted(() => [1]))]);
    expect(await a.health(targets[0]!, ctx())).toMatchObject({ healthy: false, message: expect.stringMatching(/did not give true or false/) });
  });

  it('dryRun measures and reports but never decides', async () => {
    const seen: string[] = [];
    const a = createAnalysis([metric('        successCondition: result < 0\n        dryRun: true\n', scripted(() => [5]))], { onMeasurement: (m) => seen.push(`${m.targetId}:${m.phase}:${m.dryRun}`) });
    expect(await a.health(targets[0]!, ctx())).toMatchObject({ healthy: true });
    expect(seen).toEqual(['t0:Failed:true']);
  });

  it('interval, count and initialDelay bound the measurements', async () => {
    let t = 0;
    const p = scripted(() => [0]);
    const a = createAnalysis([metric('        successCondition: result == 0\n        interval: 10s\n        initialDelay: 5s\n        count: 2\n', p)], { now: () => t });
    await a.health(targets[0]!, ctx()); // t=0: inside the initial delay
    expect(p.calls).toHaveLength(0);
    t = 5_000;
    await a.health(targets[0]!, ctx());
    t = 9_000;
    await a.health(targets[0]!, ctx()); // interval not elapsed
    expect(p.calls).toHaveLength(1);
    t = 15_000;
    await a.health(targets[0]!, ctx());
    t = 30_000;
    await a.health(targets[0]!, ctx()); // count reached
    expect(p.calls).toHaveLength(2);
  });

  it('scope: stage runs one query per round for all the stage\'s targets and matches series by target label', async () => {
    const p = scripted((c) => c.stage.targets.map((tg) => (tg.id === 't1' ? 0.5 : 0.001)), false);
    const m = metric('        successCondition: result <= 0.01\n        scope: stage\n        interval: 10s\n', p);
    let t = 0;
    const a = createAnalysis([m], { now: () => t });
    const [r0, r1] = await Promise.all([a.health(targets[0]!, ctx()), a.health(targets[1]!, ctx())]);
    expect(p.calls).toHaveLength(1);
    expect(p.calls[0]!.target).toBeUndefined();
    expect(r0).toMatchObject({ healthy: true });
    expect(r1).toMatchObject({ healthy: false, message: expect.stringMatching(/on t1:.*value 0.5/) });
    t = 20_000;
    await a.health(targets[0]!, ctx());
    expect(p.calls).toHaveLength(2);
  });
});

describe('stage judge', () => {
  const judgeYaml = '        judge: { baseline: lkg, direction: increase, tolerance: 10%, alpha: 0.05 }\n';
  const eu = targets.filter((t) => t.labels.region === 'eu');

  it('baseline lkg: targets still on the LKG of the same failure domain, measured at judge time', async () => {
    // Canary t0 and t2 (eu) read 150-ish; eu baselines read 100-ish; us targets (slow region) read 300 and must not be used.
    const changed = new Set(['t0', 't2']);
    const value = (id: string) => (changed.has(id) ? 150 + Number(id.slice(1)) : targets.find((x) => x.id === id)!.labels.region === 'us' ? 300 : 100 + Number(id.slice(1)) / 10);
    const many: Target[] = [...eu, ...Array.from({ length: 8 }, (_, i) => ({ id: `b${i}`, labels: { region: 'eu' } }))];
    const p = scripted((c) => [c.target!.id.startsWith('b') ? 100 + Number(c.target!.id.slice(1)) : value(c.target!.id)]);
    const a = createAnalysis([metric(judgeYaml, p)], { failureDomain: 'region' });
    const w: PlannedWave = { ...wave, targets: eu.slice(0, 2) };
    for (let round = 0; round < 3; round++) for (const t of w.targets) await a.health(t, ctx(w, round + 1));
    const onLkg = [...many.filter((t) => !changed.has(t.id)), ...targets.filter((t) => t.labels.region === 'us')];
    const j = await a.judgeStage(w, w.targets, onLkg, signal);
    expect(j.judgements[0]!.domains).toHaveLength(1);
    expect(j.judgements[0]!.domains[0]).toMatchObject({ domain: 'eu', canary: 2 });
    // us targets were never queried for the judge
    expect(p.calls.some((c) => c.target?.labels.region === 'us')).toBe(false);
    // an applied target is never a baseline
    expect(p.calls.filter((c) => c.stage.name === 'canary' && !w.targets.includes(c.target!)).map((c) => c.target!.id)).not.toContain('t0');
  });

  it('fails a clearly worse canary, holds when it cannot decide, passes a healthy one', async () => {
    const canary: Target[] = Array.from({ length: 6 }, (_, i) => ({ id: `c${i}`, labels: { region: 'eu' } }));
    const base: Target[] = Array.from({ length: 8 }, (_, i) => ({ id: `b${i}`, labels: { region: 'eu' } }));
    const w: PlannedWave = { ...wave, targets: canary };
    const run = async (canaryValue: (i: number) => number, baseTargets = base) => {
      const p = scripted((c) => [c.target!.id.startsWith('c') ? canaryValue(Number(c.target!.id.slice(1))) : 100 + Number(c.target!.id.slice(1)) * 0.3]);
      const a = createAnalysis([metric(judgeYaml, p)], { failureDomain: 'region' });
      for (const t of canary) await a.health(t, ctx(w));
      return a.judgeStage(w, canary, baseTargets, signal);
    };
    const bad = await run((i) => 150 + i);
    expect(bad.verdict).toBe('fail');
    expect(bad.reason).toMatch(/stage "canary": metric "m" degraded/);
    expect((await run((i) => 100 + i * 0.25)).verdict).toBe('pass');
    const few = await run((i) => 150 + i, base.slice(0, 1));
    expect(few.verdict).toBe('inconclusive');
  });

  it('baseline self: the targets\' own readings before their change', async () => {
    let after = false;
    const p = scripted(() => [after ? 200 + Math.random() : 100 + Math.random()]);
    const canary: Target[] = Array.from({ length: 6 }, (_, i) => ({ id: `c${i}`, labels: {} }));
    const w: PlannedWave = { ...wave, targets: canary };
    const a = createAnalysis([metric('        judge: { baseline: self, direction: increase, tolerance: 5% }\n', p)]);
    await a.measureBefore(canary, w, signal);
    after = true;
    for (const t of canary) await a.health(t, ctx(w));
    const j = await a.judgeStage(w, canary, [], signal);
    expect(j.verdict).toBe('fail');
    const none = createAnalysis([metric('        judge: { baseline: self, direction: increase }\n', p)]);
    for (const t of canary) await none.health(t, ctx(w));
    expect((await none.judgeStage(w, canary, [], signal)).verdict).toBe('inconclusive');
  });
});
