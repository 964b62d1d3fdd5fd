/**
 * The hostile corpus through the BUILT CLI (`node dist/cli/bin.cjs check ... --format json`): never a crash or a
 * stack trace, the expected exit code (1 for block), parseable JSON, secrets masked. Unreadable inputs and
 * hostile policy / targets files exit 2 with exactly one line on stderr.
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGate, loadPolicy, PolicyError } from '../../src/index.js';
import { AT, EXPECTED, SECRETS } from './expected.js';
import { binExists, CORPUS, hasNoCrash, inBatches, isOneClearLine, runCli, type CliReport, type CliRun } from './helpers.js';

const files = readdirSync(CORPUS)
  .filter((f) => !f.startsWith('policy-') && !f.startsWith('targets-'))
  .sort();
const gate = createGate();
const rulesOf = (r: { findings: ReadonlyArray<{ rule: string }> }): string[] => [...new Set(r.findings.map((f) => f.rule))];
const g = globalThis as { pwned?: unknown };

function expectClean(): void {
  expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  expect(g.pwned).toBeUndefined();
}

describe('hostile corpus: built CLI', () => {
  const results = new Map<string, CliRun>();
  beforeAll(async () => {
    if (!binExists()) return;
    await inBatches(files, 3, async (file) => {
      results.set(file, await runCli(['check', '--proposed', path.join(CORPUS, file), '--format', 'json', '--at', AT]));
    });
  }, 600_000);

  it('the CLI is built (npm test builds dist first)', () => {
    expect(binExists()).toBe(true);
  });

  it.each(files)('%s', (file) => {
    const exp = EXPECTED[file]!;
    const r = results.get(file)!;
    expect(r.timedOut).toBe(false);
    expect(hasNoCrash(r), r.stderr).toBe(true);
    expect(r.code).toBe(exp.verdict === 'block' ? 1 : 0);
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout) as CliReport;
    expect(report.verdict).toBe(exp.verdict);
    for (const rule of exp.rules ?? []) expect(rulesOf(report)).toContain(rule);
    for (const s of SECRETS) expect(r.stdout).not.toContain(s);
  });

  it('text output of hostile keys and values has no raw terminal escapes', async () => {
    for (const file of ['ansi-key.json', 'ansi-value.yaml']) {
      const r = await runCli(['check', '--proposed', path.join(CORPUS, file), '--at', AT]);
      expect(r.code).toBe(0);
      expect(r.stdout).not.toMatch(/[\u001b\u0007]/);
    }
  });
});

describe('unreadable inputs: exit 2 with one line', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'confgate-unreadable-'));
    mkdirSync(path.join(dir, 'a-dir'));
    symlinkSync(path.join(dir, 'loop-b'), path.join(dir, 'loop-a'));
    symlinkSync(path.join(dir, 'loop-a'), path.join(dir, 'loop-b'));
    writeFileSync(path.join(dir, 'noperm.yaml'), 'a: 1\n');
    chmodSync(path.join(dir, 'noperm.yaml'), 0o000);
    writeFileSync(path.join(dir, 'ok.yaml'), 'a: 1\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  it.concurrent.for([
    ['a directory', 'a-dir', /directory/],
    ['a symlink loop', 'loop-a', /loop-a/],
    ['a missing file', 'missing.yaml', /no such file/],
    ...(asRoot ? [] : [['an unreadable file', 'noperm.yaml', /permission denied/] as const]),
  ] as const)('%s', async ([, name, message], { expect }) => {
    for (const flag of ['--proposed', '--current', '--policy', '--targets'] as const) {
      // A folder given as --proposed is a config set (README "Config sets"): an empty one is tested below.
      if (flag === '--proposed' && name === 'a-dir') continue;
      if (flag === '--current' && name === 'a-dir') {
        // A folder against a file is a usage error (exit 2) that says why.
        const r = await runCli(['check', '--proposed', path.join(dir, 'ok.yaml'), '--current', path.join(dir, name), '--format', 'json']);
        expect(r.code).toBe(2);
        expect(r.stdout).toBe('');
        expect(r.stderr).toMatch(/must both be folders \(a config set\) or both be files/);
        continue;
      }
      const args = flag === '--proposed' ? ['--proposed', path.join(dir, name)] : ['--proposed', path.join(dir, 'ok.yaml'), flag, path.join(dir, name)];
      const r = await runCli(['check', ...args, '--format', 'json']);
      expect(r.code, `${flag} ${name}: ${r.stderr}`).toBe(2);
      expect(r.stdout).toBe('');
      expect(isOneClearLine(r.stderr), r.stderr).toBe(true);
      if (flag === '--proposed') expect(r.stderr).toMatch(message);
    }
    // The library throws a ConfgateError with a stable code (never a crash).
    if (name !== 'a-dir') expect(() => gate.evaluate({ proposed: { path: path.join(dir, name) } })).toThrow(expect.objectContaining({ code: 'E_INPUT_UNREADABLE' }));
  });

  it('an empty folder as --proposed is a config set without files: blocked (input.missing), never an empty push', async () => {
    const r = await runCli(['check', '--proposed', path.join(dir, 'a-dir'), '--format', 'json']);
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as { verdict: string; findings: Array<{ rule: string; message: string }> };
    expect(report.verdict).toBe('block');
    expect(report.findings.find((f) => f.rule === 'input.missing')?.message).toMatch(/holds no config files/);
  });

  it('an endless device is bounded by maxBytes (input.too-large), and /dev/null is an empty document', async () => {
    if (process.platform === 'win32') return;
    const zero = await runCli(['check', '--proposed', '/dev/zero', '--format', 'json'], { heapMb: 1024 });
    expect(zero.timedOut).toBe(false);
    expect(zero.code).toBe(1);
    expect(rulesOf(JSON.parse(zero.stdout) as CliReport)).toEqual(['input.too-large']);
    const nul = await runCli(['check', '--proposed', '/dev/null', '--format', 'json']);
    expect(nul.code).toBe(1);
    expect(rulesOf(JSON.parse(nul.stdout) as CliReport)).toContain('parse.error');
  });
});

describe('hostile policy and targets files: exit 2 with one line, never a crash', () => {
  const policies = readdirSync(CORPUS).filter((f) => f.startsWith('policy-')).sort();
  const targets = readdirSync(CORPUS).filter((f) => f.startsWith('targets-')).sort();
  const ok = path.join(CORPUS, 'bom.json');

  it('the corpus has them', () => {
    expect(policies.length).toBeGreaterThanOrEqual(10);
    expect(targets.length).toBeGreaterThanOrEqual(7);
  });

  it.concurrent.for(policies)('policy %s', async (file, { expect }) => {
    const r = await runCli(['check', '--proposed', ok, '--policy', path.join(CORPUS, file), '--format', 'json']);
    expect(r.timedOut).toBe(false);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(isOneClearLine(r.stderr), r.stderr).toBe(true);
    expect(r.stderr).toContain(file);
    // The library: a PolicyError, never another exception, never a side effect.
    expect(() => loadPolicy({ path: path.join(CORPUS, file) })).toThrow(PolicyError);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(g.pwned).toBeUndefined();
  });

  it.concurrent.for(targets)('targets %s', async (file, { expect }) => {
    const r = await runCli(['check', '--proposed', ok, '--targets', path.join(CORPUS, file), '--format', 'json']);
    expect(r.timedOut).toBe(false);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(isOneClearLine(r.stderr), r.stderr).toBe(true);
  });

  it('a target label named __proto__ or constructor is data: no pollution, plan still works', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'confgate-labels-'));
    try {
      const file = path.join(dir, 't.json');
      writeFileSync(file, '{"targets": [{"id": "a", "labels": {"__proto__": "x", "constructor": "y", "region": "SCL"}}]}');
      const r = await runCli(['plan', '--targets', file, '--format', 'json']);
      expect(r.code, r.stderr).toBe(0);
      const plan = JSON.parse(r.stdout) as { waves: Array<{ targets: Array<{ id: string; labels: Record<string, string> }> }> };
      expect(plan.waves[0]!.targets[0]).toMatchObject({ id: 'a', labels: { constructor: 'y', region: 'SCL' } });
      // The `__proto__` label survives as data (own property), not as the labels object's prototype.
      expect(Object.prototype.hasOwnProperty.call(plan.waves[0]!.targets[0]!.labels, '__proto__')).toBe(true);
      expect(Object.getOwnPropertyDescriptor(plan.waves[0]!.targets[0]!.labels, '__proto__')?.value).toBe('x');
      expectClean();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
