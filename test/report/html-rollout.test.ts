/**
 * The rollout's HTML report in a real browser (Chromium via playwright-core), from a real rollout: runRollout with
 * hooks that approve a wave after a wait, hold it on an inconclusive check until an operator's `continue`, then fail a
 * target of the last wave (its id carries `<script>`, its health error `</svg>` and a secret) so that the engine rolls
 * back. The report is made from the journal records, the result and the timed events, then from the journal alone
 * (what `confgate status --format html` has); also through the CLI (`rollout --report`, `status --format html`).
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '../../src/cli/main.js';
import { createMasker } from '../../src/secrets.js';
import { MetricsServer } from '../analysis/harness.js';
import {
  formatRolloutReport,
  loadConfig,
  loadPolicy,
  rolloutOptionsFromPolicy,
  MemoryJournal,
  planRollout,
  runRollout,
  type JournalRecord,
  type OperatorCommand,
  type RolloutResult,
  type Target,
  type TimedRolloutEvent,
} from '../../src/index.js';
import { fitsWidth, inPage, launch, openFile, screenshot, smallestFont } from './html-browser.js';

const SECRET = 'sk_live_planted_secret_123456';
const EVIL = 'edge-<script>alert(1)</script>';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let dir: string;
let browser: Browser;
let records: JournalRecord[];
let result: RolloutResult;
let events: TimedRolloutEvent[];
const mask = createMasker({ secrets: [] }, [loadConfig({ text: `api_token: ${SECRET}\n`, file: 'c.yaml' })]).text;

const targets: Target[] = [
  ...Array.from({ length: 9 }, (_, i) => ({ id: `edge-${i}`, labels: { region: ['ams', 'fra', 'iad'][i % 3]! } })),
  { id: EVIL, labels: { region: 'iad' } },
];

/** A rollout that waits for an approval, is held until an operator continues it, then fails and rolls back. */
async function scenario(): Promise<void> {
  const journal = new MemoryJournal();
  const plan = planRollout({
    targets,
    stages: [
      { name: 'canary', count: 2, bake: 200 },
      { name: 'early', percent: 50, bake: 200, approval: true },
      { name: 'global', percent: 100, bake: 800 },
    ],
  });
  // the hostile target must be in the last wave
  const last = plan.waves[2]!;
  if (!last.targets.some((t) => t.id === EVIL)) {
    const w = plan.waves.find((x) => x.targets.some((t) => t.id === EVIL))!;
    const evil = w.targets.find((t) => t.id === EVIL)!;
    const swap = last.targets[0]!;
    w.targets[w.targets.indexOf(evil)] = swap;
    last.targets[0] = evil;
  }
  const applied = new Map<string, number>();
  let released = false;
  events = [];
  let n = 0;
  result = await runRollout({
    plan,
    proposed: { v: 2 },
    lkg: { v: 1 },
    journal,
    healthOptions: { interval: 40, timeout: 5_000 },
    apply: async (t) => {
      await sleep(20 + (n++ % 3) * 10);
      applied.set(t.id, Date.now());
    },
    rollback: async () => {
      await sleep(15);
    },
    approval: async () => {
      await sleep(150);
      return true;
    },
    health: (t, ctx) => {
      const latency = 20 + (t.id.length % 7) + (ctx.stage.index === 2 ? 15 : 0);
      if (t.id === 'edge-3' && ctx.stage.index === 1 && !released) return { healthy: false, inconclusive: true, message: 'no data yet', metrics: { latency_ms: latency } };
      if (t.id === EVIL && Date.now() - (applied.get(t.id) ?? Date.now()) > 50) {
        return { healthy: false, message: `p99 </svg> 900ms from https://api.example/x?api_token=${SECRET}`, metrics: { latency_ms: 900 } };
      }
      return { healthy: true, metrics: { latency_ms: latency } };
    },
    onEvent: (e) => {
      events.push({ ts: new Date().toISOString(), ...e });
      if (e.type === 'rollout.held' && !released) {
        setTimeout(() => {
          released = true;
          const c: OperatorCommand = { command: 'continue', id: 'c1', user: 'alice', host: 'ops-1', ts: new Date().toISOString(), reason: 'metrics pipeline lagging, <b>checked</b> by hand' };
          void journal.postCommand(c);
        }, 150);
      }
    },
  });
  records = await journal.read();
  // what an analysis adds (measurements and the judge's verdicts): rendered when present
  const at = (ms: number) => new Date(Date.parse(events[events.length - 1]!.ts) + ms).toISOString();
  events.push({ ts: at(-300), type: 'measurement', stage: 'canary', metric: 'error_rate', targetId: 'edge-1', phase: 'Successful', value: 0.01, condition: 'result < 0.05' });
  events.push({ ts: at(-200), type: 'measurement', stage: 'canary', metric: 'error_rate', targetId: 'edge-2', phase: 'Failed', value: 0.09, condition: 'result < 0.05', message: 'result < 0.05 is false' });
  events.push({
    ts: at(-100),
    type: 'stage.judged',
    stage: 0,
    verdict: 'fail',
    judgements: [{ metric: 'latency_ms', outcome: 'fail', reason: 'canary slower by 12ms (p=0.003)', domains: [{ domain: 'iad', outcome: 'fail', reason: 'slower', canary: 5, baseline: 5, canaryMedian: 41, baselineMedian: 29, p: 0.003, shift: 12, low: 8, high: 15, tolerance: 5 }], canarySamples: [40, 41, 42, 39, 44], baselineSamples: [28, 29, 30, 29, 31] }],
  });
}

