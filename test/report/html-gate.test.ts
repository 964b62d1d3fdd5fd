/**
 * The gate's HTML report in a real browser (Chromium via playwright-core): produced by `confgate check --format html`
 * on a push whose configs carry markup (`<script>`, `</svg>`) and planted secrets (a password, a value under a policy
 * `secrets` pattern, a multi-line private key). The page must load with no console error and no network request, show
 * the verdict first and every finding, render markup from configs as text, never contain a secret, and be readable at
 * 1280 and 390 pixels wide. Screenshots go to artifacts/html/ (git-ignored); docs/gate-report.png is the README's.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '../../src/cli/main.js';
import { createGate, formatReport, loadConfig, loadPolicy, normalizeTargets, reportSources } from '../../src/index.js';
import { fitsWidth, inPage, launch, openFile, screenshot, smallestFont } from './html-browser.js';

const SECRETS = ['hunter2-planted-pw-0001', 'sig-planted-value-7777', 'plantedkeyline1AAAA', 'plantedkeyline2BBBB', 'ghp_plantedTokenInUrl99'];
const SCRIPT = `<script>alert('x')</script>`;
const SVG_END = '</svg><img src=x onerror=alert(1)>';

let dir: string;
let browser: Browser;

const POLICY = `version: 1
schema: ./schema.json
keys:
  /features: name
secrets: [/auth/signing]
checks:
  - { path: /features, unique: name }
  - { path: /rules/*/expression, regex: true }
