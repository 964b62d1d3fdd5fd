// The web provider against a real local HTTP server; the command provider with real processes; templates and JSONPath.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandProvider, compileJsonPath, compileTemplate, webProvider } from '../../src/index.js';
import type { Target } from '../../src/index.js';
import { escapePromQLString } from '../../src/analysis/index.js';

const targets: Target[] = [
  { id: 'a/1', labels: { region: 'eu' } },
  { id: 'b', labels: { region: 'us' } },
];
const stage = { name: 'canary', targets };
const signal = new AbortController().signal;

let server: Server;
let base = '';
const requests: Array<{ url: string; method: string; body: string; auth?: string }> = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (b: Buffer) => (body += b.toString()));
    req.on('end', () => {
      requests.push({ url: req.url ?? '', method: req.method ?? '', body, ...(req.headers.authorization ? { auth: req.headers.authorization } : {}) });
      const u = req.url ?? '';
      const json = (code: number, v: unknown) => {
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(v));
      };
      if (u.startsWith('/stats/')) json(200, { latency: { p99: decodeURIComponent(u.slice(7)) === 'a/1' ? 120.5 : 80 }, hosts: [{ err: 0.1 }, { err: 0.2 }] });
      else if (u === '/fleet') json(200, { ratio: { 'a/1': 0.01, b: 0.3 } });
      else if (u === '/empty') json(200, { latency: {} });
      else if (u === '/null') json(200, { latency: { p99: null } });
      else if (u === '/string') json(200, { latency: { p99: '12' } });
      else if (u === '/503') json(503, { latency: { p99: 1 } });
      else if (u === '/html') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html>ok</html>');
      } else if (u === '/redirect') {
        res.writeHead(301, { location: '/stats/b' });
        res.end();
      } else json(404, {});
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

describe('web provider (real HTTP server)', () => {
  it('picks a number with a JSONPath; the target id is URL-encoded into the URL', async () => {
    const p = webProvider({ url: `${base}/stats/{{target.id}}`, jsonPath: '$.latency.p99' });
    expect(p.perTarget).toBe(true);
    expect((await p.query({ target: targets[0]!, stage, signal })).series).toEqual([{ labels: {}, value: 120.5 }]);
    expect(requests.at(-1)!.url).toBe('/stats/a%2F1');
  });

  it('a wildcard picks a list', async () => {
    const p = webProvider({ url: `${base}/stats/b`, jsonPath: '$.hosts[*].err' });
    expect((await p.query({ stage, signal })).series.map((s) => s.value)).toEqual([0.1, 0.2]);
  });

  it('an object keyed by target id gives series labelled for scope: stage', async () => {
    const p = webProvider({ url: `${base}/fleet`, jsonPath: '$.ratio' });
    expect((await p.query({ stage, signal })).series).toEqual([
      { labels: { target: 'a/1' }, value: 0.01 },
      { labels: { target: 'b' }, value: 0.3 },
    ]);
  });

  it('missing path and null are no data; a string is an error (no guessing)', async () => {
    expect((await webProvider({ url: `${base}/empty`, jsonPath: '$.latency.p99' }).query({ stage, signal })).series).toEqual([]);
    expect((await webProvider({ url: `${base}/null`, jsonPath: '$.latency.p99' }).query({ stage, signal })).series).toEqual([]);
    await expect(webProvider({ url: `${base}/string`, jsonPath: '$.latency.p99' }).query({ stage, signal })).rejects.toThrow(/is a string|got a string/);
  });

  it('non-2xx, non-JSON and redirects are errors (a 503 is never healthy)', async () => {
    await expect(webProvider({ url: `${base}/503`, jsonPath: '$.latency.p99' }).query({ stage, signal })).rejects.toThrow(/HTTP 503/);
    await expect(webProvider({ url: `${base}/html`, jsonPath: '$.x' }).query({ stage, signal })).rejects.toThrow(/not JSON/);
    await expect(webProvider({ url: `${base}/redirect`, jsonPath: '$.x' }).query({ stage, signal })).rejects.toThrow(/HTTP 301 redirect not followed/);
  });

  it('POST with a templated body and env: headers', async () => {
    const p = webProvider({ url: `${base}/stats/b`, method: 'POST', body: '{"stage":"{{stage.name}}"}', headers: { Authorization: 'env:WEB_TOKEN_T' }, jsonPath: '$.latency.p99' });
    await p.query({ stage, signal, env: { WEB_TOKEN_T: 'tok' } });
    expect(requests.at(-1)).toMatchObject({ method: 'POST', body: '{"stage":"canary"}', auth: 'tok' });
  });
});

