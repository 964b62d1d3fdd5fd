/**
 * The README's screenshots, made by the browser run: the gate report of the example push (fixtures/example/next.json,
 * blocked) and the rollout report of the example's safe push rolled out over a simulated fleet in which one region's
 * canary turns unhealthy during the bake (as `npm start` shows). Both pages are checked like the other HTML tests (no
 * console error, no request), then photographed at 1100 x 820 (the top of the page: status, why, timeline).
 * docs/gate-report.png is rewritten every run (the page is deterministic); docs/rollout-report.png (real times) only
 * when missing or with CONFGATE_UPDATE_DOCS=1, so that a test run does not dirty the repository.
 */
import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createGate,
  formatReport,
  formatRolloutReport,
  loadConfig,
  loadPolicy,
  MemoryJournal,
  normalizeTargets,
  reportSources,
  runRollout,
  type TimedRolloutEvent,
} from '../../src/index.js';
import { launch, openFile, screenshot } from './html-browser.js';

const root = path.resolve(import.meta.dirname, '..', '..');
const example = path.join(root, 'fixtures', 'example');
const docs = path.join(root, 'docs');
const at = '2025-11-18T11:20:00Z';
let browser: Browser;
let dir: string;

beforeAll(async () => {
  browser = await launch();
  dir = mkdtempSync(path.join(tmpdir(), 'confgate-html-docs-'));
});
afterAll(async () => {
  await browser?.close();
});

async function photograph(html: string, name: string, always: boolean): Promise<void> {
  const file = path.join(dir, `${name}.html`);
  writeFileSync(file, html);
  const p = await openFile(browser, file, 1100, 820);
  try {
    expect(p.errors).toEqual([]);
    expect(p.requests).toEqual([]);
    const shot = await screenshot(p.page, `${name}.png`, false);
    const target = path.join(docs, `${name}.png`);
    if (always || !existsSync(target) || process.env['CONFGATE_UPDATE_DOCS'] === '1') {
      await p.page.screenshot({ path: target });
    }
    expect(statSync(shot).size).toBeLessThan(400_000);
  } finally {
    await p.close();
  }
}

describe('README screenshots', () => {
  // relative names, as a user in the repository root would give them (the page shows them)
  const policy = loadPolicy(path.relative(process.cwd(), path.join(example, 'confgate.yaml')));
  const targets = normalizeTargets(loadConfig({ path: path.join(example, 'targets.yaml') }).value, 'targets.yaml');
  const live = loadConfig({ path: path.join(example, 'live.json') }, { file: 'live.json' });

  it('docs/gate-report.png: the example push, blocked', async () => {
    const next = loadConfig({ path: path.join(example, 'next.json') }, { file: 'next.json' });
    const report = createGate(policy).evaluate({ proposed: next, current: live, targets, at });
    expect(report.verdict).toBe('block');
    const html = formatReport(report, 'html', { sources: reportSources(report, [next, live], { policy }), scoring: policy.scoring });
    await photograph(html, 'gate-report', true);
  });

  it('docs/rollout-report.png: the example safe push, rolled back when a region turns unhealthy', async () => {
    const good = loadConfig({ path: path.join(example, 'next-good.json') }, { file: 'next-good.json' });
    const report = createGate(policy).evaluate({ proposed: good, current: live, targets, at });
    expect(report.plan).toBeDefined();
    const plan = { ...report.plan!, waves: report.plan!.waves.map((w) => ({ ...w, bakeMs: Math.min(w.bakeMs, 600), approval: w.index === 1 })) };
    const badRegion = plan.waves[1]!.targets[0]!.labels['region'];
    const applied = new Map<string, number>();
    const journal = new MemoryJournal();
    const events: TimedRolloutEvent[] = [];
    const result = await runRollout({
      plan,
      proposed: good.value,
      lkg: live.value,
      journal,
      concurrency: 8,
      healthOptions: { interval: 100, timeout: 2_000 },
      approval: async () => {
        await new Promise((r) => setTimeout(r, 300));
        return true;
      },
      apply: async (t) => {
        await new Promise((r) => setTimeout(r, 20));
        applied.set(t.id, Date.now());
      },
      rollback: async () => {
        await new Promise((r) => setTimeout(r, 20));
      },
      health: (t) => {
        const since = Date.now() - (applied.get(t.id) ?? Date.now());
        if (t.labels['region'] === badRegion && since > 250) return { healthy: false, message: 'proxy crash-looping on config load', metrics: { latency_ms: 950 } };
        return { healthy: true, metrics: { latency_ms: 20 + (t.id.length % 5) } };
      },
      onEvent: (e) => void events.push({ ts: new Date().toISOString(), ...e }),
    });
    expect(result.status).toBe('rolled-back');
    const html = formatRolloutReport({ records: await journal.read(), result, events, gate: report, audit: { actor: 'ci-bot', reason: 'bot feature weights tweak', commit: '3f9c2e1' } });
    await photograph(html, 'rollout-report', false);
  });
});
