import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '../../src/cli/main.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURES = fileURLToPath(new URL('./fixtures', import.meta.url));

async function run(args: string[], cwd = ROOT): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { stdout: (s) => (out += s), stderr: (s) => (err += s), env: {}, isTTY: false, cwd, now: () => new Date('2025-06-01T00:00:00Z') };
  const code = await runCli(args, io);
  return { code, out, err };
}

describe('confgate test', () => {
  it('runs the example policy tests (fixtures/example/confgate-tests, found next to the discovered policy)', async () => {
    const r = await run(['test'], path.join(ROOT, 'fixtures', 'example'));
    expect(r.err).toBe('');
    expect(r.out).toContain('PASS doubled-feature-file');
    expect(r.out).toContain('PASS feature-type-changed');
    expect(r.out).toContain('3 cases: 3 passed, 0 failed');
    expect(r.code).toBe(0);
    const explicit = await run(['test', 'fixtures/example/confgate-tests', '--policy', 'fixtures/example/confgate.yaml']);
    expect(explicit.code).toBe(0);
  });

  it('exits 1 and shows expected vs actual, with the findings behind them', async () => {
    const r = await run(['test', path.join(FIXTURES, 'failing')]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('PASS passes');
    expect(r.out).toContain('FAIL route-missing');
    expect(r.out).toContain('verdict: expected allow, got block');
    expect(r.out).toContain('rules: expected limit.growth to appear; found rollout.no-canary, rule.route-pool-exists');
    expect(r.out).toContain('absent: expected rule.route-pool-exists not to appear, but it did');
    expect(r.out).toContain('block rule.route-pool-exists at /routes/0: route r1 points at pool gone, which does not exist');
    expect(r.out).toContain('2 cases: 1 passed, 1 failed');
  });

  it('--format json and junit carry the same outcome', async () => {
    const j = await run(['test', path.join(FIXTURES, 'failing'), '--format', 'json']);
    expect(j.code).toBe(1);
    const doc = JSON.parse(j.out) as { passed: number; failed: number; cases: Array<{ name: string; status: string; expected: { verdict: string }; actual: { verdict: string; rules: string[] }; failures: string[] }> };
    expect(doc).toMatchObject({ passed: 1, failed: 1 });
    const failing = doc.cases.find((c) => c.name === 'route-missing')!;
    expect(failing).toMatchObject({ status: 'fail', expected: { verdict: 'allow' }, actual: { verdict: 'block', rules: ['rollout.no-canary', 'rule.route-pool-exists'] } });
    expect(failing.failures).toHaveLength(3);

    const x = await run(['test', path.join(FIXTURES, 'failing'), '--format', 'junit']);
    expect(x.code).toBe(1);
    expect(x.out).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="confgate test" tests="2" failures="1">/);
    expect(x.out).toContain('<testcase classname=');
    expect(x.out).toMatch(/<failure message="verdict: expected allow, got block" type="expectation">[^<]*actual: verdict block; rules rollout.no-canary, rule.route-pool-exists/);
  });

  it('exits 2 on usage errors: no folder, no cases, a malformed expect.yaml, a bad format', async () => {
    const missing = await run(['test', 'no/such/dir']);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/no test folder no\/such\/dir/);
    const empty = mkdtempSync(path.join(tmpdir(), 'confgate-test-empty-'));
    try {
      const e = await run(['test', empty]);
      expect(e.code).toBe(2);
      expect(e.err).toMatch(/holds no test cases/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
    const bad = await run(['test', path.join(FIXTURES, 'bad-expect')]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/expect\.yaml:2:\d+: unknown key `rulez`/);
    expect((await run(['test', path.join(FIXTURES, 'failing'), '--format', 'sarif'])).code).toBe(2);
  });
});
