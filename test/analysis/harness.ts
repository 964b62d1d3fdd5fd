// Test harness: a simulated fleet exporter on loopback, and a real Prometheus (Debian's binary) scraping it.
// No mock of the Prometheus API: tests that claim Prometheus support talk to this server.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';

/** A fleet whose error ratio and latency depend on the config version each target runs. */
export class Fleet {
  /** Config version per target id. */
  readonly versions = new Map<string, string>();
  /** Labels per target id (exported as labels of every series). */
  readonly labels = new Map<string, Record<string, string>>();
  /** Error ratio of a version (default 0.001 for anything not listed). */
  readonly errorRatio = new Map<string, number>();
  /** Extra latency (ms) added per domain label value (a slower region). */
  readonly domainLatency = new Map<string, number>();
  /** Extra latency (ms) per target id, whatever its config (targets are not all alike). */
  readonly jitter = new Map<string, number>();
  server?: Server;
  port = 0;

  add(id: string, version: string, labels: Record<string, string> = {}): void {
    this.versions.set(id, version);
    this.labels.set(id, labels);
  }

  ratioOf(id: string): number {
    return this.errorRatio.get(this.versions.get(id) ?? '') ?? 0.001;
  }

  /** Prometheus text exposition of the whole fleet. */
  exposition(): string {
    const lines = ['# TYPE edge_error_ratio gauge', '# TYPE edge_latency_ms gauge', '# TYPE edge_up gauge'];
    for (const [id, version] of this.versions) {
      const extra = Object.entries(this.labels.get(id) ?? {}).map(([k, v]) => `,${k}="${v}"`).join('');
      // The label set stays the same when the version changes (a new label set would make the old series stale).
      void version;
      const l = `target="${id.replace(/["\\]/g, '\\$&')}"${extra}`;
      lines.push(`edge_error_ratio{${l}} ${this.ratioOf(id)}`);
      const region = this.labels.get(id)?.region;
      lines.push(`edge_latency_ms{${l}} ${100 + (region ? (this.domainLatency.get(region) ?? 0) : 0) + (this.jitter.get(id) ?? 0) + this.ratioOf(id) * 1000}`);
      lines.push(`edge_up{${l}} 1`);
    }
    return `${lines.join('\n')}\n`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      if (req.url === '/metrics') {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
        res.end(this.exposition());
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    if (this.server) await new Promise<void>((r) => this.server!.close(() => r()));
  }
}

/** A free loopback port (listen on 0, read it, close). */
export async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Path of the Prometheus binary; throws a clear error when missing (scripts/pretest.sh installs it). */
export function prometheusBinary(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v prometheus'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('the prometheus binary is missing: apt-get install prometheus (scripts/pretest.sh does)');
  }
}

/** A real Prometheus server on a free loopback port with temporary config and storage. */
export class PrometheusServer {
  url = '';
  private child?: ChildProcess;
  private dir = '';
  private log = '';

  async start(scrapePort: number): Promise<void> {
    const bin = prometheusBinary();
    this.dir = mkdtempSync(join(tmpdir(), 'confgate-prom-'));
    const config = [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      'scrape_configs:',
      '  - job_name: fleet',
      '    honor_labels: true',
      '    scrape_interval: 1s',
      '    scrape_timeout: 900ms',
      '    static_configs:',
      `      - targets: ['127.0.0.1:${scrapePort}']`,
      '',
    ].join('\n');
    writeFileSync(join(this.dir, 'prometheus.yml'), config);
    for (let attempt = 0; ; attempt++) {
      const port = await freePort();
      this.url = `http://127.0.0.1:${port}`;
      this.child = spawn(bin, [
        `--config.file=${join(this.dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(this.dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--storage.tsdb.retention.time=1h',
        '--log.level=warn',
      ], { stdio: ['ignore', 'ignore', 'pipe'] });
      this.child.stderr!.on('data', (b: Buffer) => {
        this.log = (this.log + b.toString()).slice(-4000);
      });
      const ok = await this.waitReady(60_000);
      if (ok) return;
      await this.stopChild();
      if (attempt >= 2) throw new Error(`Prometheus did not become ready:\n${this.log}`);
    }
  }

  private async waitReady(ms: number): Promise<boolean> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (this.child?.exitCode !== null) return false;
      try {
        const r = await fetch(`${this.url}/-/ready`);
        if (r.ok) return true;
      } catch {
        /* not yet */
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    return false;
  }

  /** Polls an instant query until `until` accepts its vector result (or throws after `ms`). */
  async waitFor(query: string, until: (result: Array<{ metric: Record<string, string>; value: [number, string] }>) => boolean, ms = 60_000): Promise<void> {
    const end = Date.now() + ms;
    let last = '';
    while (Date.now() < end) {
      const r = await fetch(`${this.url}/api/v1/query?query=${encodeURIComponent(query)}`);
      const body = (await r.json()) as { data?: { result?: Array<{ metric: Record<string, string>; value: [number, string] }> } };
      last = JSON.stringify(body).slice(0, 300);
      if (body.data?.result && until(body.data.result)) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`Prometheus: ${query} not as expected after ${ms}ms; last answer ${last}`);
  }

  private async stopChild(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  }

  async stop(): Promise<void> {
    await this.stopChild();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** What a {@link MetricsServer} request saw: the target, the header it was sent, and when. */
export interface MetricsRequest {
  id: string;
  authorization: string | undefined;
  at: number;
}

/**
 * A real loopback HTTP server for the web provider: `GET /m/<target id>` answers `answer(id)` as JSON (a 404 for
 * `undefined`). With `token`, a request without `authorization: Bearer <token>` gets a 401. Every request is logged.
 */
export class MetricsServer {
  readonly requests: MetricsRequest[] = [];
  url = '';
  private server?: Server;

  constructor(
    public answer: (id: string) => unknown,
    readonly token?: string,
  ) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const m = /^\/m\/([^?]*)/.exec(req.url ?? '');
      const id = m ? decodeURIComponent(m[1]!) : '';
      const authorization = req.headers.authorization;
      this.requests.push({ id, authorization, at: Date.now() });
      if (this.token !== undefined && authorization !== `Bearer ${this.token}`) {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end('{"error":"unauthorized"}');
        return;
      }
      const body = m ? this.answer(id) : undefined;
      res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body ?? { error: 'unknown' }));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  async stop(): Promise<void> {
    if (this.server) await new Promise<void>((r) => this.server!.close(() => r()));
  }
}
