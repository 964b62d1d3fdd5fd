/**
 * Cron windows across DST, checked against a minute-by-minute simulation of Debian (Vixie) cron's main loop
 * (cron.c: a small jump forward runs the fixed-time jobs of every skipped minute right after the jump; a small jump
 * back runs only wildcard jobs until the clock catches up; a job is "wild" when its minute or hour field starts
 * with `*`; day of month and day of week are ANDed when either starts with `*`, else ORed).
 * The simulation is written here from that description, independently of croner.
 */
import { describe, expect, it } from 'vitest';
import { activeAt, occurrencesBetween, windowFindings } from '../../src/index.js';
import type { WindowSpec } from '../../src/index.js';

const d = (iso: string): Date => new Date(iso);
const MIN = 60_000;

/** Values of one cron field (numbers, `*`, lists, ranges, steps; names for the day of week). */
function field(text: string, lo: number, hi: number): Set<number> {
  const names: Record<string, number> = { SUN: 0, MON: 1, TUE: 2, WED: 3, THU: 4, FRI: 5, SAT: 6 };
  const num = (x: string): number => names[x.toUpperCase()] ?? Number(x);
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    let a: number;
    let b: number;
    if (range === '*') [a, b] = [lo, hi];
    else if (range!.includes('-')) [a, b] = range!.split('-').map(num) as [number, number];
    else [a, b] = [num(range!), stepText === undefined ? num(range!) : hi];
    for (let v = a; v <= b; v += step) out.add(v === 7 && hi === 7 ? 0 : v);
  }
  return out;
}

interface Job {
  matches(w: Wall): boolean;
  wild: boolean;
}

function job(pattern: string): Job {
  const [mi, h, dom, mon, dow] = pattern.split(/\s+/) as [string, string, string, string, string];
  const M = field(mi, 0, 59);
  const H = field(h, 0, 23);
  const D = field(dom, 1, 31);
  const MO = field(mon, 1, 12);
  const W = field(dow, 0, 7);
  const and = dom.startsWith('*') || dow.startsWith('*');
  return {
    wild: mi.startsWith('*') || h.startsWith('*'),
    matches: (w) => M.has(w.minute) && H.has(w.hour) && MO.has(w.month) && (and ? D.has(w.day) && W.has(w.dow) : D.has(w.day) || W.has(w.dow)),
  };
}

interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  dow: number;
  /** Minutes since the epoch of this wall time read as UTC. */
  key: number;
}

const fmts = new Map<string, Intl.DateTimeFormat>();
const walls = new Map<string, Wall>();
function wallOf(ms: number, zone: string): Wall {
  const k = `${zone} ${ms}`;
  let w = walls.get(k);
  if (!w) {
    w = zone === 'UTC' ? utcWall(ms) : zoneWall(ms, zone);
    if (walls.size > 200_000) walls.clear();
    walls.set(k, w);
  }
  return w;
}

function utcWall(ms: number): Wall {
  const t = new Date(ms);
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate(), hour: t.getUTCHours(), minute: t.getUTCMinutes(), dow: t.getUTCDay(), key: Math.floor(ms / MIN) };
}

