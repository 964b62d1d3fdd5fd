/**
 * Config sets through the library (public entry): loading a folder or `{ files }`, per-file validation and diff,
 * cross-file rules, the set scored and planned as one push, secrets, plugins, and failing closed on every kind of
 * bad member.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../helpers/prng.js';
import {
  commandHook,
  createGate,
  MemoryJournal,
  planRollout,
  runRollout,
  toSarif,
  diffConfigSets,
  formatReport,
  isConfigSet,
  loadConfigSet,
  loadPolicy,
  OptionsError,
  type CheckPlugin,
  type Finding,
  type GateReport,
} from '../../src/index.js';

const FIXTURE = new URL('../../fixtures/example-set/', import.meta.url).pathname;
const AT = '2025-11-18T11:20:00Z';
const tmp = mkdtempSync(path.join(tmpdir(), 'confgate-sets-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function write(dir: string, files: Record<string, string>): string {
  for (const [rel, text] of Object.entries(files)) {
    const p = path.join(dir, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, text);
  }
  return dir;
}

let n = 0;
function folder(files: Record<string, string>): string {
  return write(path.join(tmp, `set-${++n}`), files);
}

const ids = (r: GateReport): string[] => [...new Set(r.findings.map((f) => f.rule))].sort();
const of = (r: GateReport, rule: string): Finding[] => r.findings.filter((f) => f.rule === rule);

describe('the example set (fixtures/example-set)', () => {
  const policy = loadPolicy(path.join(FIXTURE, 'confgate.yaml'));
  const gate = createGate(policy);
  const report = gate.evaluate({ proposed: path.join(FIXTURE, 'proposed'), current: path.join(FIXTURE, 'current'), at: AT });

  it('blocks on the cross-file rule, located in the member that breaks it', () => {
    expect(report.verdict).toBe('block');
    const [f] = of(report, 'rule.route-pool-exists');
    expect(f).toMatchObject({
      severity: 'block',
      file: 'regions/us.yaml',
      path: '/routes/0',
      message: 'route api points at pool us-pool, which edge/base.yaml does not define',
    });
    expect(f!.location).toEqual({ file: path.join(FIXTURE, 'proposed', 'regions/us.yaml'), line: 3, column: 5 });
    expect(of(report, 'rule.route-pool-exists')).toHaveLength(1);
  });

  it('lists the members of both sides, sorted; files.ignore leaves README.md out', () => {
    expect(report.files.set).toEqual({
      proposed: ['edge/base.yaml', 'regions/ap.yaml', 'regions/eu.yaml', 'regions/us.yaml'],
      current: ['edge/base.yaml', 'regions/eu.yaml', 'regions/us.yaml'],
    });
  });

  it('diffs each member on its own (keys by glob) and counts an added file as one change', () => {
    const changes = report.changes.changes.map((c) => `${c.kind} ${c.file}#${c.path}`);
    expect(changes).toEqual([
      'added edge/base.yaml#/pools/[name=us-west]',
      'added edge/base.yaml#/pools/[name=ap-pool]',
      'removed edge/base.yaml#/pools/[name=us-pool]',
      'modified edge/base.yaml#/version',
      'added regions/ap.yaml#',
      'added regions/us.yaml#/routes/[name=static]/weight',
    ]);
    expect(report.changes.changes.find((c) => c.file === 'regions/ap.yaml')!.newValue).toEqual({
      region: 'ap',
      routes: [{ name: 'api', pool: 'ap-pool' }, { name: 'static', pool: 'default' }],
    });
  });

  it('scores the set as one push: a sensitive GLOB# pattern, growth of a list in one member, the rules factor', () => {
    const factors = Object.fromEntries(report.factors.map((f) => [f.id, f]));
    expect(factors['sensitive']!.detail).toContain('edge/base.yaml#/pools/**');
    expect(factors['shrink']!.detail).toContain('edge/base.yaml#/pools');
    expect(factors['rules']!.points).toBe(10);
    expect(of(report, 'limit.shrink')[0]).toMatchObject({ file: 'edge/base.yaml', path: '/pools' });
  });

  it('is deterministic: the same folders give byte-identical JSON', () => {
    const again = gate.evaluate({ proposed: path.join(FIXTURE, 'proposed'), current: path.join(FIXTURE, 'current'), at: AT });
    expect(formatReport(again, 'json')).toBe(formatReport(report, 'json'));
  });

  it('plans the set as one push (one plan for every member)', () => {
    const targets = [1, 2, 3, 4].map((i) => ({ id: `t${i}`, labels: { region: i % 2 ? 'eu' : 'us' } }));
    const r = gate.evaluate({ proposed: path.join(FIXTURE, 'proposed'), current: path.join(FIXTURE, 'current'), at: AT, targets });
    expect(r.plan!.waves.map((w) => w.name)).toEqual(['canary', 'all']);
    expect(r.plan!.waves.flatMap((w) => w.targets).length).toBe(4);
  });

  it('passes once the region routes to the renamed pool', () => {
    const proposed = loadConfigSet(path.join(FIXTURE, 'proposed'), { policy });
    const fixed = {
      files: {
        ...Object.fromEntries(proposed.files),
        'regions/us.yaml': 'region: us\nroutes:\n  - { name: api, pool: us-west }\n  - { name: static, pool: default, weight: 100 }\n',
      },
    };
    const r = gate.evaluate({ proposed: fixed, current: path.join(FIXTURE, 'current'), at: AT });
    expect(of(r, 'rule.route-pool-exists')).toEqual([]);
    expect(r.verdict).not.toBe('block');
  });
});

describe('config sets given in memory ({ files })', () => {
  const policy = {
    version: 1 as const,
    keys: { 'regions/*.yaml#/routes': 'name' },
    rules: [
      { id: 'pool-exists', path: 'regions/*.yaml#/routes/*', expr: "self.pool in files['base.yaml'].pools" },
      { id: 'region-kept', path: 'regions/*.yaml#', expr: "oldFiles.all(k, !k.startsWith('regions/') || k in files)", message: 'a region file was removed' },
      { id: 'port-stable', path: '/port', expr: 'oldSelf == null || self == oldSelf' },
    ],
  };
  const gate = createGate(policy);
  const current = { files: { 'base.yaml': { pools: ['a', 'b'], port: 1 }, 'regions/eu.yaml': { routes: [{ name: 'r', pool: 'a' }] } } };

  it('evaluates parsed values, text and ConfigDocs alike; findings name the member', () => {
    const r = gate.evaluate({
      proposed: { files: { 'base.yaml': { pools: ['a'], port: 2 }, 'regions/eu.yaml': 'routes:\n  - { name: r, pool: b }\n' } },
      current,
      at: AT,
    });
    expect(of(r, 'rule.pool-exists')).toEqual([
      expect.objectContaining({ file: 'regions/eu.yaml', path: '/routes/0', location: { file: 'regions/eu.yaml', line: 2, column: 5 } }),
    ]);
    // a plain pattern applies within every file: /port exists only in base.yaml
    expect(of(r, 'rule.port-stable')).toEqual([expect.objectContaining({ file: 'base.yaml', path: '/port' })]);
    expect(r.files).toMatchObject({ proposed: '<proposed>', current: '<current>' });
  });

  it('a removed member is one change, and rules see it through oldFiles', () => {
    const r = gate.evaluate({ proposed: { files: { 'base.yaml': { pools: ['a', 'b'], port: 1 }, 'regions/us.yaml': { routes: [] } } }, current, at: AT });
    expect(r.changes.changes.map((c) => `${c.kind} ${c.file}#${c.path}`)).toEqual(['removed regions/eu.yaml#', 'added regions/us.yaml#']);
    expect(of(r, 'rule.region-kept')).toEqual([expect.objectContaining({ file: 'regions/us.yaml', message: 'a region file was removed' })]);
  });

  it('a set is compared with a set: mixing a set and one document is misuse', () => {
    expect(() => gate.evaluate({ proposed: { files: { 'a.json': {} } }, current: { pools: [] }, at: AT })).toThrow(OptionsError);
    expect(() => gate.evaluate({ proposed: { files: { '../a.json': {} } }, at: AT })).toThrow(/must not have empty, `.` or `..` segments/);
  });

  it('an empty set blocks (it would leave the targets without configuration)', () => {
    const r = gate.evaluate({ proposed: { files: {} }, current, at: AT });
    expect(r.verdict).toBe('block');
    expect(ids(r)).toContain('input.missing');
  });
});

describe('policy paths: single-file policies keep working, GLOB# patterns address files', () => {
  it('a policy without # applies within every member, as it does for one file', () => {
    const gate = createGate({ version: 1, checks: [{ path: '/items', maxItems: 1 }] });
    const single = gate.evaluate({ proposed: { items: [1, 2] }, at: AT });
    const set = gate.evaluate({ proposed: { files: { 'a.json': { items: [1, 2] }, 'b.json': { items: [1] } } }, at: AT });
    expect(of(single, 'limit.max-items')).toHaveLength(1);
    expect(of(set, 'limit.max-items')).toEqual([expect.objectContaining({ file: 'a.json', path: '/items' })]);
  });

  it('schemas by glob (files.schemas): the first match wins, others use `schema`', () => {
    const gate = createGate({
      version: 1,
      schema: { type: 'object', required: ['base'] },
      files: { schemas: [{ match: 'regions/*.json', schema: { type: 'object', required: ['region'] } }] },
    });
    const r = gate.evaluate({ proposed: { files: { 'base.json': {}, 'regions/eu.json': {}, 'regions/us.json': { region: 'us' } } }, at: AT });
    expect(of(r, 'schema').map((f) => `${f.file}: ${String(f.detail?.['params'] && JSON.stringify(f.detail['params']))}`)).toEqual([
      'base.json: {"missingProperty":"base"}',
      'regions/eu.json: {"missingProperty":"region"}',
    ]);
  });

  it('in a single-file check a GLOB# pattern applies when the glob matches the file name or a trailing part of it', () => {
    const gate = createGate({ version: 1, checks: [{ path: 'regions/*.json#/items', maxItems: 1 }] });
    const text = '{"items": [1, 2]}';
    expect(of(gate.evaluate({ proposed: { text, file: 'config/regions/eu.json' }, at: AT }), 'limit.max-items')).toHaveLength(1);
    expect(of(gate.evaluate({ proposed: { text, file: 'config/base.json' }, at: AT }), 'limit.max-items')).toHaveLength(0);
  });

  it('single-file checks: files.schemas by file name; `files` holds the one document under its name', () => {
    const gate = createGate({
      version: 1,
      files: { schemas: [{ match: 'regions/*.json', schema: { type: 'object', required: ['region'] } }] },
      rules: [{ id: 'named', expr: "files['cfg/regions/eu.json'].x == root.x && oldFiles['cfg/regions/eu.json'].x == 1" }],
    });
    const r = gate.evaluate({ proposed: { text: '{"x": 2}', file: 'cfg/regions/eu.json' }, current: { text: '{"x": 1}', file: 'live.json' }, at: AT });
    expect(ids(r)).toContain('schema');
    expect(of(r, 'rule.named')).toEqual([]);
    expect(ids(gate.evaluate({ proposed: { text: '{"x": 2}', file: 'cfg/base.json' }, at: AT }))).not.toContain('schema');
  });

  it('bad globs are policy errors naming the key', () => {
    expect(() => createGate({ version: 1, checks: [{ path: '../x.yaml#/a', maxItems: 1 }] })).toThrow(/checks\/0\/path.*`\.\.`/s);
    expect(() => createGate({ version: 1, keys: { 'a.yaml#features': 'name' } })).toThrow(/after `#` comes a JSON Pointer/);
    expect(() => createGate({ version: 1, files: { ignore: ['/abs'] } })).toThrow(/files\/ignore\/0/);
  });
});

describe('failing closed on bad members (folders)', () => {
  it('a symlink out of the folder, a dangling one, a loop, a FIFO: each a finding with its path, never a crash', () => {
    const outside = folder({ 'secret.json': '{"a": 1}' });
    const dir = folder({ 'ok.json': '{"a": 1}', 'sub/inner.json': '{"b": 2}' });
    symlinkSync(path.join(outside, 'secret.json'), path.join(dir, 'escape.json'));
    symlinkSync(outside, path.join(dir, 'escape-dir'));
    symlinkSync(path.join(dir, 'nothing.json'), path.join(dir, 'dangling.json'));
    symlinkSync(path.join(dir, 'loop-b.json'), path.join(dir, 'loop-a.json'));
    symlinkSync(path.join(dir, 'loop-a.json'), path.join(dir, 'loop-b.json'));
    symlinkSync(path.join(dir, 'sub'), path.join(dir, 'sub-again'));
    symlinkSync(dir, path.join(dir, 'sub', 'up'));
    execFileSync('mkfifo', [path.join(dir, 'pipe.json')]);
    const set = loadConfigSet(dir, { name: 'cfg' });
    expect([...set.files.keys()]).toEqual(['ok.json', 'sub/inner.json']);
    const why = set.findings.map((f) => `${f.rule} ${f.file} ${String(f.detail?.['reason'])} ${f.location?.file}:${f.location?.line}`);
    expect(why).toEqual([
      'input.unreadable dangling.json symlink cfg/dangling.json:1',
      'input.unreadable escape-dir symlink-escape cfg/escape-dir:1',
      'input.unreadable escape.json symlink-escape cfg/escape.json:1',
      'input.unreadable loop-a.json symlink cfg/loop-a.json:1',
      'input.unreadable loop-b.json symlink cfg/loop-b.json:1',
      'input.unreadable pipe.json not-a-file cfg/pipe.json:1',
      'input.unreadable sub/up symlink-cycle cfg/sub/up:1',
      'input.unreadable sub-again symlink-cycle cfg/sub-again:1',
    ]);
    const r = createGate().evaluate({ proposed: set, at: AT });
    expect(r.verdict).toBe('block');
  });

  it('a file over the input limits is input.too-large for that member only', () => {
    const dir = folder({ 'big.json': JSON.stringify({ a: 'x'.repeat(2000) }), 'small.json': '{"a": 1}' });
    const gate = createGate({ version: 1, limits: { input: { maxBytes: 1000 } } });
    const r = gate.evaluate({ proposed: dir, at: AT });
    expect(of(r, 'input.too-large')).toEqual([expect.objectContaining({ file: 'big.json', location: expect.objectContaining({ line: 1 }) })]);
    expect(r.files.set!.proposed).toEqual(['big.json', 'small.json']);
  });

  it('an unknown file type is a finding (ignore it with files.ignore); too many files stop the walk', () => {
    const dir = folder({ 'a.json': '{}', 'notes.txt': 'hello', 'b.json': '{}', 'c.json': '{}' });
    const r = createGate().evaluate({ proposed: dir, at: AT });
    expect(of(r, 'input.unknown-type')).toEqual([expect.objectContaining({ file: 'notes.txt' })]);
    expect(createGate({ version: 1, files: { ignore: ['*.txt'] } }).evaluate({ proposed: dir, at: AT }).verdict).not.toBe('block');
    const capped = createGate({ version: 1, files: { maxFiles: 2, ignore: ['*.txt'] } }).evaluate({ proposed: dir, at: AT });
    expect(of(capped, 'input.too-large')[0]!.message).toContain('more than 2 files');
  });

  it('an unreadable file is input.unreadable (skipped when running as root, who can read anything)', () => {
    if (process.getuid?.() === 0) return;
    const dir = folder({ 'a.json': '{}', 'locked.json': '{}' });
    chmodSync(path.join(dir, 'locked.json'), 0o000);
    const r = createGate().evaluate({ proposed: dir, at: AT });
    expect(of(r, 'input.unreadable')).toEqual([expect.objectContaining({ file: 'locked.json' })]);
  });

  it('a member that does not parse blocks with its own location; a required member that is missing blocks', () => {
    const dir = folder({ 'a.yaml': 'a: [1, 2\n', 'b.json': '{}' });
    const gate = createGate({ version: 1, files: { required: ['edge/base.yaml'] } });
    const r = gate.evaluate({ proposed: dir, at: AT });
    expect(of(r, 'parse.error')[0]).toMatchObject({ file: 'a.yaml', location: { file: path.join(dir, 'a.yaml') } });
    expect(of(r, 'input.missing')).toEqual([expect.objectContaining({ file: 'edge/base.yaml' })]);
  });

  it('a missing folder throws InputError; member order does not depend on the file system', () => {
    expect(() => loadConfigSet(path.join(tmp, 'nope'))).toThrow(/no such folder/);
    const dir = folder({ 'b/z.json': '{}', 'a.json': '{}', 'B.json': '{}', 'b/a.json': '{}' });
    const set = loadConfigSet(dir);
    expect(isConfigSet(set)).toBe(true);
    expect([...set.files.keys()]).toEqual(['B.json', 'a.json', 'b/a.json', 'b/z.json']);
    expect(Object.keys(set.value)).toEqual(['B.json', 'a.json', 'b/a.json', 'b/z.json']);
  });
});

describe('secrets, plugins and the diff of two sets', () => {
  it('secrets of any member are masked in changes, messages and paths; GLOB# secrets apply to their files only', () => {
    const gate = createGate({
      version: 1,
      secrets: ['db/*.json#/dsn'],
      rules: [{ id: 'no-leak', path: 'app.json#/name', expr: 'false', message: "name {{self}} next to {{files['db/main.json'].dsn}} and {{files['db/main.json'].api_token}}" }],
    });
    const r = gate.evaluate({
      proposed: { files: { 'app.json': { name: 'app', dsn: 'plain-text-dsn' }, 'db/main.json': { dsn: 'hunter2-dsn-value', api_token: 'tok-0123456789' } } },
      current: { files: { 'app.json': { name: 'app', dsn: 'x' }, 'db/main.json': { dsn: 'old-dsn-value', api_token: 'tok-old-value' } } },
      at: AT,
    });
    const json = formatReport(r, 'json');
    for (const s of ['hunter2-dsn-value', 'old-dsn-value', 'tok-0123456789', 'tok-old-value']) expect(json).not.toContain(s);
    // not a secret in app.json: the pattern names db/*.json only
    expect(json).toContain('plain-text-dsn');
    expect(of(r, 'rule.no-leak')[0]!.message).toMatch(/^name app next to «secret sha256:[0-9a-f]{8}» and «secret sha256:[0-9a-f]{8}»$/);
  });

  it('plugins run once per member with file, files and currentFiles; their findings carry the member', () => {
    const seen: string[] = [];
    const plugin: CheckPlugin = {
      name: 'members',
      rules: { 'acme.base-first': { title: 'base exists' } },
      check(input) {
        seen.push(`${input.file} ${[...(input.files?.keys() ?? [])].join(',')} ${input.currentFiles?.size}`);
        return input.file === 'b.json' ? [{ rule: 'acme.base-first', message: 'b', path: '/x' }] : [];
      },
    };
    const r = createGate(undefined, { checks: [plugin] }).evaluate({ proposed: { files: { 'a.json': {}, 'b.json': { x: 1 } } }, at: AT });
    expect(seen).toEqual(['a.json a.json,b.json 0', 'b.json a.json,b.json 0']);
    expect(of(r, 'acme.base-first')).toEqual([expect.objectContaining({ file: 'b.json', path: '/x' })]);
  });

  it('diffConfigSets diffs member by member with the policy keys and masks secrets', () => {
    const policy = loadPolicy(path.join(FIXTURE, 'confgate.yaml'));
    const changes = diffConfigSets(loadConfigSet(path.join(FIXTURE, 'current'), { policy }), loadConfigSet(path.join(FIXTURE, 'proposed'), { policy }), { policy });
    expect(changes.total).toBe(6);
    expect(changes.changes[0]).toMatchObject({ file: 'edge/base.yaml', path: '/pools/[name=us-west]' });
  });
});

describe('a set as one push: rollout, SARIF in memory, order', () => {
  it('runRollout delivers the set as one value: library hooks get the map, rollback the LKG map', async () => {
    const policy = loadPolicy(path.join(FIXTURE, 'confgate.yaml'));
    const proposed = loadConfigSet(path.join(FIXTURE, 'proposed'), { policy });
    const current = loadConfigSet(path.join(FIXTURE, 'current'), { policy });
    const got: string[] = [];
    const targets = [1, 2, 3].map((i) => ({ id: `t${i}`, labels: {} }));
    const result = await runRollout({
      plan: planRollout({ targets, stages: [{ name: 'canary', count: 1 }, { name: 'all', percent: 100 }] }),
      proposed: proposed.value,
      lkg: current.value,
      targets,
      apply: (t, ctx) => void got.push(`apply ${t.id} ${Object.keys(ctx.config as object).join(',')}`),
      health: (t) => t.id !== 't2',
      rollback: (t, ctx) => void got.push(`rollback ${t.id} ${Object.keys(ctx.config as object).join(',')}`),
      healthOptions: { interval: 5, timeout: 1000 },
      journal: new MemoryJournal(),
    });
    expect(result.status).toBe('rolled-back');
    expect(got).toContain('apply t1 edge/base.yaml,regions/ap.yaml,regions/eu.yaml,regions/us.yaml');
    expect(got.filter((g) => g.startsWith('rollback'))).toEqual(
      expect.arrayContaining(['rollback t1 edge/base.yaml,regions/eu.yaml,regions/us.yaml']),
    );
  });

  it('commandHook({ configSet: true }) refuses a value that is not a map of relative paths (the hook fails, nothing is written)', async () => {
    const hook = commandHook('true', [], { configSet: true });
    const ctx = { config: { '../escape.json': {} }, lkg: {}, changes: [], stage: { index: 0, name: 's', targets: [], bakeMs: 0, approval: false }, attempt: 1, generation: 1, signal: new AbortController().signal, rolloutId: 'r' };
    await expect(hook({ id: 't', labels: {} }, ctx as never)).rejects.toThrow(/cannot deliver the config set: config set member "..\/escape.json" must not have/);
    await expect(hook({ id: 't', labels: {} }, { ...ctx, config: [1] } as never)).rejects.toThrow(/must be a map of relative paths/);
  });

  it('SARIF of a set given in memory: member findings without positions still get an artifact location (the relative path)', () => {
    const gate = createGate({ version: 1, rules: [{ id: 'x', path: 'a/b.json#/v', expr: 'self < 2' }] });
    const r = gate.evaluate({ proposed: { files: { 'a/b.json': { v: 5 } } }, at: AT });
    const result = toSarif(r).runs[0]!.results!.find((x) => x.ruleId === 'rule.x')!;
    expect(result.locations![0]!.physicalLocation!.artifactLocation).toEqual({ uri: 'a/b.json' });
    expect(result.locations![0]!.logicalLocations).toEqual([{ fullyQualifiedName: '/v', kind: 'value' }]);
  });

  it('the report does not depend on the order in which members are given', () => {
    const gate = createGate(loadPolicy(path.join(FIXTURE, 'confgate.yaml')));
    const policy = gate.policy;
    const members = [...loadConfigSet(path.join(FIXTURE, 'proposed'), { policy }).files.entries()].map(([k, d]) => [k, d.value!] as const);
    const reports = new Set<string>();
    const rnd = mulberry32(13);
    for (let i = 0; i < 8; i++) {
      const order = [...members];
      for (let k = order.length - 1; k > 0; k--) {
        const j = Math.floor(rnd() * (k + 1));
        [order[k], order[j]] = [order[j]!, order[k]!];
      }
      const r = gate.evaluate({ proposed: { files: Object.fromEntries(order) }, current: path.join(FIXTURE, 'current'), at: AT });
      reports.add(formatReport(r, 'json'));
    }
    expect(reports.size).toBe(1);
  });
});
