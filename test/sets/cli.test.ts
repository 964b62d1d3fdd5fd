/**
 * Config sets through the built CLI (dist/cli/bin.cjs): `check`, `diff` and `test` with folders, every output format
 * locating findings in the member (SARIF artifact locations included), a rollout delivering the set to command
 * hooks as one folder, the journal holding no clear value, and failing closed on an unreadable member.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;
const BIN = path.join(ROOT, 'dist/cli/bin.cjs');
const FIXTURE = path.join(ROOT, 'fixtures/example-set');
const AT = '2025-11-18T11:20:00Z';
let dir: string;

function cg(args: string[], cwd = dir, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: 'utf8',
    // The test file's own lock directory (test/helpers/isolate-locks.ts): another run of this suite may be running.
    env: { PATH: process.env['PATH'] ?? '', NO_COLOR: '1', ...(process.env['CONFGATE_LOCK_DIR'] ? { CONFGATE_LOCK_DIR: process.env['CONFGATE_LOCK_DIR'] } : {}), ...env },
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'confgate-set-cli-'));
  cpSync(FIXTURE, dir, { recursive: true });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CHECK = ['check', '--policy', 'confgate.yaml', '--proposed', 'proposed', '--current', 'current', '--targets', 'targets.yaml', '--at', AT];

describe.runIf(existsSync(BIN))('config sets in the built CLI', () => {
  it('check: exit 1, the cross-file finding located in the member, the changes named by file', () => {
    const r = cg(CHECK);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/block {2}proposed\/regions\/us\.yaml:3:5 +rule\.route-pool-exists +route api points at pool us-pool/);
    expect(r.stdout).toContain('+ regions/ap.yaml\n');
    expect(r.stdout).toContain('- edge/base.yaml#/pools/[name=us-pool]');
    expect(r.stdout).toContain('proposed proposed, current current, policy confgate.yaml');
  });

  it('check --format json: findings and changes carry the member; files.set lists both sides', () => {
    const r = cg([...CHECK, '--format', 'json']);
    const j = JSON.parse(r.stdout);
    const f = j.findings.find((x: { rule: string }) => x.rule === 'rule.route-pool-exists');
    expect(f).toMatchObject({ file: 'regions/us.yaml', path: '/routes/0', location: { file: 'proposed/regions/us.yaml', line: 3, column: 5 } });
    expect(j.files.set.proposed).toEqual(['edge/base.yaml', 'regions/ap.yaml', 'regions/eu.yaml', 'regions/us.yaml']);
    expect(j.changes.changes.find((c: { file: string }) => c.file === 'regions/ap.yaml')).toMatchObject({ kind: 'added', path: '' });
  });

  it('check --format sarif: artifact locations point at the member file; github, gitlab and junit name it too', () => {
    const sarif = JSON.parse(cg([...CHECK, '--format', 'sarif', '--sarif-root', '.']).stdout);
    const res = sarif.runs[0].results.find((x: { ruleId: string }) => x.ruleId === 'rule.route-pool-exists');
    expect(res.locations[0].physicalLocation).toEqual({ artifactLocation: { uri: 'proposed/regions/us.yaml' }, region: { startLine: 3, startColumn: 5 } });
    const shrink = sarif.runs[0].results.find((x: { ruleId: string }) => x.ruleId === 'limit.shrink');
    expect(shrink.locations[0].physicalLocation.artifactLocation.uri).toBe('proposed/edge/base.yaml');
    const gh = cg([...CHECK, '--format', 'github', '--sarif-root', '.']).stdout;
    expect(gh).toContain('::error file=proposed/regions/us.yaml,line=3,col=5,title=rule.route-pool-exists::');
    const gl = JSON.parse(cg([...CHECK, '--format', 'gitlab', '--sarif-root', '.']).stdout);
    expect(gl.find((x: { check_name: string }) => x.check_name === 'rule.route-pool-exists').location).toEqual({ path: 'proposed/regions/us.yaml', lines: { begin: 3 } });
    const junit = cg([...CHECK, '--format', 'junit', '--sarif-root', '.']).stdout;
    expect(junit).toMatch(/<testcase name="rule\.route-pool-exists" classname="proposed\/regions\/us\.yaml"[^>]*>\s*<failure/);
  });

  it('a finding without a source position (version.not-increasing) still names the member in every format', () => {
    // the version went down in the base file: version.not-increasing has no line, only the member and the path
    const d = path.join(dir, 'versions');
    cpSync(path.join(dir, 'current'), path.join(d, 'current'), { recursive: true });
    cpSync(path.join(dir, 'current'), path.join(d, 'proposed'), { recursive: true });
    const base = path.join(d, 'proposed/edge/base.yaml');
    writeFileSync(base, readFileSync(base, 'utf8').replace('1.4.0', '1.3.0').replace('8080', '8090'));
    const j = JSON.parse(cg(['check', '--policy', 'confgate.yaml', '--proposed', 'versions/proposed', '--current', 'versions/current', '--at', AT, '--format', 'json']).stdout);
    const v = j.findings.find((x: { rule: string }) => x.rule === 'version.not-increasing');
    expect(v).toMatchObject({ severity: 'block', file: 'edge/base.yaml', path: '/version' });
    const sarif = JSON.parse(cg(['check', '--policy', 'confgate.yaml', '--proposed', 'versions/proposed', '--current', 'versions/current', '--at', AT, '--format', 'sarif', '--sarif-root', '.']).stdout);
    const res = sarif.runs[0].results.find((x: { ruleId: string }) => x.ruleId === 'version.not-increasing');
    expect(res.locations[0].physicalLocation).toEqual({ artifactLocation: { uri: 'versions/proposed/edge/base.yaml' }, region: { startLine: 1 } });
    const text = cg(['check', '--policy', 'confgate.yaml', '--proposed', 'versions/proposed', '--current', 'versions/current', '--at', AT]).stdout;
    expect(text).toMatch(/block {2}edge\/base\.yaml#\/version +version\.not-increasing/);
  });

  it('check --format html: the page names the member file and shows its (masked) source lines', () => {
    const r = cg([...CHECK, '--format', 'html']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('proposed/regions/us.yaml');
    expect(r.stdout).toContain('pool: us-pool');
  });

  it('diff of two folders: one line per change, members named; --exit-code', () => {
    const r = cg(['diff', '--policy', 'confgate.yaml', 'current', 'proposed', '--exit-code']);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n').slice(0, 6)).toEqual([
      '+ edge/base.yaml#/pools/[name=us-west]: {"name":"us-west","port":8082}',
      '+ edge/base.yaml#/pools/[name=ap-pool]: {"name":"ap-pool","port":8083}',
      '- edge/base.yaml#/pools/[name=us-pool]',
      '~ edge/base.yaml#/version: "1.4.0" -> "1.5.0"',
      '+ regions/ap.yaml: {"region":"ap","routes":[{"name":"api","pool":"ap-pool"},{"name":"static","po...',
      '+ regions/us.yaml#/routes/[name=static]/weight: 100',
    ]);
  });

  it('a folder and a file cannot be compared (exit 2)', () => {
    const r = cg(['check', '--policy', 'confgate.yaml', '--proposed', 'proposed', '--current', 'targets.yaml', '--at', AT]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--proposed and --current must both be folders (a config set) or both be files');
    expect(cg(['diff', 'current', 'targets.yaml']).code).toBe(2);
  });

  it('confgate test runs cases whose proposed/ and current/ are folders', () => {
    const r = cg(['test', '--policy', 'confgate.yaml']);
    expect(r.stdout).toContain('PASS route-to-removed-pool');
    expect(r.stdout).toContain('3 cases: 3 passed, 0 failed');
    expect(r.code).toBe(0);
    // a case that expects the wrong verdict fails, and says where the finding is
    const bad = path.join(dir, 'bad-tests', 'wrong');
    cpSync(path.join(dir, 'confgate-tests/route-to-removed-pool'), bad, { recursive: true });
    writeFileSync(path.join(bad, 'expect.yaml'), `verdict: allow\nat: ${AT}\n`);
    const f = cg(['test', 'bad-tests', '--policy', 'confgate.yaml']);
    expect(f.code).toBe(1);
    expect(f.stdout).toContain('block rule.route-pool-exists at regions/us.yaml#/routes/0: route api points at pool us-pool');
  });

  it('rollout: command hooks get the set as one folder (CONFGATE_CONFIG_DIR), the LKG set on rollback; the journal holds no value', () => {
    const d = path.join(dir, 'rollout');
    cpSync(path.join(dir, 'current'), path.join(d, 'current'), { recursive: true });
    cpSync(path.join(dir, 'proposed'), path.join(d, 'proposed'), { recursive: true });
    const us = path.join(d, 'proposed/regions/us.yaml');
    writeFileSync(us, readFileSync(us, 'utf8').replace('pool: us-pool', 'pool: us-west'));
    writeFileSync(
      path.join(d, 'confgate.yaml'),
      readFileSync(path.join(dir, 'confgate.yaml'), 'utf8').replace('bake: 10m', 'bake: 0s').replace(/schema: \.\//g, 'schema: ../'),
    );
    const hook = (name: string) => {
      const p = path.join(d, `${name}.sh`);
      writeFileSync(p, `#!/bin/sh\necho "${name} $CONFGATE_TARGET_ID $(cd "$CONFGATE_CONFIG_DIR" && find . -type f | sort | tr '\\n' ' ')" >> hooks.log\n` +
        (name === 'apply' ? 'cat "$CONFGATE_CONFIG_DIR/regions/us.yaml" > last-us.yaml\n' : '') +
        (name === 'health' ? 'exit 1\n' : ''));
      chmodSync(p, 0o755);
      return `./${name}.sh`;
    };
    const args = ['rollout', '--policy', 'confgate.yaml', '--proposed', 'proposed', '--current', 'current', '--targets', '../targets.yaml', '--at', AT, '--journal', 'j.journal'];
    const ok = cg([...args, '--apply', hook('apply'), '--rollback', hook('rollback')], d);
    expect(ok.stderr).toContain('COMPLETED');
    expect(ok.code).toBe(0);
    const log = readFileSync(path.join(d, 'hooks.log'), 'utf8').trim().split('\n');
    expect(log).toHaveLength(6);
    for (const line of log) expect(line).toMatch(/^apply \S+ \.\/edge\/base\.yaml \.\/regions\/ap\.yaml \.\/regions\/eu\.yaml \.\/regions\/us\.yaml ?$/);
    // what the hook got is what was validated, re-serialised as YAML
    expect(readFileSync(path.join(d, 'last-us.yaml'), 'utf8')).toBe('region: us\nroutes:\n  - name: api\n    pool: us-west\n  - name: static\n    pool: default\n    weight: 100\n');
    const journal = readFileSync(path.join(d, 'j.journal'), 'utf8');
    for (const s of ['us-west', 'eu-pool', 'ap-pool']) expect(journal).not.toContain(s);

    // a failing health check: the canary is rolled back to the LKG set (without regions/ap.yaml)
    rmSync(path.join(d, 'hooks.log'));
    const bad = cg([...args.slice(0, -1), 'j2.journal', '--apply', hook('apply'), '--health', hook('health'), '--rollback', hook('rollback')], d);
    expect(bad.code).toBe(1);
    const log2 = readFileSync(path.join(d, 'hooks.log'), 'utf8').trim().split('\n');
    expect(log2.filter((l) => l.startsWith('rollback'))).toEqual([expect.stringMatching(/^rollback \S+ \.\/edge\/base\.yaml \.\/regions\/eu\.yaml \.\/regions\/us\.yaml ?$/)]);
  });

  it('rollout --resume after a crash: the LKG set is verified against the journal\'s hash and delivered as a folder', () => {
    const d = path.join(dir, 'resume');
    cpSync(path.join(dir, 'current'), path.join(d, 'current'), { recursive: true });
    cpSync(path.join(dir, 'current'), path.join(d, 'proposed'), { recursive: true });
    const base = path.join(d, 'proposed/edge/base.yaml');
    writeFileSync(base, readFileSync(base, 'utf8').replace('1.4.0', '1.4.1').replace('port: 8080', 'port: 8080 ').trimEnd() + '\n  - { name: extra, port: 9000 }\n');
    writeFileSync(path.join(d, 'confgate.yaml'), 'version: 1\nrollout:\n  stages:\n    - { name: canary, count: 1 }\n    - { name: all, percent: 100 }\n');
    writeFileSync(path.join(d, 'targets.yaml'), 'targets:\n  - { id: a, labels: {} }\n  - { id: b, labels: {} }\n');
    // the apply hook kills the confgate process that runs it: the journal is left unfinished
    writeFileSync(path.join(d, 'crash.sh'), '#!/bin/sh\necho "apply $CONFGATE_TARGET_ID" >> hooks.log\nkill -9 $PPID\n');
    writeFileSync(path.join(d, 'rb.sh'), '#!/bin/sh\necho "rollback $CONFGATE_TARGET_ID $(grep -c extra "$CONFGATE_CONFIG_DIR/edge/base.yaml") $(cd "$CONFGATE_CONFIG_DIR" && find . -type f | sort | tr \'\\n\' \' \')" >> hooks.log\n');
    chmodSync(path.join(d, 'crash.sh'), 0o755);
    chmodSync(path.join(d, 'rb.sh'), 0o755);
    const crashed = cg(['rollout', '--policy', 'confgate.yaml', '--proposed', 'proposed', '--current', 'current', '--targets', 'targets.yaml', '--at', AT, '--journal', 'j.journal', '--apply', './crash.sh', '--rollback', './rb.sh'], d);
    expect(crashed.code).toBeNull(); // SIGKILL
    // a different LKG set is refused (its hash is not the journal's)
    const other = path.join(d, 'other');
    cpSync(path.join(d, 'current'), other, { recursive: true });
    writeFileSync(path.join(other, 'regions/eu.yaml'), 'region: eu\nroutes: []\n');
    const refused = cg(['rollout', '--resume', '--journal', 'j.journal', '--current', 'other', '--rollback', './rb.sh', '--policy', 'confgate.yaml'], d);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/E_JOURNAL_DOCUMENTS|does not match|differ/i);
    const resumed = cg(['rollout', '--resume', '--journal', 'j.journal', '--current', 'current', '--rollback', './rb.sh', '--policy', 'confgate.yaml'], d);
    expect(resumed.stderr + resumed.stdout).toMatch(/ROLLED-BACK|rolled-back/i);
    const log = readFileSync(path.join(d, 'hooks.log'), 'utf8').trim().split('\n');
    expect(log[0]).toBe('apply a');
    expect(log.slice(1)).toEqual([expect.stringMatching(/^rollback a 0 \.\/edge\/base\.yaml \.\/regions\/eu\.yaml \.\/regions\/us\.yaml ?$/)]);
  });

  it('a member no one may read blocks with input.unreadable at its path (the CLI run as an unprivileged user)', () => {
    const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
    const asNobody = process.getuid?.() === 0 && setpriv !== undefined;
    const d = mkdtempSync(path.join(tmpdir(), 'confgate-set-perm-'));
    try {
      mkdirSync(path.join(d, 'set'));
      writeFileSync(path.join(d, 'set/a.json'), '{}');
      writeFileSync(path.join(d, 'set/locked.json'), '{}');
      chmodSync(path.join(d, 'set/locked.json'), 0o000);
      chmodSync(d, 0o755);
      chmodSync(path.join(d, 'set'), 0o755);
      const r = asNobody
        ? spawnSync(setpriv!, ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN, 'check', '--proposed', 'set', '--at', AT, '--format', 'json'], { cwd: d, encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '' }, timeout: 120_000 })
        : spawnSync(process.execPath, [BIN, 'check', '--proposed', 'set', '--at', AT, '--format', 'json'], { cwd: d, encoding: 'utf8', timeout: 120_000 });
      if (!asNobody && process.getuid?.() === 0) return; // root reads anything and no setpriv to drop it: nothing to test
      expect(r.status).toBe(1);
      const j = JSON.parse(r.stdout);
      expect(j.findings.find((f: { rule: string }) => f.rule === 'input.unreadable')).toMatchObject({
        file: 'locked.json',
        location: { file: 'set/locked.json', line: 1, column: 1 },
        detail: { reason: 'read', error: 'permission denied' },
      });
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