function zoneWall(ms: number, zone: string): Wall {
  let f = fmts.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' });
    fmts.set(zone, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  const [year, month, day, hour, minute] = [p.year, p.month, p.day, p.hour, p.minute].map(Number) as [number, number, number, number, number];
  const key = Date.UTC(year, month - 1, day, hour, minute) / MIN;
  return { year, month, day, hour, minute, dow: new Date(key * MIN).getUTCDay(), key };
}

/** Instants at which Debian cron starts `pattern` in `zone` during [from, to) (one per instant). */
function debianRuns(pattern: string, zone: string, from: number, to: number): string[] {
  const j = job(pattern);
  const out: number[] = [];
  const fire = (ms: number): void => {
    if (out[out.length - 1] !== ms) out.push(ms);
  };
  let virtual = wallOf(from - MIN, zone).key;
  for (let ms = from; ms < to; ms += MIN) {
    const w = wallOf(ms, zone);
    if (w.key === virtual + 1) {
      if (j.matches(w)) fire(ms);
      virtual = w.key;
    } else if (w.key > virtual + 1) {
      // Jump forward: fixed-time jobs of the skipped minutes run now, then the current minute runs normally.
      for (let v = virtual + 1; v < w.key; v++) if (!j.wild && j.matches(utcWall(v * MIN))) fire(ms);
      if (j.matches(w)) fire(ms);
      virtual = w.key;
    } else if (j.wild && j.matches(w)) {
      // Jump back: only wildcard jobs run until the wall clock passes the last minute already run.
      fire(ms);
    }
  }
  return out.map((ms) => new Date(ms).toISOString());
}

/** Instants where the UTC offset of `zone` changes in `year` (hour resolution). */
function transitions(zone: string, year: number): number[] {
  const offset = (ms: number): number => wallOf(ms, zone).key * MIN - Math.floor(ms / MIN) * MIN;
  const out: number[] = [];
  let prev = offset(Date.UTC(year, 0, 1));
  for (let ms = Date.UTC(year, 0, 1); ms < Date.UTC(year + 1, 0, 1); ms += 3_600_000) {
    const o = offset(ms);
    if (o !== prev) out.push(ms);
    prev = o;
  }
  return out;
}

const starts = (w: WindowSpec, from: number, to: number): string[] =>
  occurrencesBetween([w], new Date(from), new Date(to))
    .map((o) => o.start)
    .filter((s) => Date.parse(s) >= from && Date.parse(s) < to);

describe('cron windows across DST agree with Debian cron', () => {
  const patterns = ['30 2 * * *', '0,30 2 * * *', '15 1-3 * * *', '45 2 * * SUN', '0 3 * * *', '*/15 * * * *', '0 * * * *', '0 */2 * * *', '*/20 2 * * *', '30 1 * * *'];
  const zones = ['Europe/Berlin', 'America/New_York', 'America/Santiago', 'Australia/Lord_Howe'];

  for (const zone of zones) {
    it(`${zone}: every pattern around each 2025 transition`, () => {
      const ts = transitions(zone, 2025);
      expect(ts.length).toBe(2);
      for (const t of ts) {
        const from = t - 36 * 3_600_000;
        const to = t + 36 * 3_600_000;
        for (const p of patterns) {
          const w: WindowSpec = { name: p, kind: 'freeze', schedule: p, duration: '1m', timeZone: zone };
          expect({ p, t: new Date(t).toISOString(), runs: starts(w, from, to) }).toEqual({ p, t: new Date(t).toISOString(), runs: debianRuns(p, zone, from, to) });
        }
      }
    });
  }

  it('"30 2 * * *" and "0,30 2 * * *" fire once at 03:00 CEST on spring-forward day, once at 02:30 CEST on fall-back day', () => {
    const base = { kind: 'freeze' as const, duration: '1h', timeZone: 'Europe/Berlin' };
    for (const schedule of ['30 2 * * *', '0,30 2 * * *']) {
      const w: WindowSpec = { name: schedule, schedule, ...base };
      const spring = occurrencesBetween([w], d('2025-03-29T22:00:00Z'), d('2025-03-30T22:00:00Z')).map((o) => o.start);
      expect(spring).toEqual(['2025-03-30T01:00:00.000Z']);
      const fall = occurrencesBetween([w], d('2025-10-25T22:00:00Z'), d('2025-10-26T22:00:00Z')).map((o) => o.start);
      expect(fall).toEqual(schedule === '30 2 * * *' ? ['2025-10-26T00:30:00.000Z'] : ['2025-10-26T00:00:00.000Z', '2025-10-26T00:30:00.000Z']);
    }
  });

  it('a freeze on "0,30 2 * * *" still blocks on spring-forward day', () => {
    const w: WindowSpec = { name: 'nightly freeze', kind: 'freeze', schedule: '0,30 2 * * *', duration: '30m', timeZone: 'Europe/Berlin' };
    expect(activeAt([w], d('2025-03-30T01:10:00Z'))).toHaveLength(1); // 03:10 CEST
    const f = windowFindings({ windows: [w], at: d('2025-03-30T01:10:00Z') });
    expect(f.map((x) => [x.rule, x.severity])).toEqual([['window.freeze', 'block']]);
  });
});

describe('cron day of month and day of week (Vixie semantics)', () => {
  const runs = (schedule: string): string[] =>
    occurrencesBetween([{ name: 'x', kind: 'freeze', schedule, duration: '1m' }], d('2025-01-01T00:00:00Z'), d('2025-03-01T00:00:00Z')).map((o) => o.start.slice(0, 10));

  it('a field starting with `*` (such as `*/2`) ANDs the two fields', () => {
    // Odd days of the month that are Mondays.
    expect(runs('0 0 */2 * MON')).toEqual(['2025-01-13', '2025-01-27', '2025-02-03', '2025-02-17']);
    // The 1st of the month on a Sunday, Wednesday or Saturday: 1 Jan 2025 is a Wednesday, 1 Feb a Saturday.
    expect(runs('0 0 1 * */3')).toEqual(['2025-01-01', '2025-02-01']);
  });

  it('both fields restricted ORs them', () => {
    expect(runs('0 0 1 * MON').slice(0, 4)).toEqual(['2025-01-01', '2025-01-06', '2025-01-13', '2025-01-20']);
  });

  it('matches the simulation on ordinary days', () => {
    for (const p of ['0 0 */2 * MON', '0 0 1 * */3', '0 0 1-7 * MON', '0 0 * * 7', '0 12 */10 * *']) {
      const from = Date.parse('2025-01-01T00:00:00Z');
      const to = Date.parse('2025-02-01T00:00:00Z');
      expect({ p, runs: starts({ name: p, kind: 'freeze', schedule: p, duration: '1m' }, from, to) }).toEqual({ p, runs: debianRuns(p, 'UTC', from, to) });
    }
  });
});
