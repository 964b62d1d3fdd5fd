/**
 * Notifications against a real HTTP receiver on 127.0.0.1 (node:http): delivery of the subscribed events only, with
 * `env:` headers; retries on 500 then success; a receiver that is down, one that never answers, one that refuses
 * (4xx, not retried); Slack messages escaped; payloads masked; `notify()` never waits for the network, so a rollout
 * rolls back while a notification is still in flight; the policy's `notify:` entries; `confgate check` wiring.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '../../src/cli/main.js';
import {
  createGate,
  createNotifier,
  gateEvent,
  loadConfig,
  loadPolicy,
  MemoryJournal,
  OptionsError,
  PolicyError,
  planRollout,
  runRollout,
  type NotifyFailedEvent,
  type RolloutEvent,
} from '../../src/index.js';
import { createMasker } from '../../src/secrets.js';

interface Hit {
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

interface Receiver {
  url: string;
  hits: Hit[];
  close(): Promise<void>;
}

const servers: Receiver[] = [];

/** A receiver whose answer to the n-th request (1-based) is `answer(n)`: a status, or 'hang' (never answers). */
async function receiver(answer: (n: number, hit: Hit) => number | 'hang' = () => 200): Promise<Receiver> {
  const hits: Hit[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const hit = { url: req.url ?? '', headers: req.headers, body };
      hits.push(hit);
      const a = answer(hits.length, hit);
      if (a === 'hang') return;
      res.writeHead(a, { 'content-type': 'text/plain' });
      res.end('ok');
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const rec: Receiver = {
    url: `http://127.0.0.1:${port}/hooks/T000/B000/secretpath`,
    hits,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
  servers.push(rec);
  return rec;
}

/** A URL on which nothing listens (a port that was just closed). */
async function downUrl(): Promise<string> {
  const r = await receiver();
  await r.close();
  return r.url;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const finished = (status: string, reason?: string): RolloutEvent => ({ type: 'rollout.finished', id: 'r-1', status, ...(reason ? { reason } : {}) }) as RolloutEvent;

describe('createNotifier', () => {
  it('sends the subscribed events only, as the --events object, with env: headers', async () => {
    const r = await receiver();
    const failures: NotifyFailedEvent[] = [];
    const n = createNotifier([{ on: ['stage.failed', 'rollout.rolled-back'], webhook: { url: 'env:HOOK_URL', headers: { Authorization: 'env:HOOK_TOKEN', 'X-Team': 'edge' } } }], {
      env: { HOOK_URL: r.url, HOOK_TOKEN: 'Bearer t0k3n' },
      now: () => new Date('2025-11-18T11:20:00Z'),
      onFailure: (f) => failures.push(f),
    });
    n.notify({ type: 'stage.passed', stage: 0, name: 'canary' });
    n.notify({ type: 'stage.failed', stage: 1, name: 'eu', reason: 'health failed' });
    n.notify(finished('completed'));
    n.notify(finished('rolled-back', 'stage eu failed'));
    expect(await n.flush(10_000)).toEqual({ delivered: 2, failed: 0, pending: 0 });
    expect(failures).toEqual([]);
    expect(r.hits.map((h) => JSON.parse(h.body))).toEqual([
      { v: 1, ts: '2025-11-18T11:20:00.000Z', type: 'stage.failed', stage: 1, name: 'eu', reason: 'health failed' },
      { v: 1, ts: '2025-11-18T11:20:00.000Z', type: 'rollout.finished', id: 'r-1', status: 'rolled-back', reason: 'stage eu failed' },
    ]);
    expect(r.hits[0]!.headers['authorization']).toBe('Bearer t0k3n');
    expect(r.hits[0]!.headers['x-team']).toBe('edge');
    expect(r.hits[0]!.headers['content-type']).toBe('application/json');
  });

  it('retries a 500 and delivers on the third attempt', async () => {
    const r = await receiver((i) => (i < 3 ? 500 : 204));
    const failures: NotifyFailedEvent[] = [];
    const n = createNotifier([{ on: ['rollout.held'], webhook: { url: r.url }, retries: 3 }], { backoff: 5, onFailure: (f) => failures.push(f) });
    n.notify({ type: 'rollout.held', stage: 0, kind: 'inconclusive', reason: 'no data' });
    expect(await n.flush(10_000)).toEqual({ delivered: 1, failed: 0, pending: 0 });
    expect(r.hits.length).toBe(3);
    expect(new Set(r.hits.map((h) => h.body)).size).toBe(1);
    expect(failures).toEqual([]);
  });

  it('a receiver that keeps answering 500: bounded retries, then one failure', async () => {
    const r = await receiver(() => 500);
    const failures: NotifyFailedEvent[] = [];
    const n = createNotifier([{ on: ['stage.failed'], webhook: { url: r.url }, retries: 2 }], { backoff: 5, onFailure: (f) => failures.push(f) });
    n.notify({ type: 'stage.failed', stage: 0, name: 'c', reason: 'x' });
    expect(await n.flush(10_000)).toEqual({ delivered: 0, failed: 1, pending: 0 });
    expect(r.hits.length).toBe(3);
    expect(failures).toEqual([{ type: 'notify.failed', channel: expect.stringMatching(/^webhook 127\.0\.0\.1:\d+$/), event: 'stage.failed', attempts: 3, error: 'HTTP 500' }]);
  });

  it('a receiver that is down: a failure naming no URL', async () => {
    const url = await downUrl();
    const failures: NotifyFailedEvent[] = [];
    const n = createNotifier([{ name: 'ops', on: ['stage.failed'], slack: { url } }], { backoff: 5, onFailure: (f) => failures.push(f) });
    n.notify({ type: 'stage.failed', stage: 0, name: 'c', reason: 'x' });
    await n.flush(10_000);
    expect(failures.length).toBe(1);
    expect(failures[0]).toMatchObject({ channel: 'ops', attempts: 4 });
    expect(failures[0]!.error).toMatch(/ECONNREFUSED|fetch failed/);
    expect(JSON.stringify(failures)).not.toContain('secretpath');
  });

  it('a 4xx is not retried', async () => {
    const r = await receiver(() => 404);
    const failures: NotifyFailedEvent[] = [];
    const n = createNotifier([{ on: ['stage.failed'], webhook: { url: r.url } }], { backoff: 5, onFailure: (f) => failures.push(f) });
    n.notify({ type: 'stage.failed', stage: 0, name: 'c', reason: 'x' });
    await n.flush(10_000);
    expect(r.hits.length).toBe(1);
    expect(failures[0]).toMatchObject({ attempts: 1, error: 'HTTP 404 (not retried)' });
  });

  it('a receiver that never answers: notify() returns at once, the attempt times out, flush is bounded', async () => {
    const r = await receiver(() => 'hang');
    const failures: NotifyFailedEvent[] = [];
    const n = createNotifier([{ on: ['stage.failed'], webhook: { url: r.url }, retries: 1, timeout: '300ms' }], { backoff: 5, onFailure: (f) => failures.push(f) });
    n.notify({ type: 'stage.failed', stage: 0, name: 'c', reason: 'x' });
    expect(n.pending).toBe(1); // queued, not sent yet: notify did not wait for the receiver
    expect(r.hits.length).toBe(0);
    // a short wait gives up with the delivery still in flight
    expect(await n.flush(1)).toMatchObject({ pending: 1 });
    expect(await n.flush(30_000)).toEqual({ delivered: 0, failed: 1, pending: 0 });
    expect(failures[0]).toMatchObject({ attempts: 2, error: 'timed out after 300ms' });
    expect(r.hits.length).toBe(2);
  });

  it('Slack: the summary with the reason and the report link, escaped', async () => {
    const r = await receiver();
    const n = createNotifier([{ on: ['rollout.rolled-back'], slack: { url: r.url } }], { reportUrl: 'https://ci.example/artifacts/report.html' });
    n.notify(finished('rolled-back', 'stage eu failed <!channel> <https://evil|click> & more'));
    await n.flush(10_000);
    const body = JSON.parse(r.hits[0]!.body) as { text: string };
    expect(body.text).toBe(
      'confgate: rollout r-1 ROLLED-BACK: stage eu failed &lt;!channel&gt; &lt;https://evil|click&gt; &amp; more\nreport: https://ci.example/artifacts/report.html',
    );
  });

  it('masks secrets in payloads with the caller mask', async () => {
    const r = await receiver();
    const masker = createMasker({ secrets: [] }, [loadConfig({ text: 'api_token: sk_live_planted_0123456789\n', file: 'c.yaml' })]);
    const n = createNotifier([{ on: ['stage.failed'], webhook: { url: r.url } }], { mask: masker.value });
    n.notify({ type: 'stage.failed', stage: 0, name: 'c', reason: 'hook said: token sk_live_planted_0123456789 refused' });
    await n.flush(10_000);
    expect(r.hits[0]!.body).not.toContain('sk_live_planted_0123456789');
    expect(r.hits[0]!.body).toContain('«secret sha256:');
  });

  it('refuses a bad entry or an unset env: variable at once', () => {
    expect(() => createNotifier([{ on: ['stage.failed'], webhook: { url: 'env:NOPE' } }], { env: {} })).toThrow(OptionsError);
    expect(() => createNotifier([{ on: ['stage.failed'], webhook: { url: 'env:NOPE' } }], { env: {} })).toThrow(/NOPE/);
    expect(() => createNotifier([{ on: ['stage.exploded' as 'stage.failed'], webhook: { url: 'https://x.example' } }])).toThrow(/unknown event/);
    expect(() => createNotifier([{ on: ['stage.failed'], webhook: { url: 'ftp://x.example' } }])).toThrow(/http/);
    expect(() => createNotifier([{ on: ['stage.failed'] }])).toThrow(/exactly one/);
  });

  it('never delays a rollback: the rollout rolls back and returns while its notification still hangs', async () => {
    const r = await receiver(() => 'hang');
    const n = createNotifier([{ on: ['stage.failed', 'rollback.started', 'rollout.rolled-back'], webhook: { url: r.url }, timeout: '60s', retries: 0 }]);
    const targets = Array.from({ length: 4 }, (_, i) => ({ id: `t${i}`, labels: {} }));
    const rolledBack: string[] = [];
    const result = await runRollout({
      plan: planRollout({ targets, stages: [{ name: 'canary', count: 1 }, { name: 'all', percent: 100 }] }),
      proposed: { v: 2 },
      lkg: { v: 1 },
      journal: new MemoryJournal(),
      healthOptions: { interval: 10, timeout: 1_000 },
      apply: () => undefined,
      rollback: (t) => void rolledBack.push(t.id),
      health: (t) => t.id !== 't2',
      onEvent: (e) => n.notify(e),
    });
    expect(result.status).toBe('rolled-back');
    expect(rolledBack.length).toBeGreaterThan(0);
    expect(n.pending).toBe(3); // stage.failed, rollback.started and rollout.finished: all still in flight
    await expect.poll(() => r.hits.length, { timeout: 30_000 }).toBe(3);
    expect(JSON.parse(r.hits.find((h) => h.body.includes('rollout.finished'))!.body)).toMatchObject({ status: 'rolled-back' });
  });

});

describe('policy notify entries', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'confgate-notify-'));
  it('are validated by the policy schema and kept as written', () => {
    writeFileSync(path.join(dir, 'ok.yaml'), 'version: 1\nnotify:\n  - on: [gate.blocked, stage.failed, rollout.held, rollout.rolled-back, rollout.completed]\n    webhook: { url: https://hooks.example/confgate, headers: { Authorization: env:HOOK_TOKEN } }\n  - on: [rollout.rolled-back]\n    slack: { url: env:SLACK_WEBHOOK_URL }\n');
    const p = loadPolicy(path.join(dir, 'ok.yaml'));
    expect(p.notify).toEqual([
      { on: ['gate.blocked', 'stage.failed', 'rollout.held', 'rollout.rolled-back', 'rollout.completed'], webhook: { url: 'https://hooks.example/confgate', headers: { Authorization: 'env:HOOK_TOKEN' } } },
      { on: ['rollout.rolled-back'], slack: { url: 'env:SLACK_WEBHOOK_URL' } },
    ]);
    for (const [name, text] of [
      ['unknown-event.yaml', 'version: 1\nnotify:\n  - on: [rollout.exploded]\n    webhook: { url: https://x.example }\n'],
      ['both.yaml', 'version: 1\nnotify:\n  - on: [stage.failed]\n    webhook: { url: https://x.example }\n    slack: { url: https://y.example }\n'],
      ['neither.yaml', 'version: 1\nnotify:\n  - on: [stage.failed]\n'],
      ['bad-url.yaml', 'version: 1\nnotify:\n  - on: [stage.failed]\n    slack: { url: hooks.example }\n'],
    ] as const) {
      writeFileSync(path.join(dir, name), text);
      expect(() => loadPolicy(path.join(dir, name)), name).toThrow(PolicyError);
    }
  });

  it('confgate check sends gate.blocked, and a failed delivery is a stderr line that does not change the exit code', async () => {
    const r = await receiver();
    const down = await downUrl();
    writeFileSync(path.join(dir, 'confgate.yaml'), `version: 1\nnotify:\n  - on: [gate.blocked]\n    webhook: { url: env:HOOK_URL }\n  - name: pager\n    on: [gate.blocked]\n    webhook: { url: ${down} }\n    retries: 1\n`);
    writeFileSync(path.join(dir, 'bad.json'), '{"a": 1, "a": 2}');
    writeFileSync(path.join(dir, 'good.json'), '{"a": 1}');
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = { stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), env: { HOOK_URL: r.url }, isTTY: false, cwd: dir, now: () => new Date('2025-11-18T11:20:00Z') };
    expect(await runCli(['check', '--proposed', 'bad.json', '--policy', 'confgate.yaml', '--format', 'json'], io)).toBe(1);
    expect(r.hits.length).toBe(1);
    expect(JSON.parse(r.hits[0]!.body)).toMatchObject({ v: 1, type: 'gate.blocked', verdict: 'block', proposed: 'bad.json', top: [{ rule: 'parse.duplicate-key' }] });
    expect(err.join('')).toMatch(/^confgate: notification gate\.blocked to pager failed after 2 attempts: /m);
    expect(err.join('')).not.toContain(down);
    // an allowed push sends nothing (not subscribed); an unset env: variable is a usage error before anything runs
    expect(await runCli(['check', '--proposed', 'good.json', '--policy', 'confgate.yaml'], { ...io, env: { HOOK_URL: r.url } })).toBe(0);
    expect(r.hits.length).toBe(1);
    expect(await runCli(['check', '--proposed', 'good.json', '--policy', 'confgate.yaml'], { ...io, env: {} })).toBe(2);
  });

  it('confgate rollout sends stage.failed and rollout.rolled-back; a failed delivery is in --events', async () => {
    const r = await receiver();
    const down = await downUrl();
    const w = mkdtempSync(path.join(dir, 'rollout-'));
    writeFileSync(path.join(w, 'hook.mjs'), "const l = JSON.parse(process.env.CONFGATE_TARGET_LABELS); if (process.argv[2] === 'health' && l.region === 'r2') process.exit(1);\n");
    writeFileSync(
      path.join(w, 'confgate.yaml'),
      `version: 1\nrollout:\n  stages:\n    - { name: canary, count: 1, bake: 50ms }\n    - { name: all, percent: 100, bake: 50ms }\n  failureDomain: region\n  health: { interval: 20ms, timeout: 10s }\nnotify:\n  - on: [stage.failed, rollout.rolled-back, rollout.completed]\n    webhook: { url: ${r.url}, headers: { Authorization: env:HOOK_TOKEN } }\n  - name: down\n    on: [rollout.rolled-back]\n    slack: { url: ${down} }\n    retries: 0\n`,
    );
    writeFileSync(path.join(w, 'targets.json'), JSON.stringify({ targets: [1, 2, 3, 4].map((i) => ({ id: `pop-${i}`, labels: { region: `r${(i % 2) + 1}` } })) }));
    writeFileSync(path.join(w, 'live.json'), '{"version": "1.0.0", "a": 1}');
    writeFileSync(path.join(w, 'next.json'), '{"version": "1.0.1", "a": 2}');
    const err: string[] = [];
    const io: CliIo = { stdout: () => undefined, stderr: (t) => void err.push(t), env: { HOOK_TOKEN: 'Bearer abc', PATH: process.env['PATH'] ?? '', CONFGATE_LOCK_DIR: path.join(w, '.locks') }, isTTY: false, cwd: w, now: () => new Date() };
    const node = process.execPath;
    const code = await runCli(['rollout', '--proposed', 'next.json', '--current', 'live.json', '--targets', 'targets.json', '--policy', 'confgate.yaml', '--apply', `${node} hook.mjs apply`, '--rollback', `${node} hook.mjs rollback`, '--health', `${node} hook.mjs health`, '--journal', 'j.journal', '--events', 'events.ndjson'], io);
    expect(code, err.join('')).toBe(1);
    const types = r.hits.map((h) => (JSON.parse(h.body) as { type: string; status?: string }).type);
    expect(types).toEqual(['stage.failed', 'rollout.finished']);
    expect(JSON.parse(r.hits[1]!.body)).toMatchObject({ status: 'rolled-back' });
    expect(r.hits[0]!.headers['authorization']).toBe('Bearer abc');
    expect(err.join('')).toMatch(/notification rollout\.finished to down failed after 1 attempt: /);
    const events = readFileSync(path.join(w, 'events.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    expect(events.filter((e) => e.type === 'notify.failed')).toEqual([expect.objectContaining({ channel: 'down', event: 'rollout.finished', attempts: 1 })]);
  });

  it('gateEvent summarises a report', () => {
    const report = createGate(loadPolicy(path.join(dir, 'ok.yaml'))).evaluate({ proposed: loadConfig({ text: '{"a": 1, "a": 2}', file: 'p.json' }), at: '2025-11-18T11:20:00Z' });
    expect(gateEvent(report)).toMatchObject({ type: 'gate.blocked', verdict: 'block', proposed: 'p.json', findings: { block: 1 }, top: [{ rule: 'parse.duplicate-key', where: 'p.json:1:10' }] });
  });
});

afterAll(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