sensitive:
  - { path: /auth/**, weight: 30, reason: "credentials </svg><script>alert(2)</script>" }
scoring: { warn: 40, block: 70 }
`;

const SCHEMA = {
  type: 'object',
  properties: {
    auth: { type: 'object', properties: { password: { type: 'string', maxLength: 8 } } },
    banner: { type: 'string' },
  },
};

const config = (banner: string, footer: string, password: string) => `version: 1.0.1
environment: prod
banner: ${JSON.stringify(banner)}
footer: ${JSON.stringify(footer)}
auth:
  user: deploy
  password: ${password}
  signing: sig-planted-value-7777
  private_key: |
    -----BEGIN PRIVATE KEY-----
    plantedkeyline1AAAA
    plantedkeyline2BBBB
    -----END PRIVATE KEY-----
  upstream: https://bot:ghp_plantedTokenInUrl99@git.example.com/x
features:
  - { name: alpha, weight: 1 }
  - { name: alpha, weight: 2 }
rules:
  - id: r1
    expression: "(a|a)*b"
`;

function io(): { io: CliIo; out: () => string; err: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), env: {}, isTTY: false, cwd: dir, now: () => new Date('2025-11-18T11:20:00Z') },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const x = io();
  const code = await runCli(args, x.io);
  return { code, stdout: x.out(), stderr: x.err() };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'confgate-html-gate-'));
  writeFileSync(path.join(dir, 'confgate.yaml'), POLICY);
  writeFileSync(path.join(dir, 'schema.json'), JSON.stringify(SCHEMA));
  writeFileSync(path.join(dir, 'current.yaml'), config('hello', 'bye', 'hunter2-planted-pw-0001'));
  writeFileSync(path.join(dir, 'proposed.yaml'), config(SCRIPT, SVG_END, 'hunter2-planted-pw-0001x'));
  writeFileSync(path.join(dir, 'targets.yaml'), 'targets:\n' + Array.from({ length: 12 }, (_, i) => `  - { id: edge-${i}, labels: { region: r${i % 3}, env: prod } }`).join('\n') + '\n');
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
});

const ARGS = ['check', '--proposed', 'proposed.yaml', '--current', 'current.yaml', '--policy', 'confgate.yaml', '--targets', 'targets.yaml', '--at', '2025-11-18T11:20:00Z'];

describe('confgate check --format html', () => {
  it('is one self-contained page: CSP, no script, no external reference', async () => {
    const r = await cli([...ARGS, '--format', 'html']);
    expect(r.code).toBe(1);
    const html = r.stdout;
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain(`http-equiv="Content-Security-Policy" content="default-src 'none';`);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\b(?:src|href)\s*=\s*["']?(?:https?:|\/\/)/i);
    expect(html).not.toMatch(/@import|url\(/i);
    // the same bytes every time
    expect((await cli([...ARGS, '--format', 'html'])).stdout).toBe(html);
    // --output html=FILE writes the same page
    const out = await cli([...ARGS, '--format', 'json', '--output', 'html=report.html']);
    expect(readFileSync(path.join(dir, 'report.html'), 'utf8')).toBe(html);
    expect(JSON.parse(out.stdout).verdict).toBe('block');
  });

  it('never contains a secret, in the file or in the rendered page', async () => {
    const html = (await cli([...ARGS, '--format', 'html'])).stdout;
    for (const s of SECRETS) expect(html, s).not.toContain(s);
    const file = path.join(dir, 'secrets.html');
    writeFileSync(file, html);
    const p = await openFile(browser, file);
    try {
      const dom = await p.page.content();
      const text = await inPage<string>(p.page, 'document.body.innerText');
      for (const s of SECRETS) {
        expect(dom, s).not.toContain(s);
        expect(text, s).not.toContain(s);
      }
      // the excerpt around the password finding shows the key, not the value
      const excerpt = await p.page.locator('article[data-rule="schema"] pre.src').first().innerText();
      expect(excerpt).toContain('password: «secret»');
      expect(excerpt).toContain('user: deploy');
    } finally {
      await p.close();
    }
  });

  for (const width of [1280, 390]) {
    it(`shows the verdict first and every finding, renders markup as text, at ${width}px`, async () => {
      const json = JSON.parse((await cli([...ARGS, '--format', 'json'])).stdout) as { verdict: string; findings: Array<{ rule: string; message: string; location?: unknown }> };
      const file = path.join(dir, `gate-${width}.html`);
      writeFileSync(file, (await cli([...ARGS, '--format', 'html'])).stdout);
      const p = await openFile(browser, file, width);
      try {
        const { page } = p;
        const verdict = page.locator('#verdict h1');
        await expect.poll(() => verdict.innerText()).toBe('BLOCK');
        const box = (await verdict.boundingBox())!;
        expect(box.y).toBeLessThan(100); // the first thing on the page
        expect(box.y + box.height).toBeLessThan(900);
        const cards = page.locator('article.finding');
        expect(await cards.count()).toBe(json.findings.length);
        expect(json.findings.length).toBeGreaterThanOrEqual(4);
        for (let i = 0; i < json.findings.length; i++) {
          const card = cards.nth(i);
          expect(await card.isVisible()).toBe(true);
        }
        // every finding's rule and message is on the page (messages as rendered text)
        const text = await inPage<string>(page, 'document.body.innerText');
        for (const f of json.findings) {
          expect(await page.locator(`article.finding[data-rule="${f.rule}"]`).count(), f.rule).toBeGreaterThan(0);
          expect(text).toContain(f.message.split('\n')[0]!);
        }
        // located findings show the source around them
        const located = json.findings.filter((f) => f.location).length;
        expect(await page.locator('article.finding pre.src').count()).toBe(located);
        // markup from the config is text: no element was injected
        expect(text).toContain(SCRIPT);
        expect(text).toContain(SVG_END);
        expect(text).toContain('credentials </svg><script>alert(2)</script>');
        expect(await inPage<number>(page, 'document.scripts.length')).toBe(0);
        expect(await inPage<number>(page, 'document.images.length')).toBe(0);
        expect(await page.locator('svg').count()).toBe(1);
        expect(await page.locator('#score-chart g.factor').count()).toBe(((JSON.parse((await cli([...ARGS, '--format', 'json'])).stdout) as { factors: unknown[] }).factors).length);
        // readable: no horizontal page scroll, no tiny text
        const fit = await fitsWidth(page);
        expect(fit, JSON.stringify(fit)).toMatchObject({ ok: true });
        expect(await smallestFont(page)).toBeGreaterThanOrEqual(10);
        await screenshot(page, `gate-${width}.png`);
        expect(p.errors).toEqual([]);
        expect(p.requests).toEqual([]);
      } finally {
        await p.close();
      }
    });
  }
});

describe('formatReport(report, "html") from the library', () => {
  it('shows excerpts only with sources, and the same report without them', () => {
    const policy = loadPolicy(path.join(dir, 'confgate.yaml'));
    const proposed = loadConfig({ path: path.join(dir, 'proposed.yaml') }, { file: 'proposed.yaml' });
    const current = loadConfig({ path: path.join(dir, 'current.yaml') }, { file: 'current.yaml' });
    const targets = normalizeTargets(loadConfig({ path: path.join(dir, 'targets.yaml') }).value, 'targets.yaml');
    const report = createGate(policy).evaluate({ proposed, current, targets, at: '2025-11-18T11:20:00Z' });
    const bare = formatReport(report, 'html');
    expect(bare).not.toContain('class="src"');
    const sources = reportSources(report, [proposed, current], { policy });
    expect(sources.map((s) => s.file)).toContain('proposed.yaml');
    const full = formatReport(report, 'html', { sources, scoring: policy.scoring });
    expect(full).toContain('class="src"');
    for (const s of SECRETS) expect(full).not.toContain(s);
    for (const line of Object.values(sources[0]!.lines)) for (const s of SECRETS) expect(line).not.toContain(s);
  });
});