function io(cwd: string): { io: CliIo; out: () => string; err: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), env: { PATH: process.env['PATH'] ?? '', CONFGATE_LOCK_DIR: path.join(cwd, '.locks') }, isTTY: false, cwd, now: () => new Date() },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'confgate-html-rollout-'));
  browser = await launch();
  await scenario();
});

afterAll(async () => {
  await browser?.close();
});

describe('rollout report from the journal, the result and the events', () => {
  it('the rollout really went through an approval, a hold, a command and a rollback', () => {
    expect(result.status).toBe('rolled-back');
    expect(records.some((r) => r.type === 'hold')).toBe(true);
    expect(records.some((r) => r.type === 'command')).toBe(true);
    expect(records.some((r) => r.type === 'approval')).toBe(true);
    expect(records.some((r) => r.type === 'rollback.started')).toBe(true);
  });

  it('is self-contained, deterministic, and never shows the secret', () => {
    const html = formatRolloutReport({ records, result, events }, { mask });
    expect(formatRolloutReport({ records, result, events }, { mask })).toBe(html);
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain("content=\"default-src 'none';");
    expect(html).not.toContain(SECRET);
    // the same count of <svg as of </svg> in the source: data closed none
    expect(html.split('<svg').length).toBe(html.split('</svg>').length);
    // without the mask the secret would be there: the test can fail
    expect(formatRolloutReport({ records, result, events })).toContain(SECRET);
  });

  for (const width of [1280, 390]) {
    it(`shows the status, one band per wave, holds, the grid, the analysis and the commands, at ${width}px`, async () => {
      const file = path.join(dir, `rollout-${width}.html`);
      const html = formatRolloutReport({ records, result, events }, { mask });
      writeFileSync(file, html);
      const p = await openFile(browser, file, width);
      try {
        const { page } = p;
        expect(await page.locator('#verdict h1').innerText()).toBe('ROLLED-BACK');
        expect((await page.locator('#verdict h1').boundingBox())!.y).toBeLessThan(100);
        expect(await page.locator('#reason').isVisible()).toBe(true);
        // one band per wave, on a real time axis: each wave starts later than the one before
        const bands = page.locator('#timeline-chart g.band');
        expect(await bands.count()).toBe(3);
        const starts: number[] = [];
        for (let i = 0; i < 3; i++) starts.push(Number(await bands.nth(i).locator('rect.seg.apply').first().getAttribute('x')));
        expect(starts[0]).toBeLessThan(starts[1]!);
        expect(starts[1]).toBeLessThan(starts[2]!);
        expect(await bands.nth(1).locator('rect.seg.wait').count()).toBe(1);
        expect(await bands.nth(1).locator('rect.seg.hold').count()).toBe(1);
        expect(await bands.nth(2).getAttribute('data-outcome')).toBe('failed');
        expect(await page.locator('#timeline-chart .rollback-band rect.seg.rollback').count()).toBe(1);
        expect(await page.locator('#timeline-chart .command-mark').count()).toBe(1);
        // the grid: every target once, by wave, in its final state
        expect(await page.locator('.grid[data-wave]').count()).toBe(3);
        expect(await page.locator('.grid .cell').count()).toBe(targets.length);
        expect(await page.locator('.grid .cell[data-state="rolled-back"]').count()).toBeGreaterThan(0);
        expect(await page.locator(`.grid .cell[title^="${EVIL.replace(/"/g, '\\"')}"]`).count()).toBe(1);
        // analysis: the health metric, the measurements, the judge with its samples
        expect(await page.locator('article.metric[data-metric="health: latency_ms"] circle').count()).toBeGreaterThan(10);
        expect(await page.locator('article.metric[data-metric="error_rate"]').innerText()).toContain('result < 0.05');
        expect(await page.locator('#judgements tr[data-outcome="fail"]').count()).toBe(1);
        expect(await page.locator('svg.samples circle').count()).toBe(10);
        // commands with who, where and why; markup in data is text
        const text = await inPage<string>(page, 'document.body.innerText');
        expect(text).toContain('alice@ops-1');
        expect(text).toContain('metrics pipeline lagging, <b>checked</b> by hand');
        expect(text).toContain('</svg>');
        expect(text).toContain(EVIL);
        expect(text).not.toContain(SECRET);
        expect(await inPage<number>(page, 'document.scripts.length')).toBe(0);
        expect(await page.locator('b').count()).toBe(0);
        expect(await page.locator('svg').count()).toBe(html.split('<svg').length - 1);
        const fit = await fitsWidth(page);
        expect(fit, JSON.stringify(fit)).toMatchObject({ ok: true });
        expect(await smallestFont(page)).toBeGreaterThanOrEqual(10);
        await screenshot(page, `rollout-${width}.png`);
        expect(p.errors).toEqual([]);
        expect(p.requests).toEqual([]);
      } finally {
        await p.close();
      }
    });
  }

  it('from the journal alone: the same bands, apply and bake as one bar, and says so', async () => {
    const file = path.join(dir, 'journal-only.html');
    writeFileSync(file, formatRolloutReport({ records }, { mask }));
    const p = await openFile(browser, file);
    try {
      expect(await p.page.locator('#verdict h1').innerText()).toBe('ROLLED-BACK');
      expect(await p.page.locator('#timeline-chart g.band').count()).toBe(3);
      expect(await p.page.locator('#timeline-chart rect.seg.apply-bake').count()).toBe(3);
      expect(await p.page.locator('#timeline-chart rect.seg.hold').count()).toBe(1);
      expect(await p.page.locator('footer').innerText()).toContain('the journal does not record when a bake starts');
      expect(await p.page.locator('#analysis').innerText()).toContain('No measurements');
      expect(p.errors).toEqual([]);
      expect(p.requests).toEqual([]);
    } finally {
      await p.close();
    }
  });

  it('a running rollout held at a wave (records cut at the hold): HELD, with the hold open', () => {
    const cut = records.findIndex((r) => r.type === 'hold');
    const html = formatRolloutReport({ records: records.slice(0, cut + 1) });
    expect(html).toContain('data-status="held"');
    expect(html).toContain('id="hold"');
  });

  it('from a result alone (no times): says so instead of drawing a timeline', () => {
    const html = formatRolloutReport({ result, plan: records[0]!.type === 'rollout.started' ? records[0]!.plan : undefined });
    expect(html).toContain('No times are known');
    expect(html.match(/class="cell /g)?.length).toBe(targets.length);
  });
});

describe('rollout report with the engine\'s analysis (measurements, the judge, findings)', () => {
  // metrics from a real loopback HTTP server (the web provider): the new config is 30 ms slower
  const runs = new Map<string, 'lkg' | 'new'>();
  const region = (id: string) => (Number(id.slice(1)) % 2 === 0 ? 'near' : 'far');
  const server = new MetricsServer((id) => {
    const n = Number(id.slice(1));
    return { latency: 100 + ((n * 7) % 11) * 0.37 + n * 0.001 + (runs.get(id) === 'new' ? 30 : 0), errors: 0.001 };
  });
  beforeAll(() => server.start());
  afterAll(() => server.stop());

  it('renders measurements per metric and stage against their condition, and the judge\'s verdict, from the journal alone', async () => {
    const fleet: Target[] = Array.from({ length: 24 }, (_, i) => ({ id: `t${String(i).padStart(2, '0')}`, labels: { region: region(`t${i}`) } }));
    for (const t of fleet) runs.set(t.id, 'lkg');
    const web = (p: string) => `web: { url: '${server.url}/m/{{target.id}}', jsonPath: $.${p} }`;
    const policy = loadPolicy({
      text: `version: 1\nrollout:\n  failureDomain: region\n  health: { interval: 20ms, timeout: 5s }\n  analysis:\n    metrics:\n      - name: latency\n        ${web('latency')}\n        judge: { baseline: lkg, direction: increase, tolerance: 5%, alpha: 0.05 }\n      - name: errors\n        ${web('errors')}\n        successCondition: result <= 0.01\n`,
    });
    const fromPolicy = rolloutOptionsFromPolicy(policy);
    const journal = new MemoryJournal();
    const res = await runRollout({
      ...fromPolicy,
      plan: planRollout({ targets: fleet, stages: [{ name: 'canary', percent: 25, bake: 150 }, { name: 'rest', percent: 100, bake: 100 }], failureDomain: 'region' }),
      proposed: { v: 2 },
      lkg: { v: 1 },
      journal,
      apply: (t) => void runs.set(t.id, 'new'),
      rollback: (t) => void runs.set(t.id, 'lkg'),
    });
    expect(res.status).toBe('rolled-back');
    const recs = await journal.read();
    expect(recs.some((r) => r.type === 'measurement')).toBe(true);
    const file = path.join(dir, 'analysis.html');
    const html = formatRolloutReport({ records: recs });
    writeFileSync(file, html);
    const p = await openFile(browser, file);
    try {
      const { page } = p;
      expect(await page.locator('article.metric[data-metric="errors"]').innerText()).toContain('result <= 0.01');
      expect(await page.locator('article.metric[data-metric="errors"] circle.pt').count()).toBeGreaterThan(5);
      expect(await page.locator('article.metric[data-metric="latency"] circle').count()).toBeGreaterThan(5);
      // the judge: fail for the canary stage, with its domains
      expect(await page.locator('#judgements tr[data-outcome="fail"]').count()).toBeGreaterThan(0);
      expect(await page.locator('#judgements').innerText()).toMatch(/near|far/);
      expect(await page.locator('#analysis-findings tr[data-kind="failed"]').count()).toBeGreaterThan(0);
      // the same from the result and the events: no measurement counted twice
      const withEvents = formatRolloutReport({ records: recs, result: res, events: recs.filter((r) => r.type === 'measurement').map((r) => ({ ...r, type: 'analysis.measurement' })) as TimedRolloutEvent[] });
      expect(withEvents.match(/class="pt"/g)?.length).toBe(html.match(/class="pt"/g)?.length);
      await screenshot(page, 'analysis-1280.png');
      expect(p.errors).toEqual([]);
      expect(p.requests).toEqual([]);
    } finally {
      await p.close();
    }
  }, 60_000);
});

const HOOK = `
const labels = JSON.parse(process.env.CONFGATE_TARGET_LABELS);
if (process.argv[2] === 'health' && labels.region === 'r2') { console.error('unhealthy in r2'); process.exit(1); }
`;

describe('CLI: rollout --report and status --format html', () => {
  it('writes the report of a rolled-back rollout, and status renders the same journal', async () => {
    const w = path.join(dir, 'cli');
    mkdirSync(w, { recursive: true });
    writeFileSync(path.join(w, 'hook.mjs'), HOOK);
    chmodSync(path.join(w, 'hook.mjs'), 0o755);
    writeFileSync(path.join(w, 'confgate.yaml'), 'version: 1\nrollout:\n  stages:\n    - { name: canary, count: 1, bake: 50ms }\n    - { name: all, percent: 100, bake: 50ms }\n  failureDomain: region\n  health: { interval: 20ms, timeout: 10s }\n');
    writeFileSync(path.join(w, 'targets.json'), JSON.stringify({ targets: [1, 2, 3, 4].map((i) => ({ id: `pop-${i}`, labels: { region: `r${(i % 2) + 1}` } })) }));
    writeFileSync(path.join(w, 'live.json'), JSON.stringify({ version: '1.0.0', password: 'pw-planted-cli-0001', a: 1 }));
    writeFileSync(path.join(w, 'next.json'), JSON.stringify({ version: '1.0.1', password: 'pw-planted-cli-0001', a: 2 }));
    const node = process.execPath;
    const x = io(w);
    const code = await runCli(
      ['rollout', '--proposed', 'next.json', '--current', 'live.json', '--targets', 'targets.json', '--policy', 'confgate.yaml',
        '--apply', `${node} hook.mjs apply`, '--rollback', `${node} hook.mjs rollback`, '--health', `${node} hook.mjs health`,
        '--journal', 'j.journal', '--report', 'out/../report.html'],
      x.io,
    );
    expect(code, x.err()).toBe(1);
    expect(x.err()).toContain('report at ');
    const html = readFileSync(path.join(w, 'report.html'), 'utf8');
    expect(html).toContain('data-status="rolled-back"');
    expect(html).not.toContain('pw-planted-cli-0001');
    const st = io(w);
    expect(await runCli(['status', '--journal', 'j.journal', '--format', 'html'], st.io), st.err()).toBe(0);
    expect(st.out()).toContain('data-status="rolled-back"');
    expect(st.out()).toContain('process: finished');
    for (const [name, page] of [['cli-rollout.html', html], ['cli-status.html', st.out()]] as const) {
      const file = path.join(dir, name);
      writeFileSync(file, page);
      const p = await openFile(browser, file);
      try {
        expect(await p.page.locator('#timeline-chart g.band').count()).toBe(2);
        expect(p.errors).toEqual([]);
        expect(p.requests).toEqual([]);
      } finally {
        await p.close();
      }
    }
    // a blocked gate: --report gets the gate's page
    writeFileSync(path.join(w, 'bad.json'), '{"version": "1.0.1", "a": 1, "a": 2}');
    const b = io(w);
    expect(await runCli(['rollout', '--proposed', 'bad.json', '--current', 'live.json', '--targets', 'targets.json', '--policy', 'confgate.yaml', '--apply', `${node} hook.mjs apply`, '--rollback', `${node} hook.mjs rollback`, '--journal', 'j2.journal', '--report', 'blocked.html'], b.io)).toBe(1);
    expect(readFileSync(path.join(w, 'blocked.html'), 'utf8')).toContain('data-verdict="block"');
  });
});
