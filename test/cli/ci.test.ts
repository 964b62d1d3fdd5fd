/**
 * The CLI as CI pipelines use it (issue 12): revert path, policy discovery, --fail-on, --output, stdin, colour,
 * --quiet, environment variables, diff --exit-code, SARIF URIs relative to the repository root, and the junit
 * and gitlab formats. Runs `runCli` in-process with injected streams; the library through the public entry.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { discoverPolicy, findGitRoot, runCli, type CliIo } from '../../src/cli/main.js';
import { createGate, formatReport, loadPolicy, OptionsError, PolicyError } from '../../src/index.js';

let repo: string; // a fake repository: <repo>/.git, <repo>/confgate.yaml, <repo>/services/edge/{live,next}.json
let sub: string;

function io(cwd: string, env: Record<string, string> = {}, isTTY = false, stdin?: string) {
  const out: string[] = [];
  const err: string[] = [];
  const value: CliIo = {
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    env,
    isTTY,
    cwd,
    now: () => new Date('2025-11-18T11:20:00Z'),
    ...(stdin !== undefined ? { stdin: () => stdin } : {}),
  };
  return { io: value, out: () => out.join(''), err: () => err.join('') };
}

async function run(args: string[], opts: { cwd?: string; env?: Record<string, string>; tty?: boolean; stdin?: string } = {}) {
  const x = io(opts.cwd ?? sub, opts.env ?? {}, opts.tty ?? false, opts.stdin);
  const code = await runCli(args, x.io);
  return { code, stdout: x.out(), stderr: x.err() };
}

const routes = (n: number, suffix = '') => Array.from({ length: n }, (_, i) => ({ name: `r${i}${suffix}`, upstream: `svc-${i}:8080` }));
const live = { version: '1.4.0', routes: routes(40) };
const bad = { version: '1.5.0', routes: [...routes(40), ...routes(40, '-dup')] };
const next = { version: '1.5.0', routes: routes(40).map((r, i) => (i === 3 ? { ...r, upstream: 'svc-3:9090' } : r)) };
const POLICY = [
  'version: 1',
  'versionPath: /version',
  'keys:',
  '  /routes: name',
  'rollout:',
  '  stages:',
  '    - { name: canary, percent: 10, bake: 1h }',
  '    - { name: half, percent: 50, bake: 2h }',
  '    - { name: all, percent: 100 }',
  '  revert:',
  '    stages:',
  '      - { name: revert-canary, percent: 10 }',
  '      - { name: revert-all, percent: 100 }',
  '',
].join('\n');

beforeAll(() => {
  repo = mkdtempSync(path.join(tmpdir(), 'confgate-ci-'));
  mkdirSync(path.join(repo, '.git'));
  sub = path.join(repo, 'services', 'edge');
  mkdirSync(sub, { recursive: true });
  writeFileSync(path.join(repo, 'confgate.yaml'), POLICY);
  writeFileSync(path.join(sub, 'live.json'), JSON.stringify(live, null, 2));
  writeFileSync(path.join(sub, 'bad.json'), JSON.stringify(bad, null, 2));
  writeFileSync(path.join(sub, 'next.json'), JSON.stringify(next, null, 2));
  writeFileSync(
    path.join(sub, 'targets.yaml'),
    'targets:\n' + Array.from({ length: 10 }, (_, i) => `  - { id: t${i}, labels: { region: r${i % 3} } }`).join('\n') + '\n',
  );
});

describe('revert path', () => {
  it('library: a revert turns version, shrink and score blocks into warnings and records revert.used', () => {
    const gate = createGate(loadPolicy(path.join(repo, 'confgate.yaml')));
    const input = { proposed: live, current: bad, at: '2025-11-18T11:20:00Z' };
    const plain = gate.evaluate(input);
    expect(plain.verdict).toBe('block');
    const blocking = new Set(plain.findings.filter((f) => f.severity === 'block').map((f) => f.rule));
    expect([...blocking].sort()).toEqual(['limit.shrink', 'version.not-increasing']);
    const reverted = gate.evaluate({ ...input, revert: { reason: 'INC-1: back to 1.4.0' } });
    expect(reverted.verdict).toBe('warn');
    expect(reverted.revert).toEqual({ reason: 'INC-1: back to 1.4.0', at: '2025-11-18T11:20:00.000Z' });
    const used = reverted.findings.find((f) => f.rule === 'revert.used');
    expect(used?.severity).toBe('info');
    for (const rule of blocking) {
      const f = reverted.findings.find((x) => x.rule === rule)!;
      expect(f.severity).toBe('warn');
      expect(f.detail).toMatchObject({ revert: true });
    }
    // the string form is the same
    expect(gate.evaluate({ ...input, revert: 'INC-1: back to 1.4.0' }).verdict).toBe('warn');
  });

  it('library: parse and schema problems still block a revert', () => {
    const gate = createGate({ version: 1, schema: { type: 'object', required: ['routes'] } } as never);
    const r = gate.evaluate({ proposed: { text: '{"version": "1.0.0"}' }, current: bad, revert: 'x', at: '2025-11-18T11:20:00Z' });
    expect(r.verdict).toBe('block');
    expect(r.findings.find((f) => f.rule === 'schema')?.severity).toBe('block');
    const broken = createGate().evaluate({ proposed: { text: '{"a": [1,' }, current: bad, revert: 'x', at: '2025-11-18T11:20:00Z' });
    expect(broken.verdict).toBe('block');
  });

  it('library: an empty reason is an OptionsError', () => {
    expect(() => createGate().evaluate({ proposed: live, revert: '  ' })).toThrow(OptionsError);
  });

  it('library: a revert is planned with rollout.revert.stages, not the tiers', () => {
    const gate = createGate(loadPolicy(path.join(repo, 'confgate.yaml')));
    const targets = Array.from({ length: 10 }, (_, i) => ({ id: `t${i}`, labels: { region: `r${i % 3}` } }));
    const normal = gate.evaluate({ proposed: next, current: live, targets, at: '2025-11-18T11:20:00Z' });
    expect(normal.plan?.waves.map((w) => w.name)).toEqual(['canary', 'half', 'all']);
    const reverted = gate.evaluate({ proposed: live, current: bad, targets, revert: 'INC-2', at: '2025-11-18T11:20:00Z' });
    expect(reverted.plan?.waves.map((w) => w.name)).toEqual(['revert-canary', 'revert-all']);
  });

  it('policy: rollout.revert.stages is validated like rollout.stages', () => {
    const p = path.join(repo, 'bad-revert.yaml');
    writeFileSync(p, 'version: 1\nrollout:\n  revert:\n    stages:\n      - { name: a, percent: 50 }\n      - { name: b, percent: 10 }\n');
    expect(() => loadPolicy(p)).toThrow(PolicyError);
    writeFileSync(p, 'version: 1\nrollout:\n  revert:\n    stagez: []\n');
    expect(() => loadPolicy(p)).toThrow(PolicyError);
  });

  it('CLI: --revert lets the LKG back (exit 0), every format records it; without it the push blocks', async () => {
    const base = ['check', '--proposed', 'live.json', '--current', 'bad.json'];
    expect((await run(base)).code).toBe(1);
    const r = await run([...base, '--revert', 'INC-3: v1.5.0 doubled the routes', '--format', 'json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { verdict: string; revert: { reason: string }; findings: Array<{ rule: string }> };
    expect(report.verdict).toBe('warn');
    expect(report.revert.reason).toBe('INC-3: v1.5.0 doubled the routes');
    expect(report.findings.map((f) => f.rule)).toContain('revert.used');
    const text = await run([...base, '--revert', 'INC-3']);
    expect(text.stdout).toContain('Revert: "INC-3"');
    expect((await run([...base, '--revert', '']))).toMatchObject({ code: 2 });
  });

  it('CLI: rollout --revert pushes the LKG back through rollout.revert.stages (blocked without it)', async () => {
    const journal = (n: string) => path.join(mkdtempSync(path.join(tmpdir(), 'confgate-rev-')), `${n}.journal`);
    const base = ['rollout', '--proposed', 'live.json', '--current', 'bad.json', '--targets', 'targets.yaml', '--apply', 'true', '--rollback', 'true', '--format', 'json'];
    const blocked = await run([...base, '--journal', journal('a')]);
    expect(blocked.code, blocked.stderr).toBe(1);
    expect(JSON.parse(blocked.stdout)).toMatchObject({ status: 'blocked' });
    const r = await run([...base, '--journal', journal('b'), '--revert', 'INC-5: back to 1.4.0']);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { status: string; stages: Array<{ name: string }> };
    expect(result.status).toBe('completed');
    expect(result.stages.map((s) => s.name)).toEqual(['revert-canary', 'revert-all']);
    expect(r.stderr).toContain('Revert: "INC-5: back to 1.4.0"');
    expect((await run([...base, '--journal', journal('c'), '--revert', ' '])).code).toBe(2);
  });

  it('CLI: plan --revert uses the revert stages', async () => {
    const plain = await run(['plan', '--targets', 'targets.yaml', '--format', 'json']);
    const reverted = await run(['plan', '--targets', 'targets.yaml', '--format', 'json', '--revert', 'INC-4']);
    expect(plain.code).toBe(0);
    expect((JSON.parse(plain.stdout) as { waves: Array<{ name: string }> }).waves.map((w) => w.name)).toEqual(['canary', 'half', 'all']);
    expect((JSON.parse(reverted.stdout) as { waves: Array<{ name: string }> }).waves.map((w) => w.name)).toEqual(['revert-canary', 'revert-all']);
  });
});

describe('policy discovery', () => {
  it('finds confgate.yaml from the working directory up to the repository root', async () => {
    expect(findGitRoot(sub)).toBe(repo);
    expect(discoverPolicy(sub)).toBe(path.join(repo, 'confgate.yaml'));
    const r = await run(['check', '--proposed', 'next.json', '--current', 'live.json', '--format', 'json']);
    expect((JSON.parse(r.stdout) as { files: { policy: string } }).files.policy).toBe(path.join('..', '..', 'confgate.yaml'));
    // the nearer .confgate.yaml wins
    const nested = path.join(sub, 'inner');
    mkdirSync(nested, { recursive: true });
    writeFileSync(path.join(nested, '.confgate.yaml'), 'version: 1\n');
    expect(discoverPolicy(nested)).toBe(path.join(nested, '.confgate.yaml'));
  });

  it('never looks above the repository root; outside a repository only the working directory counts', async () => {
    const outer = mkdtempSync(path.join(tmpdir(), 'confgate-outer-'));
    writeFileSync(path.join(outer, 'confgate.yaml'), 'version: 1\n');
    const inner = path.join(outer, 'repo', 'pkg');
    mkdirSync(path.join(outer, 'repo', '.git'), { recursive: true });
    mkdirSync(inner, { recursive: true });
    expect(discoverPolicy(inner)).toBeUndefined();
    const loose = path.join(outer, 'loose');
    mkdirSync(loose);
    expect(discoverPolicy(loose)).toBeUndefined();
    expect(discoverPolicy(outer)).toBe(path.join(outer, 'confgate.yaml'));
  });

  it('every report header names the policy, or defaults', async () => {
    const outer = mkdtempSync(path.join(tmpdir(), 'confgate-nopolicy-'));
    writeFileSync(path.join(outer, 'a.json'), '{"a": 1}');
    const text = await run(['check', '--proposed', 'a.json'], { cwd: outer });
    expect(text.stdout.split('\n')[1]).toContain('policy defaults');
    const md = await run(['check', '--proposed', 'a.json', '--format', 'markdown'], { cwd: outer });
    expect(md.stdout).toContain('policy defaults');
    const sarif = JSON.parse((await run(['check', '--proposed', 'a.json', '--format', 'sarif'], { cwd: outer })).stdout);
    expect(sarif.runs[0].properties.policy).toBe('defaults');
    const junit = (await run(['check', '--proposed', 'a.json', '--format', 'junit'], { cwd: outer })).stdout;
    expect(junit).toContain('<property name="policy" value="defaults"/>');
    const gh = (await run(['check', '--proposed', 'a.json', '--format', 'github'], { cwd: outer })).stdout;
    expect(gh).toMatch(/::notice::confgate verdict ALLOW.*; policy defaults/);
    const found = await run(['check', '--proposed', 'next.json', '--current', 'live.json']);
    expect(found.stdout.split('\n')[1]).toContain(`policy ${path.join('..', '..', 'confgate.yaml')}`);
  });
});

describe('--fail-on, --quiet, --output, environment variables', () => {
  it('--fail-on warn exits 1 on a warn verdict; block (the default) exits 0', async () => {
    const args = ['check', '--proposed', 'live.json', '--current', 'bad.json', '--revert', 'x'];
    expect((await run(args)).code).toBe(0);
    expect((await run([...args, '--fail-on', 'block'])).code).toBe(0);
    expect((await run([...args, '--fail-on', 'warn'])).code).toBe(1);
    expect((await run(args, { env: { CONFGATE_FAIL_ON: 'warn' } })).code).toBe(1);
    expect((await run([...args, '--fail-on', 'error'])).code).toBe(2);
  });

  it('--quiet prints nothing when the check passes and the report when it fails', async () => {
    const ok = await run(['check', '--proposed', 'next.json', '--current', 'live.json', '--quiet']);
    expect(ok).toMatchObject({ code: 0, stdout: '' });
    const blocked = await run(['check', '--proposed', 'bad.json', '--current', 'live.json', '-q']);
    expect(blocked.code).toBe(1);
    expect(blocked.stdout).toMatch(/^BLOCK/);
  });

  it('--output FORMAT=FILE writes several reports from one evaluation, beside stdout', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'confgate-out-'));
    const r = await run([
      'check', '--proposed', 'bad.json', '--current', 'live.json',
      '--output', `sarif=${path.join(out, 'r.sarif')}`, '--output', `junit=${path.join(out, 'r.xml')}`,
      '--output', `gitlab=${path.join(out, 'cq.json')}`, '--output', `json=${path.join(out, 'r.json')}`,
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^BLOCK/);
    const json = JSON.parse(readFileSync(path.join(out, 'r.json'), 'utf8')) as { verdict: string; findings: unknown[] };
    expect(json.verdict).toBe('block');
    const sarif = JSON.parse(readFileSync(path.join(out, 'r.sarif'), 'utf8'));
    expect(sarif.runs[0].results).toHaveLength(json.findings.length);
    expect(JSON.parse(readFileSync(path.join(out, 'cq.json'), 'utf8'))).toHaveLength(json.findings.length);
    expect(XMLValidator.validate(readFileSync(path.join(out, 'r.xml'), 'utf8'))).toBe(true);
    for (const bad of ['sarif', 'xml=out.xml', '=x', 'sarif=']) {
      expect((await run(['check', '--proposed', 'next.json', '--output', bad])).code).toBe(2);
    }
    // an output that cannot be written: exit 2 with one line (never a silent pass)
    const w = await run(['check', '--proposed', 'next.json', '--current', 'live.json', '--output', `json=${path.join(out, 'no', 'such', 'dir', 'r.json')}`]);
    expect(w.code).toBe(2);
    expect(w.stderr).toContain('could not write --output json=');
  });

  it('CONFGATE_* variables stand in for flags; flags win; empty counts as unset', async () => {
    const env = { CONFGATE_FORMAT: 'json', CONFGATE_AT: '2025-12-01T00:00:00Z', CONFGATE_POLICY: path.join(repo, 'bad-revert-missing.yaml') };
    // CONFGATE_POLICY names a missing file: exit 2 (not a silent fallback to discovery)
    expect((await run(['check', '--proposed', 'next.json'], { env })).code).toBe(2);
    const r = await run(['check', '--proposed', 'next.json'], { env: { ...env, CONFGATE_POLICY: '' } });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { at: string };
    expect(report.at).toBe('2025-12-01T00:00:00.000Z');
    const flag = await run(['check', '--proposed', 'next.json', '--format', 'text', '--at', '2025-11-18T11:20:00Z'], { env: { ...env, CONFGATE_POLICY: '' } });
    expect(flag.stdout).toMatch(/^ALLOW|^WARN/);
    expect(flag.stdout).toContain('2025-11-18T11:20:00.000Z');
    // CONFGATE_FORMAT is for check only: plan keeps text
    const plan = await run(['plan', '--targets', 'targets.yaml'], { env: { CONFGATE_FORMAT: 'sarif' } });
    expect(plan.code).toBe(0);
    // CONFGATE_TARGETS
    const t = await run(['plan'], { env: { CONFGATE_TARGETS: 'targets.yaml' } });
    expect(t.code).toBe(0);
  });
});

describe('stdin and colour', () => {
  it('`-` reads the proposed config from stdin, named by --stdin-name in locations', async () => {
    const text = JSON.stringify(bad, null, 2);
    const r = await run(['check', '--proposed', '-', '--current', 'live.json', '--stdin-name', 'services/edge/bad.json', '--format', 'json'], { stdin: text });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { files: { proposed: string }; findings: Array<{ location?: { file: string } }> };
    expect(report.files.proposed).toBe('services/edge/bad.json');
    expect(report.findings.some((f) => f.location?.file === 'services/edge/bad.json')).toBe(true);
    const unnamed = await run(['check', '--proposed', '-', '--format', 'json'], { stdin: 'a: 1\n' });
    expect((JSON.parse(unnamed.stdout) as { files: { proposed: string } }).files.proposed).toBe('<stdin>');
    expect((await run(['check', '--proposed', '-', '--current', '-'], { stdin: '{}' })).code).toBe(2);
    expect((await run(['check', '--proposed', '-'])).code).toBe(2); // no stdin available
  });

  it('--color always|never|auto, FORCE_COLOR, NO_COLOR', async () => {
    const args = ['check', '--proposed', 'bad.json', '--current', 'live.json'];
    const ansi = /\u001b\[/;
    expect((await run([...args, '--color', 'always'])).stdout).toMatch(ansi);
    expect((await run([...args, '--color', 'never'], { tty: true })).stdout).not.toMatch(ansi);
    expect((await run(args, { tty: true })).stdout).toMatch(ansi);
    expect((await run(args, { tty: true, env: { NO_COLOR: '1' } })).stdout).not.toMatch(ansi);
    expect((await run(args, { env: { FORCE_COLOR: '1' } })).stdout).toMatch(ansi);
    expect((await run(args, { tty: true, env: { FORCE_COLOR: '0' } })).stdout).not.toMatch(ansi);
    expect((await run(args, { env: { CONFGATE_COLOR: 'always' } })).stdout).toMatch(ansi);
    expect((await run([...args, '--color', 'sometimes'])).code).toBe(2);
    // never in machine formats
    expect((await run([...args, '--color', 'always', '--format', 'json'])).stdout).not.toMatch(ansi);
  });
});

describe('diff --exit-code', () => {
  it('exits 1 when there are changes, 0 when there are none; without the flag always 0', async () => {
    expect((await run(['diff', 'live.json', 'next.json'])).code).toBe(0);
    expect((await run(['diff', 'live.json', 'next.json', '--exit-code'])).code).toBe(1);
    expect((await run(['diff', 'live.json', 'live.json', '--exit-code'])).code).toBe(0);
  });
});

describe('SARIF paths relative to the repository root', () => {
  it('from a subfolder, URIs are relative to the git root (never ../ or %3C...%3E); --sarif-root overrides', async () => {
    const r = await run(['check', '--proposed', 'bad.json', '--current', 'live.json', '--format', 'sarif']);
    const uris: string[] = JSON.parse(r.stdout).runs[0].results.map((x: { locations?: Array<{ physicalLocation?: { artifactLocation: { uri: string } } }> }) => x.locations?.[0]?.physicalLocation?.artifactLocation.uri).filter(Boolean);
    expect(uris.length).toBeGreaterThan(0);
    for (const u of uris) expect(u.startsWith('services/edge/'), u).toBe(true);
    const root = await run(['check', '--proposed', 'bad.json', '--current', 'live.json', '--format', 'sarif', '--sarif-root', '..']);
    const first = JSON.parse(root.stdout).runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri as string;
    expect(first.startsWith('edge/')).toBe(true);
    // a file outside the root: an absolute file URI, not ../
    const outside = mkdtempSync(path.join(tmpdir(), 'confgate-outside-'));
    writeFileSync(path.join(outside, 'p.json'), JSON.stringify(bad));
    const o = await run(['check', '--proposed', path.join(outside, 'p.json'), '--current', 'live.json', '--format', 'sarif']);
    const ou = JSON.parse(o.stdout).runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri as string;
    expect(ou).toBe(`file://${path.join(outside, 'p.json')}`);
    // gitlab and github use the same paths
    const cq = JSON.parse((await run(['check', '--proposed', 'bad.json', '--current', 'live.json', '--format', 'gitlab'])).stdout) as Array<{ location: { path: string } }>;
    for (const i of cq) expect(i.location.path).toBe('services/edge/bad.json');
  });
});

/** Parse XML with Python's expat-based ElementTree (an independent, strict XML 1.0 parser); returns its summary. */
function pythonParse(xml: string): { status: number | null; out: string; err: string } {
  const script = [
    'import sys, xml.etree.ElementTree as ET',
    'root = ET.fromstring(sys.stdin.buffer.read())',
    'cases = root.findall("./testsuite/testcase")',
    'print(root.tag, len(root.findall("testsuite")), len(cases), len([c for c in cases if c.find("failure") is not None]))',
  ].join('\n');
  const r = spawnSync('/usr/bin/python3', ['-c', script], { input: xml, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: r.stdout.trim(), err: r.stderr };
}

describe('junit and gitlab formats', () => {
  const gate = () => createGate(loadPolicy(path.join(repo, 'confgate.yaml')));
  const blocked = () => gate().evaluate({ proposed: { path: path.join(sub, 'bad.json') }, current: { path: path.join(sub, 'live.json') }, at: '2025-11-18T11:20:00Z' });

  it('junit: valid XML, one test case per rule and file; block findings fail; --fail-on warn fails warnings too', () => {
    const r = blocked();
    const xml = formatReport(r, 'junit', { root: repo });
    expect(XMLValidator.validate(xml)).toBe(true);
    const py = pythonParse(xml);
    expect(py.status, py.err).toBe(0);
    const blockRuleCount = new Set(r.findings.filter((f) => f.severity === 'block').map((f) => f.rule)).size;
    expect(py.out).toMatch(new RegExp(`^testsuites 1 \\d+ ${blockRuleCount}$`));
    const doc = new XMLParser({ ignoreAttributes: false, isArray: (n) => ['testsuite', 'testcase', 'property'].includes(n) }).parse(xml);
    const suites = doc.testsuites.testsuite as Array<{ '@_name': string; '@_tests': string; '@_failures': string; testcase: Array<Record<string, unknown>> }>;
    expect(suites[0]!['@_name']).toBe('confgate services/edge/bad.json');
    const cases = suites[0]!.testcase;
    expect(Number(suites[0]!['@_tests'])).toBe(cases.length);
    const names = cases.map((c) => c['@_name']);
    expect(new Set(names).size).toBe(names.length); // one per rule
    const failed = cases.filter((c) => c['failure'] !== undefined).map((c) => c['@_name']);
    const blockRules = [...new Set(r.findings.filter((f) => f.severity === 'block').map((f) => f.rule))].sort();
    expect(failed.sort()).toEqual(blockRules);
    expect(Number(doc.testsuites['@_failures'])).toBe(blockRules.length);
    const warnRules = new Set(r.findings.filter((f) => f.severity === 'warn').map((f) => f.rule));
    const strict = new XMLParser({ ignoreAttributes: false, isArray: (n) => n === 'testcase' || n === 'testsuite' }).parse(formatReport(r, 'junit', { root: repo, failOn: 'warn' }));
    const strictFailed = (strict.testsuites.testsuite[0].testcase as Array<Record<string, unknown>>).filter((c) => c['failure'] !== undefined).length;
    expect(strictFailed).toBe(new Set([...blockRules, ...warnRules]).size);
  });

  it('junit: hostile messages stay well-formed (control characters, markup, quotes)', () => {
    const r = blocked();
    r.findings[0] = { ...r.findings[0]!, message: 'a <b> & "c" \u0001\u0008 \ud800 ]]> \'d\'\r\n::x' };
    const xml = formatReport(r, 'junit');
    expect(XMLValidator.validate(xml)).toBe(true);
    const py = pythonParse(xml);
    expect(py.status, py.err).toBe(0);
    // the parser is strict: the same text with a raw control character is rejected (the check can fail)
    expect(pythonParse(xml.replace('\uFFFD', '\u0001')).status).not.toBe(0);
  });

  it('gitlab: Code Quality fields, unique fingerprints, blocker/minor/info, line 1 for document-level findings', () => {
    const r = blocked();
    const issues = JSON.parse(formatReport(r, 'gitlab', { root: repo })) as Array<Record<string, unknown> & { location: { path: string; lines: { begin: number } }; fingerprint: string }>;
    expect(issues).toHaveLength(r.findings.length);
    for (const i of issues) {
      expect(Object.keys(i).sort()).toEqual(['check_name', 'description', 'fingerprint', 'location', 'severity']);
      expect(i.fingerprint).toMatch(/^[0-9a-f]{32}$/);
      expect(['blocker', 'critical', 'major', 'minor', 'info']).toContain(i['severity']);
      expect(Number.isInteger(i.location.lines.begin) && i.location.lines.begin >= 1).toBe(true);
    }
    expect(new Set(issues.map((i) => i.fingerprint)).size).toBe(issues.length);
    expect(issues.filter((i) => i['severity'] === 'blocker').length).toBe(r.findings.filter((f) => f.severity === 'block').length);
    // stable across runs and across unrelated line moves: fingerprints do not use line numbers
    expect(JSON.parse(formatReport(blocked(), 'gitlab', { root: repo }))).toEqual(issues);
  });
});
