/**
 * The built package, as users load it: `dist/` through both `import` and `require` (the CJS build must
 * bundle the ESM-only p-limit), and the bin. `npm test` builds `dist/` before vitest runs.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');
const require = createRequire(import.meta.url);

describe('built package', () => {
  it('loads through import and evaluates a push', async () => {
    const mod = (await import(pathToFileURL(path.join(dist, 'index.js')).href)) as typeof import('../src/index.js');
    const report = mod.createGate().evaluate({ proposed: '{"a": 1, "a": 2}\n', at: '2025-01-01T00:00:00Z' });
    expect(report.verdict).toBe('block');
    expect(report.findings.map((f) => f.rule)).toContain('parse.duplicate-key');
    expect(typeof mod.runRollout).toBe('function');
  });

  it('loads through require and runs a rollout (p-limit bundled into the CJS build)', async () => {
    const mod = require(path.join(dist, 'index.cjs')) as typeof import('../src/index.js');
    const gate = mod.createGate();
    expect(gate.evaluate({ proposed: { a: 1 }, current: { a: 1 }, at: '2025-01-01T00:00:00Z' }).verdict).toBe('allow');
    const targets = [1, 2, 3].map((i) => ({ id: `t${i}`, labels: {} }));
    const plan = mod.planRollout({ targets, stages: [{ name: 'canary', count: 1 }, { name: 'all', percent: 100 }] });
    const applied: string[] = [];
    const result = await mod.runRollout({
      plan,
      proposed: { a: 2 },
      lkg: { a: 1 },
      apply: (t) => {
        applied.push(t.id);
      },
      rollback: () => undefined,
      health: () => true,
      healthOptions: { interval: 1 },
      journal: new mod.MemoryJournal(),
    });
    expect(result.status).toBe('completed');
    expect(applied.sort()).toEqual(['t1', 't2', 't3']);
  });

  it('compiles and evaluates CEL through require (@marcbachmann/cel-js, ESM-only, bundled into the CJS build)', () => {
    const mod = require(path.join(dist, 'index.cjs')) as typeof import('../src/index.js');
    expect(mod.compileCel('self.port == 443').evaluate({ self: { port: 443 } })).toBe(true);
    expect(() => mod.compileCel('self.port ==')).toThrow(mod.CelCompileError);
  });

  it('exposes the policy schema and types in the exports map', () => {
    const pkg = require(path.join(root, 'package.json')) as { exports: Record<string, unknown>; bin: Record<string, string> };
    expect(Object.keys(pkg.exports)).toContain('./policy.schema.json');
    const first = Object.keys((pkg.exports['.'] as { import: Record<string, string> }).import)[0];
    expect(first).toBe('types');
    expect(pkg.bin['confgate']).toBe('./dist/cli/bin.cjs');
  });

  it('runs the bin', () => {
    const out = execFileSync(process.execPath, [path.join(dist, 'cli', 'bin.cjs'), '--version'], { encoding: 'utf8' });
    expect(out.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const bad = spawnSync(process.execPath, [path.join(dist, 'cli', 'bin.cjs'), 'nonsense'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/unknown command/);
    expect(bad.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
  });
});
