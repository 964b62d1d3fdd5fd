/**
 * The built CLI requires its external packages on first use, not at start-up (scripts/lazy-externals.mjs, the CLI
 * entry of tsup.config.ts): a `check` of a JSON config loads none of them, and each input loads what it needs.
 * The bin runs under a CommonJS preload that records every listed package the bundle itself requires; the verdicts
 * show the lazily loaded code still answers (the other CLI tests compare the outputs in detail).
 * The plugin itself is checked on a small bundle: nothing required at load, names read through, a name absent at
 * build time falls back to the real module, and writes are refused.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../..');
const bin = path.join(root, 'dist', 'cli', 'bin.cjs');

/** The packages tsup.config.ts makes lazy (the same list). */
const { CLI_LAZY_PACKAGES: LAZY } = (await import(pathToFileURL(path.join(root, 'scripts', 'lazy-externals.mjs')).href)) as { CLI_LAZY_PACKAGES: string[] };

// Appends each listed package the bin requires (directly, not through another package) to $LAZY_LOG, one a line.
const PRELOAD = `const Module = require('node:module');
const { appendFileSync } = require('node:fs');
const listed = new Set(${JSON.stringify(LAZY)});
const bin = ${JSON.stringify(bin)};
const load = Module._load;
Module._load = function (request, parent, isMain) {
  if (listed.has(request) && parent && parent.filename === bin) appendFileSync(process.env.LAZY_LOG, request + '\\n');
  return load.apply(this, arguments);
};
`;

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'confgate-lazy-'));
  mkdirSync(path.join(dir, '.git')); // policy discovery stops here: no confgate.yaml from above
  writeFileSync(path.join(dir, 'preload.cjs'), PRELOAD);
  const w = (name: string, value: unknown) => writeFileSync(path.join(dir, name), typeof value === 'string' ? value : JSON.stringify(value));
  w('live.json', { version: '1.0.0', features: [{ name: 'a', weight: 1 }] });
  w('next.json', { version: '1.0.1', features: [{ name: 'a', weight: 2 }] });
  w('live.yaml', 'version: 1.0.0\nfeatures:\n  - name: a\n    weight: 1\n');
  // `format` needs ajv-formats; a nested quantifier runs in RE2JS (src/validate/linear-regex.ts).
  w('schema.json', { type: 'object', properties: { version: { type: 'string', format: 'date' }, features: { items: { properties: { name: { pattern: '^(a+)+$' } } } } } });
  w('schema-2020.json', { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object' });
  w('policy-schema.json', { version: 1, schema: 'schema.json' });
  w('policy-2020.json', { version: 1, schema: 'schema-2020.json' });
  w('policy-cron.json', { version: 1, windows: [{ name: 'weekend', kind: 'freeze', schedule: '0 18 * * FRI', duration: '62h', timeZone: 'America/Los_Angeles' }] });
  w('policy-rrule.json', { version: 1, windows: [{ name: 'train', kind: 'allow', rrule: 'FREQ=WEEKLY;BYDAY=TU,TH', start: '2025-01-07T09:00', duration: '8h', timeZone: 'America/New_York' }] });
  w('freeze.ics', readFileSync(path.join(root, 'fixtures', 'windows', 'holiday-freeze.ics'), 'utf8'));
  w('policy-ics.json', { version: 1, windowImports: [{ ical: 'freeze.ics' }] });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the bin under the preload: the packages it required (sorted), the exit code, the verdict and the findings'
 * rules (`rule:keyword` for schema findings). */
function check(args: string[]) {
  const log = path.join(dir, `loaded-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(log, '');
  const r = spawnSync(process.execPath, ['--require', path.join(dir, 'preload.cjs'), bin, 'check', ...args, '--format', 'json', '--at', '2025-06-04T15:00:00Z'], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, LAZY_LOG: log, NO_COLOR: '1', GITHUB_STEP_SUMMARY: '' },
  });
  const loaded = [...new Set(readFileSync(log, 'utf8').split('\n').filter(Boolean))].sort();
  const report = JSON.parse(r.stdout) as { verdict: string; findings: Array<{ rule: string; detail?: { keyword?: string } }> };
  return { loaded, code: r.status, verdict: report.verdict, rules: report.findings.map((f) => `${f.rule}${f.detail?.keyword ? `:${f.detail.keyword}` : ''}`) };
}

describe('built CLI: external packages loaded on first use', () => {
  it('a check of a JSON config loads none of them', () => {
    const r = check(['--proposed', 'live.json']);
    expect(r.loaded).toEqual([]);
    expect([r.code, r.verdict]).toEqual([0, 'allow']);
  });

  it('a YAML config loads the YAML parsers', () => {
    const r = check(['--proposed', 'live.yaml']);
    expect(r.loaded).toEqual(['js-yaml', 'yaml']);
    expect([r.code, r.verdict]).toEqual([0, 'allow']);
  });

  it('a diff against the current config loads the differ and semver', () => {
    const r = check(['--proposed', 'next.json', '--current', 'live.json']);
    expect(r.loaded).toEqual(['json-diff-ts', 'semver']);
    expect(r.verdict).toBe('allow');
  });

  it('a policy with a JSON schema loads ajv, its formats and RE2JS for a non-linear pattern', () => {
    const r = check(['--proposed', 'live.json', '--policy', 'policy-schema.json']);
    expect(r.loaded).toEqual(['ajv', 'ajv-formats', 're2js']);
    expect([r.code, r.verdict]).toEqual([1, 'block']);
    expect(r.rules).toContain('schema:format'); // `/version` must be a valid date
  });

  it('a 2020-12 schema loads ajv/dist/2020.js, not 2019', () => {
    const r = check(['--proposed', 'live.json', '--policy', 'policy-2020.json']);
    expect(r.loaded).toEqual(['ajv', 'ajv-formats', 'ajv/dist/2020.js']);
    expect(r.verdict).toBe('allow');
  });

  it('windows load what they need: cron croner, rrule rrule, iCalendar ical.js', () => {
    const cron = check(['--proposed', 'live.json', '--policy', 'policy-cron.json']);
    expect(cron.loaded).toEqual(['ajv', 'croner']);
    const rrule = check(['--proposed', 'live.json', '--policy', 'policy-rrule.json']);
    expect(rrule.loaded).toContain('rrule');
    expect(rrule.rules).toContain('window.outside-allowed'); // Wednesday: outside the Tue/Thu train
    const ics = check(['--proposed', 'live.json', '--policy', 'policy-ics.json']);
    expect(ics.loaded).toContain('ical.js');
    // None of them parses YAML or compiles a config schema.
    for (const r of [cron, rrule, ics]) {
      expect(r.loaded.filter((p) => ['yaml', 'js-yaml', 'ajv-formats', 're2js', 'json-diff-ts'].includes(p))).toEqual([]);
    }
  });
});

describe('the lazy-externals plugin', () => {
  it('requires a package on the first read of a name, reads the rest from it, falls back for unknown names', async () => {
    const url = pathToFileURL(path.join(root, 'scripts', 'lazy-externals.mjs')).href;
    const { lazyExternals } = (await import(url)) as { lazyExternals: (packages: string[]) => Plugin };
    const out = await build({
      // ESM in a `"type": "module"` package, like src/: imports become `__toESM(require_semver(), 1)`.
      stdin: {
        contents: `import semver, { valid } from 'semver';
          import * as ns from 'semver';
          export const check = (v) => valid(v);
          export const def = semver;
          export const namespace = ns;`,
        sourcefile: 'entry.mjs',
        resolveDir: root,
      },
      bundle: true,
      write: false,
      format: 'cjs',
      platform: 'node',
      plugins: [lazyExternals(['semver'])],
    });
    const real = createRequire(path.join(root, 'package.json'))('semver') as Record<string, unknown>;
    const fake: Record<string, unknown> = { ...real, addedLater: 42 };
    const required: string[] = [];
    type Exports = { check: (v: string) => string | null; def: Record<string, unknown>; namespace: Record<string, unknown> };
    const mod = { exports: {} as Exports };
    // Strict, as dist/cli/bin.cjs is.
    new Function('module', 'exports', 'require', `"use strict";\n${out.outputFiles[0]!.text}`)(mod, mod.exports, (id: string) => {
      required.push(id);
      return fake;
    });
    expect(required).toEqual([]);
    expect(mod.exports.check('1.2.3')).toBe('1.2.3');
    expect(mod.exports.check('x')).toBeNull();
    expect(required).toEqual(['semver']);
    expect(mod.exports.def.SEMVER_SPEC_VERSION).toBe(real.SEMVER_SPEC_VERSION);
    expect(mod.exports.namespace.SemVer).toBe(real.SemVer);
    expect(mod.exports.namespace.default).toBe(mod.exports.def);
    expect(mod.exports.def.addedLater).toBe(42); // not an own name of semver at build time: read from the module
    expect(() => {
      mod.exports.def.SEMVER_SPEC_VERSION = 'written';
    }).toThrow(TypeError);
    expect(required).toEqual(['semver']); // once
  });
});
