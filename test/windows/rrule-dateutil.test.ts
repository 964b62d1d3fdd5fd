/**
 * RRULE windows against python-dateutil (Debian's python3-dateutil, through scripts/rrule-dateutil.py): the same
 * occurrences for the rules named in issue #12 and for a few hundred generated ones. Times are compared in UTC
 * (the floating local time of the rule); the conversion to other zones is tested in occurrences.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkWindow, occurrencesBetween } from '../../src/index.js';
import type { WindowSpec } from '../../src/index.js';
import { mulberry32 as rng } from '../helpers/prng.js';

const SCRIPT = fileURLToPath(new URL('../../scripts/rrule-dateutil.py', import.meta.url));

interface Case {
  id: string;
  dtstart: string;
  rrule: string;
  from: string;
  to: string;
  limit: number;
}
type Ref = { first: string | null; occurrences: string[] } | { error: string };

function dateutil(cases: Case[]): Record<string, Ref> {
  const r = spawnSync('/usr/bin/python3', [SCRIPT], { input: JSON.stringify(cases), encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`python-dateutil reference failed (apt-get install python3-dateutil): ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, Ref>;
}

const iso = (b: string): string => `${b.slice(0, 4)}-${b.slice(4, 6)}-${b.slice(6, 8)}T${b.slice(9, 11)}:${b.slice(11, 13)}:${b.slice(13, 15)}`;
const basic = (isoText: string): string => isoText.replace(/[-:]/g, '').slice(0, 15);

function ours(c: Case, start: string): string[] {
  const w: WindowSpec = { name: c.id, kind: 'allow', rrule: c.rrule, start: iso(start), duration: '1s' };
  expect(checkWindow(w)).toEqual([]);
  return occurrencesBetween([w], new Date(`${iso(c.from)}Z`), new Date(Date.parse(`${iso(c.to)}Z`) + 1))
    .map((o) => basic(o.start))
    .filter((s) => s >= c.from && s <= c.to)
    .slice(0, c.limit);
}

/** Compares every case; returns how many were expanded (the others never fire, by dateutil and by us). */
function compare(cases: Case[]): number {
  let expanded = 0;
  const ref = dateutil(cases);
  for (const c of cases) {
    const r = ref[c.id];
    if (!r || 'error' in r) throw new Error(`dateutil could not expand ${c.rrule}: ${r ? r.error : 'no result'}`);
    const w: WindowSpec = { name: c.id, kind: 'allow', rrule: c.rrule, start: iso(c.dtstart), duration: '1s' };
    if (r.first === null) {
      expect({ rule: c.rrule, problems: checkWindow(w).join(' ') }).toMatchObject({ problems: expect.stringContaining('never fires') });
      continue;
    }
    if (r.first !== c.dtstart) {
      // A start that is not an occurrence is rejected, naming the first occurrence.
      expect({ rule: c.rrule, problems: checkWindow(w).join(' ') }).toMatchObject({ problems: expect.stringContaining(iso(r.first)) });
    }
    expect({ rule: c.rrule, start: r.first, occ: ours(c, r.first) }).toEqual({ rule: c.rrule, start: r.first, occ: r.occurrences });
    expanded++;
  }
  return expanded;
}

const named: Array<[string, string, string?, string?]> = [
  ['20240229T090000', 'FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29'],
  ['20250101T090000', 'FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29'],
  ['20250106T090000', 'FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO'],
  ['20250101T090000', 'FREQ=YEARLY;BYWEEKNO=1,52;BYDAY=MO,FR'],
  ['20250101T090000', 'FREQ=YEARLY;BYWEEKNO=-1;BYDAY=SU'],
  ['20250101T090000', 'FREQ=YEARLY;BYWEEKNO=53'],
  ['20250101T090000', 'FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1'],
  ['20250131T090000', 'FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1'],
  ['20250101T090000', 'FREQ=MONTHLY;BYDAY=FR;BYSETPOS=2'],
  ['20250101T090000', 'FREQ=DAILY;BYSETPOS=1;BYHOUR=9,10'],
  ['20000101T000000', 'FREQ=HOURLY;INTERVAL=5', '20260101T000000', '20270101T000000'],
  ['20100101T030000', 'FREQ=HOURLY;BYHOUR=3', '20380101T000000', '20380201T000000'],
  ['20000107T180000', 'FREQ=WEEKLY;INTERVAL=3;BYDAY=FR,SA', '20260101T000000', '20270101T000000'],
  ['20000101T060000', 'FREQ=DAILY;INTERVAL=7;BYMONTH=3', '20260101T000000', '20270101T000000'],
  ['20250101T090000', 'FREQ=DAILY;BYDAY=FR'],
  ['20250101T090000', 'FREQ=WEEKLY;BYDAY=FR'],
  ['20250101T090000', 'FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,FR;WKST=SU'],
  ['20250101T090000', 'FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,FR;WKST=MO'],
  ['20250131T090000', 'FREQ=MONTHLY'],
  ['20250131T090000', 'FREQ=MONTHLY;BYMONTHDAY=-1'],
  ['20250101T090000', 'FREQ=MONTHLY;BYMONTHDAY=31;COUNT=5'],
  ['20250101T090000', 'FREQ=YEARLY;BYYEARDAY=1,100,-1'],
  ['20250101T090000', 'FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU'],
  ['20250101T090000', 'FREQ=YEARLY;BYDAY=20MO'],
  ['20250101T090000', 'FREQ=MONTHLY;BYDAY=1SU,-1SA;COUNT=8'],
  ['20250101T090000', 'FREQ=DAILY;BYHOUR=9,17;BYMINUTE=0,30;COUNT=10'],
  ['20250101T090000', 'FREQ=MONTHLY;INTERVAL=2;BYDAY=TU;BYMONTHDAY=1,2,3,4,5,6,7'],
  ['20250101T090000', 'FREQ=YEARLY;BYMONTH=1,2;BYDAY=2WE;BYSETPOS=1,-1'],
  ['20250101T000000', 'FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=24,25,26'],
];


