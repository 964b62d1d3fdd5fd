// `confgate rollout --policy` runs the policy's metrics with no --health hook: in-process CLI, real hook processes,
// and a real loopback HTTP metrics endpoint whose error ratio depends on what the hooks did to each target.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/main.js';

const NODE = process.execPath;
const dir = mkdtempSync(path.join(tmpdir(), 'confgate-analysis-cli-'));
const HOOK = `import { appendFileSync } from 'node:fs';
appendFileSync(process.argv[2], JSON.stringify({ kind: process.argv[3], id: process.env.CONFGATE_TARGET_ID }) + '\\n');`;
let server: Server;
let url = '';
let badVersion = true;

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

beforeAll(async () => {
  server = createServer((req, res) => {
    const id = decodeURIComponent((req.url ?? '').slice('/stats/'.length));
    const bad = badVersion && runs().get(id) === 'new';
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ errors: { ratio: bad ? 0.3 : 0.001 } }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  writeFileSync(path.join(dir, 'hook.mjs'), HOOK);
  writeFileSync(path.join(dir, 'targets.json'), JSON.stringify({ targets: [1, 2, 3, 4].map((i) => ({ id: `pop-${i}`, labels: { region: i % 2 ? 'r1' : 'r2' } })) }));
  writeFileSync(path.join(dir, 'live.json'), JSON.stringify({ version: '1.0.0', x: 1 }));
  writeFileSync(path.join(dir, 'next.json'), JSON.stringify({ version: '1.0.1', x: 2 }));
  writeFileSync(path.join(dir, 'confgate.yaml'), `version: 1
rollout:
  stages:
    - { name: canary, count: 1, bake: 300ms }
    - { name: all, percent: 100, bake: 100ms }
  health: { interval: 50ms, timeout: 5s }
  analysis:
    metrics:
      - name: error-ratio
        web: { url: '${url}/stats/{{target.id}}', jsonPath: $.errors.ratio }
        successCondition: result <= 0.01
`);
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

async function rollout() {
  rmSync(path.join(dir, 'calls.log'), { force: true });
  rmSync(path.join(dir, 'confgate-rollout.journal'), { force: true });
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), env: {}, isTTY: false, isErrTTY: false, cwd: dir, now: () => new Date('2025-11-18T11:20:00Z') };
  const hook = (kind: string) => [NODE, 'hook.mjs', 'calls.log', kind].join(' ');
  const code = await runCli(['rollout', '--proposed', 'next.json', '--current', 'live.json', '--targets', 'targets.json', '--policy', 'confgate.yaml', '--apply', hook('apply'), '--rollback', hook('rollback')], io);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('confgate rollout --policy with rollout.analysis', () => {
  it('rolls back a push whose error ratio rises on the canary; says which metric, target, value and condition', async () => {
    badVersion = true;
    const r = await rollout();
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/ROLLED-BACK/i);
    expect(r.stdout + r.stderr).toMatch(/metric "error-ratio" on pop-\d: successCondition `result <= 0.01` is false \(value 0.3\)/);
    expect(r.stderr).toMatch(/measurement error-ratio on pop-\d: Failed/);
    // the text summary on stdout names metric, target, value and condition too
    expect(r.stdout).toMatch(/analysis failed \(measurement, stage canary\): metric error-ratio on pop-\d, value 0.3, condition `result <= 0.01`: metric "error-ratio" on pop-\d/);
    expect([...runs().values()].every((v) => v === 'lkg')).toBe(true);
  }, 60_000);

  it('completes a healthy push with no --health hook', async () => {
    badVersion = false;
    const r = await rollout();
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/COMPLETED/);
    expect(r.stderr).not.toMatch(/warning: metric/);
  }, 60_000);
});
