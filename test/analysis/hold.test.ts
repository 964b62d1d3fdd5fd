// End to end with the built CLI (dist/cli/bin.cjs), every command its own process: `confgate rollout --policy` whose
// analysis holds the rollout (an inconclusive metric past its limit; a judge that cannot decide), `confgate status`
// (text and json) naming the metric, target, value and condition, and `confgate control continue|abort` from another
// process. Metrics come from a real loopback HTTP server whose answers depend on what the hook processes did.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MetricsServer } from './harness.js';

const BIN = path.resolve('dist/cli/bin.cjs');
const NODE = process.execPath;
const root = mkdtempSync(path.join(tmpdir(), 'confgate-analysis-hold-'));
const HOOK = `import { appendFileSync } from 'node:fs';
appendFileSync(process.argv[2], JSON.stringify({ kind: process.argv[3], id: process.env.CONFGATE_TARGET_ID }) + '\\n');`;
const TOKEN = 'hold-test-secret-token-0042';

let dir = '';
/** The exporter answers no data for targets on the new config while this is true. */
let exporterDown = false;

/** What each target runs now, from the hook log: applied minus rolled back. */
function runs(): Map<string, 'new' | 'lkg'> {
  const m = new Map<string, 'new' | 'lkg'>();
  const file = path.join(dir, 'calls.log');
  if (!existsSync(file)) return m;
  for (const l of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
    const c = JSON.parse(l) as { kind: string; id: string };
    m.set(c.id, c.kind === 'apply' ? 'new' : 'lkg');
  }
  return m;
}

const server = new MetricsServer((id) => {
  const onNew = runs().get(id) === 'new';
  const n = Number(id.replace(/\D/g, ''));
  return { errors: onNew && exporterDown ? null : 0.001, latency: 100 + n * 0.5 + (onNew ? 40 : 0) };
}, TOKEN);

beforeAll(async () => {
  if (!existsSync(BIN)) throw new Error('dist/cli/bin.cjs is missing: run `npm run build` first (npm test does)');
  await server.start();
});
/** Processes this file started: a failed test must not leave a rollout running (it would hold the lock). */
const children = new Set<ChildProcess>();
afterEach(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children.clear();
});
afterAll(async () => {
  await server.stop();
  rmSync(root, { recursive: true, force: true });
});