function generated(n: number, seed: number): Case[] {
  const r = rng(seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
  const pick = <T,>(xs: readonly T[]): T => xs[int(0, xs.length - 1)]!;
  const some = (k: number, f: () => string): string => [...new Set(Array.from({ length: int(1, k) }, f))].join(',');
  const DAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const;
  const out: Case[] = [];
  for (let i = 0; i < n; i++) {
    const freq = pick(['YEARLY', 'MONTHLY', 'WEEKLY', 'DAILY', 'HOURLY'] as const);
    const parts = [`FREQ=${freq}`];
    if (r() < 0.4) parts.push(`INTERVAL=${int(2, 4)}`);
    const ordinal = freq === 'YEARLY' || freq === 'MONTHLY';
    const positioned = ordinal && r() < 0.3;
    if (r() < 0.6) parts.push(`BYDAY=${some(3, () => (positioned ? `${pick([1, 2, -1, 3])}` : '') + pick(DAYS))}`);
    if (r() < 0.3) parts.push(`BYMONTH=${some(3, () => String(int(1, 12)))}`);
    if (r() < 0.3) parts.push(`BYMONTHDAY=${some(2, () => String(r() < 0.3 ? -int(1, 28) : int(1, 28)))}`);
    if (freq === 'YEARLY' && r() < 0.2) parts.push(`BYWEEKNO=${some(2, () => String(r() < 0.2 ? -int(1, 52) : int(1, 52)))}`);
    if (freq === 'YEARLY' && r() < 0.15) parts.push(`BYYEARDAY=${some(2, () => String(r() < 0.2 ? -int(1, 365) : int(1, 365)))}`);
    if (freq !== 'HOURLY' && r() < 0.25) parts.push(`BYHOUR=${some(2, () => String(int(0, 23)))}`);
    if (r() < 0.15) parts.push(`BYMINUTE=${some(2, () => String(pick([0, 15, 30, 45])))}`);
    if (freq !== 'HOURLY' && freq !== 'DAILY' && parts.some((p) => p.startsWith('BYDAY')) && r() < 0.3) parts.push(`BYSETPOS=${pick([1, -1])}`);
    if (r() < 0.15) parts.push(`WKST=${pick(DAYS)}`);
    if (r() < 0.2) parts.push(`COUNT=${int(1, 30)}`);
    // Starts years before the queried range (dateutil walks every period from the start, so keep it to days and weeks).
    const longAgo = (freq === 'DAILY' || freq === 'WEEKLY') && !parts.some((p) => p.startsWith('COUNT')) && r() < 0.3;
    const y = longAgo ? int(2008, 2015) : int(2023, 2026);
    const pad = (x: number): string => String(x).padStart(2, '0');
    const dtstart = `${y}${pad(int(1, 12))}${pad(int(1, 28))}T${pad(int(0, 23))}${pick(['00', '15', '30', '45'])}00`;
    const from = longAgo ? `${int(2026, 2028)}${pad(int(1, 12))}01T000000` : dtstart;
    const years = freq === 'YEARLY' ? 8 : freq === 'MONTHLY' ? 3 : 1;
    const to = freq === 'HOURLY' ? `${from.slice(0, 4)}${pad(Math.min(12, Number(from.slice(4, 6)) + 1))}${from.slice(6)}` : `${Number(from.slice(0, 4)) + years}${from.slice(4)}`;
    out.push({ id: `g${i}`, dtstart, rrule: parts.join(';'), from, to, limit: 40 });
  }
  return out;
}

describe('RRULE windows agree with python-dateutil', () => {
  it('the rules named in issue #12 (leap days, BYWEEKNO, BYSETPOS, HOURLY decades after start, unsynchronised starts)', () => {
    compare(named.map(([dtstart, rrule, from, to], i) => ({ id: `n${i}`, dtstart, rrule, from: from ?? dtstart, to: to ?? '20300101T000000', limit: 40 })));
  }, 300_000);

  it('150 generated rules', () => {
    // Most generated rules fire and are compared occurrence by occurrence.
    expect(compare(generated(150, 12))).toBeGreaterThan(100);
  }, 300_000);
});

describe('what cannot be expanded correctly is rejected, never silently changed', () => {
  const w = (rrule: string, start: string): WindowSpec => ({ name: 'w', kind: 'freeze', rrule, start, duration: '1d' });

  it('FEB 29 every year fires only in leap years (never on 1 March)', () => {
    const occ = occurrencesBetween([w('FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29', '2024-02-29')], new Date('2024-01-01T00:00:00Z'), new Date('2029-01-01T00:00:00Z'));
    expect(occ.map((o) => o.start.slice(0, 10))).toEqual(['2024-02-29', '2028-02-29']);
  });

  it('a start that is not an occurrence is rejected naming the first one', () => {
    expect(checkWindow(w('FREQ=WEEKLY;BYDAY=FR', '2025-01-01T09:00:00')).join(' ')).toMatch(/`start` "2025-01-01T09:00:00" is not an occurrence of `rrule`.*2025-01-03T09:00:00/);
    expect(checkWindow(w('FREQ=DAILY;BYDAY=FR', '2025-01-01T09:00:00')).join(' ')).toMatch(/2025-01-03T09:00:00/);
    expect(checkWindow(w('FREQ=MONTHLY;BYDAY=FR;BYSETPOS=2', '2025-01-01T09:00:00')).join(' ')).toMatch(/2025-01-10T09:00:00/);
    expect(checkWindow(w('FREQ=WEEKLY;BYDAY=FR', '2025-01-03T09:00:00'))).toEqual([]);
  });

  it('BYDAY mixing positioned and plain weekdays (dateutil ANDs them, RFC 5545 reads a union)', () => {
    expect(checkWindow(w('FREQ=MONTHLY;BYDAY=-1MO,SA', '2025-01-01')).join(' ')).toMatch(/mixes weekdays with and without a position/);
  });

  it('BYSETPOS below -1 (the library would wrap around in short periods)', () => {
    expect(checkWindow(w('FREQ=MONTHLY;BYDAY=FR;BYSETPOS=-5', '2025-01-01')).join(' ')).toMatch(/BYSETPOS=-5 is not supported/);
    expect(checkWindow(w('FREQ=MONTHLY;BYDAY=FR;BYSETPOS=-1', '2025-01-31'))).toEqual([]);
  });

  it('BYHOUR, BYMINUTE, BYSECOND or FREQ=HOURLY with an all-day start', () => {
    expect(checkWindow(w('FREQ=DAILY;BYHOUR=9', '2025-01-01')).join(' ')).toMatch(/uses BYHOUR but `start` is a date/);
    expect(checkWindow(w('FREQ=HOURLY', '2025-01-01')).join(' ')).toMatch(/uses FREQ=HOURLY but `start` is a date/);
    expect(checkWindow(w('FREQ=DAILY;BYMINUTE=30', '2025-01-01')).join(' ')).toMatch(/BYMINUTE/);
  });

  it('a rule that never fires (found in bounded time), and a COUNT too large to expand', () => {
    expect(checkWindow(w('FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30', '2025-01-01')).join(' ')).toMatch(/never fires/);
    expect(checkWindow(w('FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30', '2025-01-01')).join(' ')).toMatch(/never fires/);
    expect(checkWindow(w('FREQ=DAILY;INTERVAL=7;BYDAY=TU', '2025-01-06')).join(' ')).toMatch(/never fires/); // always a Monday
    expect(checkWindow(w('FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=4', '2025-01-01')).join(' ')).toMatch(/never fires/);
    expect(checkWindow(w('FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29', '2025-01-01')).join(' ')).toMatch(/2028-02-29/); // sparse but fires
    expect(checkWindow(w('FREQ=DAILY;COUNT=1000000', '2025-01-01')).join(' ')).toMatch(/COUNT must be between 1 and 100000/);
  });

  it('an HOURLY window keeps firing decades after its start', () => {
    const h: WindowSpec = { name: 'h', kind: 'freeze', rrule: 'FREQ=HOURLY;INTERVAL=6', start: '2000-01-01T00:00:00', duration: '1h' };
    expect(occurrencesBetween([h], new Date('2075-06-01T00:00:00Z'), new Date('2075-06-02T00:00:00Z')).map((o) => o.start)).toEqual([
      '2075-06-01T00:00:00.000Z',
      '2075-06-01T06:00:00.000Z',
      '2075-06-01T12:00:00.000Z',
      '2075-06-01T18:00:00.000Z',
    ]);
  });
});