describe('command provider (real processes)', () => {
  const node = process.execPath;
  it('a printed number, with templates in argv (no shell)', async () => {
    const p = commandProvider([node, '-e', 'console.log(process.argv[1] === "a/1 ; rm -rf /" ? 0.5 : 1)', '{{target.id}} ; rm -rf /']);
    const t = { id: 'a/1', labels: {} };
    expect((await p.query({ target: t, stage, signal })).series).toEqual([{ labels: {}, value: 0.5 }]);
  });

  it('JSON output: object keyed by target id; env carries the stage and target', async () => {
    const p = commandProvider([node, '-e', 'console.log(JSON.stringify({ [process.env.CONFGATE_STAGE]: 2 }))']);
    expect((await p.query({ stage, signal })).series).toEqual([{ labels: { target: 'canary' }, value: 2 }]);
  });

  it('empty output is no data; junk, non-zero exit and timeouts are errors', async () => {
    expect((await commandProvider([node, '-e', '']).query({ stage, signal })).series).toEqual([]);
    await expect(commandProvider([node, '-e', 'console.log("healthy")']).query({ stage, signal })).rejects.toThrow(/not a number or JSON/);
    await expect(commandProvider([node, '-e', 'console.error("boom"); process.exit(3)']).query({ stage, signal })).rejects.toThrow(/exit 3: boom/);
    await expect(commandProvider([node, '-e', 'setTimeout(() => {}, 60000)'], { timeoutMs: 300 }).query({ stage, signal })).rejects.toThrow(/timed out after 300ms/);
    await expect(commandProvider(['/nonexistent/confgate-metric']).query({ stage, signal })).rejects.toThrow(/ENOENT/);
  }, 30_000);
});

describe('templates', () => {
  it('renders target, labels, stage and escapes for PromQL', () => {
    const t = compileTemplate('x{target="{{target.id}}",region="{{ target.labels.region }}",stage="{{stage.name}}",t=~"{{stage.targets}}"}');
    const out = t.render({ target: { id: 'we"ird\\id', labels: { region: 'eu' } }, stage: { name: 's', targets: [{ id: 'a.b', labels: {} }, { id: 'c|d', labels: {} }] } }, escapePromQLString);
    expect(out).toBe('x{target="we\\"ird\\\\id",region="eu",stage="s",t=~"a\\\\.b|c\\\\|d"}');
  });

  it('rejects unknown variables and unbalanced braces', () => {
    expect(() => compileTemplate('{{target.name}}')).toThrow(/unknown template variable \{\{target.name\}\}/);
    expect(() => compileTemplate('{{stage.name}')).toThrow(/unbalanced/);
  });

  it('a missing label is an error at render time, naming target and label', () => {
    expect(() => compileTemplate('{{target.labels.zone}}').render({ target: { id: 't1', labels: {} }, stage })).toThrow(/target "t1" has no label "zone"/);
  });
});

describe('JSONPath subset', () => {
  const doc = { a: { 'b-c': [1, 2, 3], "we'ird": 4 }, list: [{ v: 1 }, { v: 2 }] };
  it('members, indexes, quoted names and wildcards', () => {
    expect(compileJsonPath('$.a.b-c[1]').select(doc)).toEqual([2]);
    expect(compileJsonPath('$.a.b-c[-1]').select(doc)).toEqual([3]);
    expect(compileJsonPath("$['a']['we\\'ird']").select(doc)).toEqual([4]);
    expect(compileJsonPath('$.list[*].v').select(doc)).toEqual([1, 2]);
    expect(compileJsonPath('$.a.*').select(doc)).toEqual([[1, 2, 3], 4]);
    expect(compileJsonPath('$.nope.x').select(doc)).toEqual([]);
    expect(compileJsonPath('$.constructor').select(doc)).toEqual([]);
  });
  it('rejects what is outside the subset at compile time', () => {
    expect(() => compileJsonPath('$..v')).toThrow(/recursive descent/);
    expect(() => compileJsonPath('$.list[?(@.v > 1)]')).toThrow(/filters/);
    expect(() => compileJsonPath('a.b')).toThrow(/must start with "\$"/);
  });
});
