// The Prometheus provider against a real Prometheus (Debian's binary) scraping a simulated fleet on loopback.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prometheusProvider, ProviderError } from '../../src/index.js';
import type { Target } from '../../src/index.js';
import { Fleet, freePort, PrometheusServer } from './harness.js';

const fleet = new Fleet();
const prom = new PrometheusServer();
const targets: Target[] = [
  { id: 'edge-1', labels: { region: 'eu' } },
  { id: 'edge-2', labels: { region: 'eu' } },
  { id: 'edge.3', labels: { region: 'us' } }, // a regex metacharacter in an id: must match only itself
  { id: 'edge-3', labels: { region: 'us' } },
];
const stage = { name: 'canary', targets };
const signal = new AbortController().signal;

beforeAll(async () => {
  for (const t of targets) fleet.add(t.id, 'v1', t.labels);
  fleet.errorRatio.set('v2-bad', 0.2);
  fleet.versions.set('edge-2', 'v2-bad');
  await fleet.start();
  await prom.start(fleet.port);
  await prom.waitFor('edge_up', (r) => r.length === targets.length);
}, 180_000);

afterAll(async () => {
  await prom.stop();
  await fleet.stop();
}, 60_000);

describe('prometheus provider (real Prometheus)', () => {
  it('per-target vector query through a template', async () => {
    const p = prometheusProvider({ url: prom.url, query: 'max(edge_error_ratio{target="{{target.id}}"})' });
    expect(p.perTarget).toBe(true);
    const bad = await p.query({ target: targets[1]!, stage, signal });
    expect(bad.series.map((s) => s.value)).toEqual([0.2]);
    const good = await p.query({ target: targets[0]!, stage, signal });
    expect(good.series.map((s) => s.value)).toEqual([0.001]);
  });

  it('stage query: one vector for the whole stage, ids escaped for the regex', async () => {
    const p = prometheusProvider({ url: `${prom.url}/`, query: 'edge_error_ratio{target=~"{{stage.targets}}"}' });
    expect(p.perTarget).toBe(false);
    const r = await p.query({ stage: { name: 'canary', targets: [targets[0]!, targets[2]!] }, signal });
    // "edge.3" as an unescaped regex would also match "edge-3"
    expect(r.series.map((s) => s.labels.target).sort()).toEqual(['edge-1', 'edge.3']);
  });

  it('scalar results', async () => {
    const p = prometheusProvider({ url: prom.url, query: 'scalar(count(edge_up))' });
    expect((await p.query({ stage, signal })).series).toEqual([{ labels: {}, value: 4 }]);
  });

  it('an empty vector is no data', async () => {
    const p = prometheusProvider({ url: prom.url, query: 'edge_error_ratio{target="nope"}' });
    expect((await p.query({ stage, signal })).series).toEqual([]);
  });

  it('NaN samples are no data (scalar and vector)', async () => {
    const s = prometheusProvider({ url: prom.url, query: 'scalar(vector(0)) / 0' });
    expect((await s.query({ stage, signal })).series).toEqual([]);
    const v = prometheusProvider({ url: prom.url, query: 'edge_error_ratio{target="edge-1"} * 0 / 0' });
    expect((await v.query({ stage, signal })).series).toEqual([]);
  });

  it('+Inf is a value (a ratio over zero requests), not no data', async () => {
    const p = prometheusProvider({ url: prom.url, query: 'scalar(vector(1)) / 0' });
    expect((await p.query({ stage, signal })).series).toEqual([{ labels: {}, value: Infinity }]);
  });

  it('a bad query is an error with Prometheus\' message', async () => {
    const p = prometheusProvider({ url: prom.url, query: 'sum(' });
    await expect(p.query({ stage, signal })).rejects.toThrow(/HTTP 400: bad_data/);
    await expect(p.query({ stage, signal })).rejects.toBeInstanceOf(ProviderError);
  });

  it('a range query result is an error, not a silent pick', async () => {
    const p = prometheusProvider({ url: prom.url, query: 'edge_up[5s]' });
    await expect(p.query({ stage, signal })).rejects.toThrow(/result type "matrix" is not supported/);
  });

  it('follows the fleet: a target changed to a bad config shows up', async () => {
    fleet.versions.set('edge-1', 'v2-bad');
    await prom.waitFor('edge_error_ratio{target="edge-1"}', (r) => r[0]?.value[1] === '0.2');
    const p = prometheusProvider({ url: prom.url, query: 'max(edge_error_ratio{target="{{target.id}}"})' });
    expect((await p.query({ target: targets[0]!, stage, signal })).series[0]!.value).toBe(0.2);
    fleet.versions.set('edge-1', 'v1');
  }, 60_000);
});

describe('prometheus provider failures (loopback servers)', () => {
  let server: Server;
  let base = '';
  const seen: Array<Record<string, string | string[] | undefined>> = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req.headers);
      if (req.url?.startsWith('/redirect')) {
        res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' });
        res.end();
      } else if (req.url?.startsWith('/down')) {
        res.writeHead(503, { 'content-type': 'text/plain' });
        res.end('service unavailable');
      } else if (req.url?.startsWith('/hang')) {
        /* never answers */
      } else if (req.url?.startsWith('/apierror')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'error', errorType: 'timeout', error: 'query timed out in expression evaluation' }));
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [] } }));
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('never follows a redirect', async () => {
    const p = prometheusProvider({ url: `${base}/redirect`, query: 'up' });
    await expect(p.query({ stage, signal })).rejects.toThrow(/HTTP 302 redirect not followed/);
  });

  it('non-200 without JSON', async () => {
    const p = prometheusProvider({ url: `${base}/down`, query: 'up' });
    await expect(p.query({ stage, signal })).rejects.toThrow(/HTTP 503/);
  });

  it('status: error in a 200 answer', async () => {
    const p = prometheusProvider({ url: `${base}/apierror`, query: 'up' });
    await expect(p.query({ stage, signal })).rejects.toThrow(/timeout: query timed out/);
  });

  it('times out', async () => {
    const p = prometheusProvider({ url: `${base}/hang`, query: 'up' }, { timeoutMs: 200 });
    await expect(p.query({ stage, signal })).rejects.toThrow(/timed out after 200ms/);
  });

  it('connection refused', async () => {
    const p = prometheusProvider({ url: `http://127.0.0.1:${await freePort()}`, query: 'up' });
    await expect(p.query({ stage, signal })).rejects.toThrow(/ECONNREFUSED/);
  });

  it('sends env: headers, and errors name the variable but never a value', async () => {
    const p = prometheusProvider({ url: base, query: 'up', headers: { Authorization: 'env:PROM_TOKEN_TEST', 'X-Scope-OrgID': 'team-a' } });
    await p.query({ stage, signal, env: { PROM_TOKEN_TEST: 'Bearer s3cret-value' } });
    expect(seen.at(-1)!.authorization).toBe('Bearer s3cret-value');
    expect(seen.at(-1)!['x-scope-orgid']).toBe('team-a');
    const err = await p.query({ stage, signal, env: {} }).catch((e: Error) => e);
    expect(String((err as Error).message)).toMatch(/header Authorization: environment variable PROM_TOKEN_TEST is not set/);
    const down = prometheusProvider({ url: `${base}/down`, query: 'up', headers: { Authorization: 'env:PROM_TOKEN_TEST' } });
    const e2 = await down.query({ stage, signal, env: { PROM_TOKEN_TEST: 'Bearer s3cret-value' } }).catch((e: Error) => e);
    expect(JSON.stringify({ m: (e2 as Error).message, d: down.description })).not.toContain('s3cret');
  });
});