let seq = 0;
function workdir(metrics: string): string {
  dir = path.join(root, `w${seq++}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'hook.mjs'), HOOK);
  writeFileSync(path.join(dir, 'targets.json'), JSON.stringify({ targets: [1, 2, 3, 4].map((i) => ({ id: `pop-${i}`, labels: { region: `r${i % 2}` } })) }));
  writeFileSync(path.join(dir, 'live.json'), JSON.stringify({ version: '1.0.0', x: 1 }));
  writeFileSync(path.join(dir, 'next.json'), JSON.stringify({ version: '1.0.1', x: 2 }));
  writeFileSync(path.join(dir, 'confgate.yaml'), `version: 1
rollout:
  failureDomain: region
  stages:
    - { name: canary, count: 2, bake: 300ms }
    - { name: all, percent: 100, bake: 100ms }
  health: { interval: 50ms, timeout: 5s }
  analysis:
    metrics:
${metrics}`);
  return dir;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the built CLI as its own process. */
function cli(args: string[], env: Record<string, string> = {}): { done: Promise<Run> } {
  const child = spawn(NODE, [BIN, ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', CONFGATE_LOCK_DIR: path.join(dir, 'locks'), METRICS_AUTH: `Bearer ${TOKEN}`, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  return { done: new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }))) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll `confgate status --format json` until `pred` holds. */
async function statusUntil(pred: (s: Record<string, unknown>) => boolean, what: string, rollout: Promise<Run>): Promise<Record<string, unknown>> {
  const end = Date.now() + 90_000;
  let finished: Run | undefined;
  void rollout.then((r) => (finished = r));
  for (;;) {
    if (existsSync(path.join(dir, 'confgate-rollout.journal'))) {
      const r = await cli(['status', '--format', 'json']).done;
      if (r.code === 0) {
        const s = JSON.parse(r.stdout) as Record<string, unknown>;
        if (pred(s)) return s;
      }
    }
    if (finished) throw new Error(`the rollout ended before ${what}: ${finished.stdout}\n${finished.stderr}`);
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const hook = (kind: string) => `${NODE} hook.mjs calls.log ${kind}`;
const rolloutArgs = ['rollout', '--proposed', 'next.json', '--current', 'live.json', '--targets', 'targets.json', '--policy', 'confgate.yaml', '--apply', hook('apply'), '--rollback', hook('rollback'), '--events', 'events.ndjson', '--format', 'json'];
const url = () => `${server.url}/m/{{target.id}}`;

describe('a hold made by analysis, released or aborted from another process (built CLI)', () => {
  it('no data past inconclusiveLimit holds; status names metric, target and condition; control continue completes the rollout', async () => {
    exporterDown = true;
    workdir(`      - name: error-ratio
        web: { url: '${url()}', jsonPath: $.errors, headers: { Authorization: 'env:METRICS_AUTH' } }
        successCondition: result <= 0.01
        noData: inconclusive
        inconclusiveLimit: 2
`);
    const rollout = cli(rolloutArgs).done;
    const held = await statusUntil((s) => s.status === 'held', 'the hold', rollout);
    expect(held).toMatchObject({ hold: { kind: 'inconclusive' }, stage: { index: 0, name: 'canary' } });
    const analysis = held.analysis as { measurements: number; findings: Array<Record<string, unknown>> };
    expect(analysis.measurements).toBeGreaterThan(0);
    expect(analysis.findings[0]).toMatchObject({ metric: 'error-ratio', kind: 'inconclusive', source: 'measurement', stageName: 'canary', condition: 'result <= 0.01' });
    expect(analysis.findings[0]!.targetId).toMatch(/^pop-\d$/);
    expect(analysis.findings[0]!.message).toMatch(/no data; 3 inconclusive measurements > inconclusiveLimit 2/);
    const text = await cli(['status']).done;
    expect(text.stdout).toMatch(/HELD/);
    expect(text.stdout).toMatch(/analysis inconclusive \(measurement, stage canary\): metric error-ratio on pop-\d, condition `result <= 0.01`: metric "error-ratio" on pop-\d: no data/);
    // the exporter is back; a person releases the hold from another process
    exporterDown = false;
    const cont = await cli(['control', 'continue', '--reason', 'exporter restarted'], { USER: 'dana' }).done;
    expect(cont.code).toBe(0);
    const r = await rollout;
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as { status: string; analysis: { findings: Array<Record<string, unknown>> } };
    expect(result.status).toBe('completed');
    expect(result.analysis.findings[0]).toMatchObject({ metric: 'error-ratio', kind: 'inconclusive' });
    expect(r.stderr).toMatch(/\[canary\] measurement error-ratio on pop-\d: Inconclusive: no data/);
    expect(r.stderr).toMatch(/\[canary\] analysis INCONCLUSIVE: metric "error-ratio" on pop-\d: no data/);
    expect(r.stderr).toMatch(/HELD \(inconclusive\)/);
    expect([...runs().values()]).toEqual(['new', 'new', 'new', 'new']);
    // --events: every measurement is a typed NDJSON line; the credential is nowhere
    const events = readFileSync(path.join(dir, 'events.ndjson'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const measured = events.filter((e) => e.type === 'analysis.measurement');
    expect(measured.length).toBeGreaterThan(4);
    expect(measured[0]).toMatchObject({ v: 1, metric: 'error-ratio', role: 'canary' });
    expect(measured.some((e) => e.phase === 'Successful' && e.value === 0.001)).toBe(true);
    const journal = readFileSync(path.join(dir, 'confgate-rollout.journal'), 'utf8');
    for (const out of [journal, readFileSync(path.join(dir, 'events.ndjson'), 'utf8'), r.stdout, r.stderr, text.stdout]) expect(out).not.toContain(TOKEN);
    expect(server.requests.every((q) => q.authorization === `Bearer ${TOKEN}`)).toBe(true);
    const after = JSON.parse((await cli(['status', '--format', 'json']).done).stdout) as { status: string; analysis: { findings: unknown[] } };
    expect(after.status).toBe('completed');
    // one finding per canary target that ran out of data (the canary has 2), the same in status and the result
    expect(after.analysis.findings).toEqual(result.analysis.findings);
    expect(result.analysis.findings.every((x) => x.kind === 'inconclusive' && x.metric === 'error-ratio')).toBe(true);
  }, 180_000);

  it('a judge that cannot decide holds (marginal); control abort rolls every changed target back', async () => {
    exporterDown = false;
    workdir(`      - name: latency
        web: { url: '${url()}', jsonPath: $.latency, headers: { Authorization: 'env:METRICS_AUTH' } }
        judge: { baseline: lkg, direction: increase, tolerance: 10% }
`);
    const rollout = cli(rolloutArgs).done;
    const held = await statusUntil((s) => s.status === 'held', 'the hold', rollout);
    expect(held).toMatchObject({ hold: { kind: 'inconclusive' } });
    expect((held.hold as { reason: string }).reason).toMatch(/stage "canary": metric "latency": too few observations to judge/);
    const analysis = held.analysis as { findings: Array<Record<string, unknown>>; judgements: Array<Record<string, unknown>> };
    expect(analysis.judgements.map((j) => `${j.stageName}:${j.metric}:${j.outcome}`)).toEqual(['canary:latency:marginal']);
    const f = analysis.findings.find((x) => x.source === 'judge')!;
    expect(f).toMatchObject({ metric: 'latency', kind: 'inconclusive', stageName: 'canary' });
    expect(f.value as number).toBeGreaterThan(139);
    expect(f.baseline as number).toBeLessThan(103);
    expect(f.condition).toMatch(/canary rise vs baseline lkg <= 10% of the baseline median/);
    const text = await cli(['status']).done;
    expect(text.stdout).toMatch(/analysis inconclusive \(judge, stage canary\): metric latency on pop-\d \(r\d\), value [\d.]+ vs baseline [\d.]+, condition `canary rise/);
    const abort = await cli(['control', 'abort', '--reason', 'latency looks worse'], { USER: 'erin' }).done;
    expect(abort.code).toBe(0);
    const r = await rollout;
    expect(r.code).toBe(1);
    const result = JSON.parse(r.stdout) as { status: string; reason: string };
    expect(result.status).toBe('aborted');
    expect(result.reason).toMatch(/aborted by operator erin@\S+ \(latency looks worse\)/);
    expect([...runs().values()].every((v) => v === 'lkg')).toBe(true);
    expect(r.stderr).toMatch(/\[canary\] judge MARGINAL: metric "latency": too few observations/);
    const after = JSON.parse((await cli(['status', '--format', 'json']).done).stdout) as { status: string; analysis: { findings: Array<{ source: string }> } };
    expect(after.status).toBe('aborted');
    expect(after.analysis.findings.some((x) => x.source === 'judge')).toBe(true);
  }, 180_000);
});
