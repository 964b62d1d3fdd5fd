/**
 * The real browser for the HTML report tests: Debian's Chromium driven by playwright-core (scripts/pretest.sh installs
 * it on a fresh machine). One browser per test file; every page records its console errors, page errors and every
 * network request it makes (a self-contained report makes none besides loading itself).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env['CONFGATE_CHROMIUM'] ?? '/usr/bin/chromium';

/** Screenshots kept as test artifacts (git-ignored). */
export const ARTIFACTS = path.resolve(import.meta.dirname, '..', '..', 'artifacts', 'html');

export function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
}

export interface OpenedPage {
  page: Page;
  /** Console messages of type error, and uncaught page errors. */
  errors: string[];
  /** Every request but the page's own document (file:// URL). */
  requests: string[];
  /** Content-Security-Policy violations reported by the browser (console messages). */
  close(): Promise<void>;
}

/** Open an HTML file at a viewport width, recording errors and requests. */
export async function openFile(browser: Browser, file: string, width = 1280, height = 900): Promise<OpenedPage> {
  const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1, javaScriptEnabled: true });
  const page = await context.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  const url = pathToFileURL(file).href;
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('request', (r) => {
    if (r.url() !== url) requests.push(r.url());
  });
  await page.goto(url, { waitUntil: 'load' });
  return { page, errors, requests, close: () => context.close() };
}

/** True when the page has no horizontal scroll (nothing wider than the viewport). */
export async function fitsWidth(page: Page): Promise<{ ok: boolean; scrollWidth: number; width: number }> {
  // browser-side code as text: the project's TypeScript has no DOM types
  return page.evaluate(`(() => {
    const d = document.documentElement;
    return { ok: d.scrollWidth <= d.clientWidth, scrollWidth: d.scrollWidth, width: d.clientWidth };
  })()`);
}

/** The smallest computed font size of visible text (px). */
export async function smallestFont(page: Page): Promise<number> {
  return page.evaluate(`(() => {
    let min = Infinity;
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (!n.textContent || !n.textContent.trim()) continue;
      const el = n.parentElement;
      if (!el) continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      const cs = getComputedStyle(el);
      if (cs.visibility === 'hidden' || cs.display === 'none') continue;
      // SVG text is scaled with its drawing: its font size times the drawing's scale on screen
      const ctm = el instanceof SVGGraphicsElement ? el.getScreenCTM() : null;
      const size = parseFloat(cs.fontSize) * (ctm ? Math.hypot(ctm.a, ctm.b) : 1);
      if (size < min) min = size;
    }
    return min;
  })()`);
}

/** Evaluate a browser-side expression (text: the project's TypeScript has no DOM types). */
export function inPage<T>(page: Page, expression: string): Promise<T> {
  return page.evaluate(expression) as Promise<T>;
}

export async function screenshot(page: Page, name: string, fullPage = true): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, name);
  await page.screenshot({ path: file, fullPage });
  return file;
}
