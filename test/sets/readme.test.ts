/**
 * The README's "Config sets" section runs: its command gives exactly the output it shows (built CLI), its policy
 * excerpt loads and finds what it describes, and its library example uses names the package exports.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as confgate from '../../src/index.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const BIN = path.join(ROOT, 'dist/cli/bin.cjs');
const FIXTURE = path.join(ROOT, 'fixtures/example-set');
const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const start = readme.indexOf('## Config sets');
const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
const block = (lang: string, nth = 0): string => [...section.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))][nth]![1]!;

describe('README: Config sets', () => {
  it.runIf(existsSync(BIN))('the command prints exactly the report shown (fixtures/example-set)', () => {
    const [cd, command] = block('sh').trim().split('\n');
    expect(cd).toBe('cd fixtures/example-set');
    const args = command!.replace(/^confgate /, '').split(' ');
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd: FIXTURE, encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '', NO_COLOR: '1' }, timeout: 120_000 });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(block('text'));
  });

  it('the policy excerpt loads and blocks the example push on the cross-file rule', () => {
    const policy = confgate.loadPolicy({ text: `version: 1\n${block('yaml')}`, file: 'confgate.yaml' }, { baseDir: FIXTURE });
    const report = confgate.createGate(policy).evaluate({
      proposed: path.join(FIXTURE, 'proposed'),
      current: path.join(FIXTURE, 'current'),
      at: '2025-11-18T11:20:00Z',
    });
    expect(report.verdict).toBe('block');
    expect(report.findings.filter((f) => f.rule.startsWith('rule.')).map((f) => `${f.rule} ${f.file}${f.path}`)).toEqual([
      'rule.route-pool-exists regions/us.yaml/routes/0',
    ]);
    // the same excerpt is the fixture's policy (the fixture adds comments and rollout stages)
    const fixture = confgate.loadPolicy(path.join(FIXTURE, 'confgate.yaml'));
    expect(policy.keys).toEqual(fixture.keys);
    expect(policy.rules?.map((r) => [r.id, r.path, r.expr])).toEqual(fixture.rules?.map((r) => [r.id, r.path, r.expr]));
    expect(policy.files).toEqual(fixture.files);
  });

  it('the library example uses exported names', () => {
    const ts = block('ts');
    const imported = /import \{([^}]*)\} from 'confgate'/.exec(ts)![1]!.split(',').map((s) => s.trim());
    for (const name of imported) expect(typeof (confgate as Record<string, unknown>)[name], name).toBe('function');
  });
});
