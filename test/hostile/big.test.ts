/**
 * The big hostile inputs (generated into a temp dir by generate.ts): 200,000-deep nesting, 20 MB strings,
 * 300,000 keys, alias and merge-key bombs, node and byte limits. Each runs through the BUILT CLI in a child
 * process with `--max-old-space-size=1024` and a generous timeout: a runaway would be killed by the heap limit
 * or the timeout and fail the test (termination and bounded memory are asserted, never speed). The cheap ones
 * also run in-process through the library.
 *
 * Timeouts are for a loaded machine: the slowest case needs about 4 s of CPU on an idle one (times per case:
 * `node bench/hostile.mjs`, BENCHMARKS.md), each CLI run may take 120 s, all of them 900 s.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGate } from '../../src/index.js';
import { AT } from './expected.js';
import { generateBigCorpus, type BigCase } from './generate.mjs';
import { binExists, hasNoCrash, inBatches, runCli, type CliReport, type CliRun } from './helpers.js';

const corpus = generateBigCorpus();
const results = new Map<string, CliRun>();
const rulesOf = (r: { findings: ReadonlyArray<{ rule: string }> }): string[] => [...new Set(r.findings.map((f) => f.rule))];

beforeAll(async () => {
  if (!binExists()) return;
  await inBatches(corpus.cases, 2, async (c) => {
    results.set(c.name, await runCli(['check', '--proposed', c.file, '--format', 'json', '--at', AT], { heapMb: 1024, timeoutMs: 120_000 }));
  });
}, 900_000);
afterAll(() => corpus.cleanup());

describe('big hostile inputs: built CLI under a 1 GB heap', () => {
  it.each(corpus.cases.map((c) => [c.name, c] as const))('%s', (_name, c: BigCase) => {
    expect(binExists()).toBe(true);
    const r = results.get(c.name)!;
    expect(r.timedOut, 'did not terminate').toBe(false);
    expect(r.signal, r.stderr.slice(0, 300)).toBeNull();
    expect(hasNoCrash(r), r.stderr.slice(0, 300)).toBe(true);
    expect(r.code, r.stderr.slice(0, 300)).toBe(c.verdict === 'block' ? 1 : 0);
    const report = JSON.parse(r.stdout) as CliReport;
    expect(report.verdict).toBe(c.verdict);
    for (const rule of c.rules) expect(rulesOf(report)).toContain(rule);
    // Findings are capped per rule: a hostile document cannot blow up the report.
    expect(report.findings.length).toBeLessThanOrEqual(1100);
  });
});

describe('big hostile inputs: library', () => {
  const gate = createGate();
  it.each(corpus.cases.filter((c) => c.inProcess).map((c) => [c.name, c] as const))('%s', (_name, c: BigCase) => {
    const report = gate.evaluate({ proposed: { path: c.file }, at: AT });
    expect(report.verdict).toBe(c.verdict);
    for (const rule of c.rules) expect(rulesOf(report)).toContain(rule);
    expect(report.changes.total).toBe(0);
    const f = report.findings.find((x) => x.rule.startsWith('input.'));
    if (c.rules.some((r) => r.startsWith('input.'))) {
      expect(f?.location?.line).toBeGreaterThanOrEqual(1);
      expect(f?.message).toMatch(/limits\.max/);
    }
  });

  it('the 300,000 duplicate-key findings are capped with a count of the rest', () => {
    const c = corpus.cases.find((x) => x.name === 'dup-keys-300k.json')!;
    const report = gate.evaluate({ proposed: { path: c.file }, at: AT });
    const dups = report.findings.filter((f) => f.rule === 'parse.duplicate-key');
    expect(dups).toHaveLength(1001);
    expect(dups.find((f) => f.detail?.['omitted'] !== undefined)?.detail).toEqual({ omitted: 299_000 - 1000, total: 299_000 });
  });
});
