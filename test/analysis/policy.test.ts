import { describe, expect, it } from 'vitest';
import { loadPolicy, PolicyError } from '../../src/index.js';

const base = (metrics: string, extra = '') => `version: 1
rollout:
  health: { interval: 5s, timeout: 2s }
${extra}  analysis:
    metrics:
${metrics}`;

function problems(text: string): string[] {
  try {
    loadPolicy({ text, file: 'confgate.yaml' });
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyError);
    return [...(err as PolicyError).problems];
  }
  throw new Error('expected a PolicyError');
}

describe('rollout.analysis in the policy', () => {
  it('resolves metrics with defaults and compiled conditions', () => {
    const p = loadPolicy({
      text: base(`      - name: error-ratio
        prometheus: { url: 'http://127.0.0.1:9090', query: 'max(edge_error_ratio{target="{{target.id}}"})', headers: { Authorization: 'env:PROM_TOKEN' } }
        successCondition: result <= 0.01
      - name: latency-p99
        web: { url: 'http://127.0.0.1:8080/stats/{{target.id}}', jsonPath: $.latency.p99 }
        interval: 30s
        initialDelay: 10s
        count: 5
        noData: inconclusive
        judge: { baseline: lkg, direction: increase, tolerance: 10%, alpha: 0.01 }
      - name: fleet
        command: [./fleet-metric.sh, '{{stage.name}}']
        scope: stage
        targetLabel: host
        failureCondition: result > 3
        dryRun: true
`),
      file: 'confgate.yaml',
    });
    const [a, b, c] = p.rollout.analysis!.metrics;
    expect(a).toMatchObject({ name: 'error-ratio', noData: 'fail', failureLimit: 0, inconclusiveLimit: 0, consecutiveErrorLimit: 4, intervalMs: 5000, initialDelayMs: 0, dryRun: false, scope: 'target' });
    expect(a!.provider.kind).toBe('prometheus');
    expect(a!.provider.perTarget).toBe(true);
    expect(a!.successCondition!.evaluate({ result: 0.005 })).toBe(true);
    expect(a!.successCondition!.evaluate({ result: 0.02 })).toBe(false);
    expect(a!.successCondition!.evaluate({ result: 0 })).toBe(true);
    expect(b).toMatchObject({ intervalMs: 30_000, initialDelayMs: 10_000, count: 5, noData: 'inconclusive', judge: { baseline: 'lkg', direction: 'increase', tolerance: { relative: 0.1 }, alpha: 0.01 } });
    expect(c).toMatchObject({ scope: 'stage', targetLabel: 'host', dryRun: true });
    expect(c!.failureCondition!.evaluate({ result: 4 })).toBe(true);
  });

  it('a bad condition is a policy error naming the metric', () => {
    const out = problems(base(`      - name: error-ratio
        prometheus: { url: 'http://127.0.0.1:9090', query: up }
        successCondition: result <=
`));
    expect(out.join('\n')).toMatch(/\/rollout\/analysis\/metrics\/0\/successCondition.*metric "error-ratio".*not a valid CEL expression/);
  });

  it('exactly one provider, known template variables, no literal credentials, no credentials in URLs', () => {
    const out = problems(base(`      - name: two
        prometheus: { url: 'http://127.0.0.1:9090', query: up }
        web: { url: 'http://127.0.0.1:1/x', jsonPath: $.x }
        successCondition: result > 0
      - name: none
        successCondition: result > 0
      - name: badvar
        prometheus: { url: 'http://127.0.0.1:9090', query: 'up{x="{{target.name}}"}' }
        successCondition: result > 0
      - name: literal
        prometheus: { url: 'http://127.0.0.1:9090', query: up, headers: { Authorization: 'Bearer abc123' } }
        successCondition: result > 0
      - name: userinfo
        web: { url: 'http://user:pw@127.0.0.1:1/x', jsonPath: '$..x' }
        successCondition: result > 0
`)).join('\n');
    expect(out).toMatch(/metric "two": give exactly one provider \(prometheus, web or command\), got prometheus and web/);
    expect(out).toMatch(/metric "none": give exactly one provider.*got none/);
    expect(out).toMatch(/metric "badvar": prometheus.query: unknown template variable \{\{target.name\}\}/);
    expect(out).toMatch(/metric "literal": header Authorization carries a credential/);
    expect(out).not.toContain('abc123');
    expect(out).toMatch(/metric "userinfo": web.url: URL must not contain credentials/);
    expect(out).not.toContain('pw@');
    expect(out).toMatch(/metric "userinfo": web.jsonPath: .*recursive descent/);
  });

  it('scope: stage cannot use target variables; a metric must decide something unless dry-run', () => {
    const out = problems(base(`      - name: st
        prometheus: { url: 'http://127.0.0.1:9090', query: 'x{t="{{target.id}}"}' }
        scope: stage
        successCondition: result > 0
      - name: nothing
        prometheus: { url: 'http://127.0.0.1:9090', query: up }
      - name: dup
        prometheus: { url: 'http://127.0.0.1:9090', query: up }
        successCondition: result > 0
      - name: dup
        prometheus: { url: 'http://127.0.0.1:9090', query: up }
        successCondition: result > 0
`)).join('\n');
    expect(out).toMatch(/metric "st": `scope: stage` .*cannot use \{\{target.\*\}\}/);
    expect(out).toMatch(/metric "nothing": needs `successCondition`, `failureCondition` or `judge`/);
    expect(out).toMatch(/metric "dup": the name is used twice/);
  });

  it('schema: unknown keys, bad enums and bad tolerance are reported with their key', () => {
    const out = problems(base(`      - name: x
        prometheus: { url: 'http://127.0.0.1:9090', query: up, step: 5 }
        noData: pass
        judge: { direction: up, tolerance: ten percent }
`)).join('\n');
    expect(out).toMatch(/step/);
    expect(out).toMatch(/noData/);
    expect(out).toMatch(/direction/);
    expect(out).toMatch(/tolerance/);
  });

  it('without analysis, nothing changes', () => {
    expect(loadPolicy({ text: 'version: 1\n' }).rollout.analysis).toBeUndefined();
  });
});
