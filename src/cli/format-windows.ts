/** Text and JSON output of `confgate windows`. */
import type { WindowOccurrence } from '../types.js';
import type { WindowListing } from '../windows/index.js';
import { guardLineStarts, jsonText, safeText } from '../report/util.js';

function selector(o: WindowOccurrence): string {
  const t = o.window.targets;
  if (!t || Object.keys(t).length === 0) return 'all targets';
  return Object.entries(t)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('|') : v}`)
    .join(',');
}

function line(o: WindowOccurrence): string {
  const src = o.window.source ? ` (from ${o.window.source})` : '';
  // Window names, selectors and sources are data: one line each, control characters and `##[` made visible.
  return `  ${o.window.kind.padEnd(11)} ${o.start} -> ${o.end}  ${safeText(o.window.name, true)}  [${safeText(selector(o), true)}]${safeText(src, true)}`;
}

/** Format a window listing for people (`text`) or tools (`json`). */
export function formatWindows(listing: WindowListing, format: 'text' | 'json', at: Date, days: number): string {
  if (format === 'json') {
    const shape = (o: WindowOccurrence) => ({
      name: o.window.name,
      kind: o.window.kind,
      start: o.start,
      end: o.end,
      targets: o.window.targets ?? null,
      ...(o.window.source ? { source: o.window.source } : {}),
    });
    return jsonText({ at: at.toISOString(), days, active: listing.active.map(shape), upcoming: listing.upcoming.map(shape) });
  }
  const out: string[] = [`Windows at ${at.toISOString()}:`];
  out.push(listing.active.length ? `Active now (${listing.active.length}):` : 'Active now: none');
  for (const o of listing.active) out.push(line(o));
  out.push(listing.upcoming.length ? `Upcoming in the next ${days} days (${listing.upcoming.length}):` : `Upcoming in the next ${days} days: none`);
  for (const o of listing.upcoming) out.push(line(o));
  return guardLineStarts(out.join('\n') + '\n');
}
