import { describe, expect, it } from 'vitest';
import { activeAt, listWindows, occurrencesBetween } from '../../src/windows/index.js';
import type { WindowSpec } from '../../src/types.js';

const d = (iso: string): Date => new Date(iso);
const spans = (occ: { start: string; end: string }[]): string[] => occ.map((o) => `${o.start} -> ${o.end}`);

describe('one-off windows', () => {
  const scl: WindowSpec = {
    name: 'SCL maintenance',
    kind: 'maintenance',
    targets: { region: 'SCL' },
    start: '2025-11-18T09:00:00Z',
    end: '2025-11-18T15:00:00Z',
  };

  it('is active from start (inclusive) to end (exclusive)', () => {
    expect(activeAt([scl], d('2025-11-18T08:59:59.999Z'))).toEqual([]);
    expect(activeAt([scl], d('2025-11-18T09:00:00Z'))).toHaveLength(1);
    expect(activeAt([scl], d('2025-11-18T14:59:59.999Z'))).toHaveLength(1);
    expect(activeAt([scl], d('2025-11-18T15:00:00Z'))).toEqual([]);
  });

  it('returns the window itself and UTC ISO times', () => {
    const [occ] = activeAt([scl], d('2025-11-18T11:20:00Z'));
    expect(occ?.window).toBe(scl);
    expect(occ?.start).toBe('2025-11-18T09:00:00.000Z');
    expect(occ?.end).toBe('2025-11-18T15:00:00.000Z');
  });

  it('reads offsets, and local times in timeZone', () => {
    const w: WindowSpec = { name: 'x', kind: 'freeze', start: '2025-11-18T10:00:00+01:00', end: '2025-11-18T12:00:00', timeZone: 'Europe/Berlin' };
    expect(spans(occurrencesBetween([w], d('2025-11-18T00:00:00Z'), d('2025-11-19T00:00:00Z')))).toEqual([
      '2025-11-18T09:00:00.000Z -> 2025-11-18T11:00:00.000Z',
    ]);
  });

  it('occurrencesBetween includes windows that overlap the range only partly, sorted by start then name', () => {
    const ws: WindowSpec[] = [
      { name: 'b', kind: 'maintenance', start: '2025-01-01T10:00:00Z', end: '2025-01-01T12:00:00Z' },
      { name: 'a', kind: 'maintenance', start: '2025-01-01T10:00:00Z', end: '2025-01-01T11:00:00Z' },
      { name: 'early', kind: 'freeze', start: '2025-01-01T08:00:00Z', end: '2025-01-01T10:30:00Z' },
      { name: 'ended', kind: 'freeze', start: '2025-01-01T08:00:00Z', end: '2025-01-01T10:00:00Z' },
      { name: 'later', kind: 'freeze', start: '2025-01-01T11:00:00Z', end: '2025-01-01T12:00:00Z' },
    ];
    const occ = occurrencesBetween(ws, d('2025-01-01T10:00:00Z'), d('2025-01-01T11:00:00Z'));
    expect(occ.map((o) => o.window.name)).toEqual(['early', 'a', 'b']);
  });

  it('skips invalid windows instead of throwing', () => {
    const ws = [
      { name: 'bad cron', kind: 'freeze', schedule: '61 * * * *', duration: '1h' },
      { name: 'bad zone', kind: 'freeze', schedule: '0 * * * *', duration: '1h', timeZone: 'Mars/Olympus' },
      { name: 'backwards', kind: 'freeze', start: '2025-01-02T00:00:00Z', end: '2025-01-01T00:00:00Z' },
      { name: 'garbage', kind: 'freeze', rrule: 'NOPE', start: 'yesterday', duration: 'long' },
      null,
      { name: 'ok', kind: 'freeze', start: '2025-01-01T00:00:00Z', end: '2025-01-03T00:00:00Z' },
    ] as unknown as WindowSpec[];
    expect(activeAt(ws, d('2025-01-01T12:00:00Z')).map((o) => o.window.name)).toEqual(['ok']);
  });
});

describe('cron windows', () => {
  const weekend: WindowSpec = {
    name: 'weekend freeze',
    kind: 'freeze',
    schedule: '0 18 * * FRI',
    duration: '62h',
    timeZone: 'America/Los_Angeles',
  };

  it('Fri 18:00 America/Los_Angeles + 62h covers Saturday UTC and ends Monday 08:00 local (16:00Z)', () => {
    const [occ, ...rest] = activeAt([weekend], d('2025-11-15T12:00:00Z'));
    expect(rest).toEqual([]);
    expect(occ?.start).toBe('2025-11-15T02:00:00.000Z'); // Fri 2025-11-14 18:00 PST
    expect(occ?.end).toBe('2025-11-17T16:00:00.000Z'); // Mon 08:00 PST
    // Friday evening local time is already Saturday in UTC: crosses midnight in both zones.
    expect(activeAt([weekend], d('2025-11-15T01:59:59Z'))).toEqual([]);
    expect(activeAt([weekend], d('2025-11-17T15:59:59Z'))).toHaveLength(1);
    expect(activeAt([weekend], d('2025-11-17T16:00:00Z'))).toEqual([]);
  });

  it('fires at 18:00 local on both sides of the US DST change; durations stay absolute', () => {
    const occ = occurrencesBetween([weekend], d('2025-10-28T00:00:00Z'), d('2025-11-12T00:00:00Z'));
    expect(spans(occ)).toEqual([
      // Fri 2025-10-31 18:00 PDT (UTC-7); 62h later is Mon 07:00 PST (DST ended on Sunday)
      '2025-11-01T01:00:00.000Z -> 2025-11-03T15:00:00.000Z',
      // Fri 2025-11-07 18:00 PST (UTC-8)
      '2025-11-08T02:00:00.000Z -> 2025-11-10T16:00:00.000Z',
    ]);
  });

  it('finds an occurrence that started before the queried range', () => {
    const occ = occurrencesBetween([weekend], d('2025-11-16T00:00:00Z'), d('2025-11-16T01:00:00Z'));
    expect(spans(occ)).toEqual(['2025-11-15T02:00:00.000Z -> 2025-11-17T16:00:00.000Z']);
  });

  it('defaults to UTC', () => {
    const w: WindowSpec = { name: 'nightly', kind: 'maintenance', schedule: '0 2 * * *', duration: '30m' };
    expect(spans(activeAt([w], d('2025-06-01T02:10:00Z')))).toEqual(['2025-06-01T02:00:00.000Z -> 2025-06-01T02:30:00.000Z']);
  });

  it('stays bounded for a every-minute schedule with a 7-day duration', () => {
    const w: WindowSpec = { name: 'always', kind: 'freeze', schedule: '* * * * *', duration: '7d' };
    const occ = activeAt([w], d('2025-06-01T00:00:00Z'));
    expect(occ.length).toBeGreaterThan(0);
    expect(occ.length).toBeLessThanOrEqual(10_000);
    for (const o of occ) {
      expect(Date.parse(o.start)).toBeLessThanOrEqual(Date.parse('2025-06-01T00:00:00Z'));
      expect(Date.parse(o.end)).toBeGreaterThan(Date.parse('2025-06-01T00:00:00Z'));
    }
  });
});

describe('DST in Europe/Berlin', () => {
  const daily: WindowSpec = { name: 'nightly', kind: 'maintenance', schedule: '30 1 * * *', duration: '1h', timeZone: 'Europe/Berlin' };

  it('a daily 01:30 window moves from +01:00 to +02:00 at the end of March', () => {
    const occ = occurrencesBetween([daily], d('2025-03-29T00:00:00Z'), d('2025-04-01T00:00:00Z'));
    expect(occ.map((o) => o.start)).toEqual([
      '2025-03-29T00:30:00.000Z', // 01:30 CET
      '2025-03-30T00:30:00.000Z', // 01:30 CET, half an hour before the change at 02:00
      '2025-03-30T23:30:00.000Z', // 01:30 CEST on Monday 31 March
      '2025-03-31T23:30:00.000Z',
    ]);
    expect(activeAt([daily], d('2025-03-30T23:45:00Z'))).toHaveLength(1);
    expect(activeAt([daily], d('2025-03-31T00:45:00Z'))).toEqual([]);
  });

  it('and back from +02:00 to +01:00 at the end of October', () => {
    const occ = occurrencesBetween([daily], d('2025-10-24T12:00:00Z'), d('2025-10-28T12:00:00Z'));
    expect(occ.map((o) => o.start)).toEqual([
      '2025-10-24T23:30:00.000Z', // Sat 25 01:30 CEST
      '2025-10-25T23:30:00.000Z', // Sun 26 01:30 CEST (the change is at 03:00 CEST)
      '2025-10-27T00:30:00.000Z', // Mon 27 01:30 CET
      '2025-10-28T00:30:00.000Z',
    ]);
  });

  it('cron: 02:30 local does not exist on 30 March 2025; croner fires at 03:00 CEST, the first valid time after the gap', () => {
    const w: WindowSpec = { ...daily, schedule: '30 2 * * *' };
    const occ = occurrencesBetween([w], d('2025-03-29T00:00:00Z'), d('2025-04-01T00:00:00Z'));
    expect(occ.map((o) => o.start)).toEqual([
      '2025-03-29T01:30:00.000Z',
      '2025-03-30T01:00:00.000Z', // 03:00 CEST
      '2025-03-31T00:30:00.000Z',
    ]);
  });

  it('cron: 02:30 local happens twice on 26 October 2025; croner fires once, at the first (CEST) one', () => {
    const w: WindowSpec = { ...daily, schedule: '30 2 * * *' };
    const occ = occurrencesBetween([w], d('2025-10-25T12:00:00Z'), d('2025-10-26T12:00:00Z'));
    expect(occ.map((o) => o.start)).toEqual(['2025-10-26T00:30:00.000Z']);
  });

  it('rrule: RFC 5545 reads a time in the gap with the offset before it (02:30 CET = 03:30 CEST)', () => {
    const w: WindowSpec = { name: 'r', kind: 'maintenance', rrule: 'FREQ=DAILY', start: '2025-03-28T02:30:00', duration: '1h', timeZone: 'Europe/Berlin' };
    const occ = occurrencesBetween([w], d('2025-03-29T00:00:00Z'), d('2025-04-01T00:00:00Z'));
    expect(occ.map((o) => o.start)).toEqual(['2025-03-29T01:30:00.000Z', '2025-03-30T01:30:00.000Z', '2025-03-31T00:30:00.000Z']);
  });
});

describe('rrule windows', () => {
  const fri: WindowSpec = {
    name: 'EU weekend',
    kind: 'freeze',
    rrule: 'FREQ=WEEKLY;BYDAY=FR',
    start: '2025-01-03T16:00:00',
    duration: '64h',
    timeZone: 'Europe/Berlin',
  };

  it('expands weekly in local time, across DST', () => {
    const occ = occurrencesBetween([fri], d('2025-03-20T00:00:00Z'), d('2025-04-05T00:00:00Z'));
    expect(occ.map((o) => o.start)).toEqual([
      '2025-03-21T15:00:00.000Z', // Fri 21 Mar 16:00 CET
      '2025-03-28T15:00:00.000Z', // Fri 28 Mar 16:00 CET (DST starts on Sunday 30th)
      '2025-04-04T14:00:00.000Z', // Fri 4 Apr 16:00 CEST
    ]);
  });

  it('honours EXDATE lines, COUNT and UNTIL', () => {
    const ex: WindowSpec = { ...fri, rrule: 'RRULE:FREQ=WEEKLY;BYDAY=FR\nEXDATE:20250328T160000,20250404' };
    expect(occurrencesBetween([ex], d('2025-03-25T00:00:00Z'), d('2025-04-12T00:00:00Z')).map((o) => o.start)).toEqual([
      '2025-04-11T14:00:00.000Z',
    ]);
    const count: WindowSpec = { ...fri, rrule: 'FREQ=WEEKLY;BYDAY=FR;COUNT=2' };
    expect(occurrencesBetween([count], d('2025-01-01T00:00:00Z'), d('2026-01-01T00:00:00Z'))).toHaveLength(2);
    const until: WindowSpec = { ...fri, rrule: 'FREQ=WEEKLY;BYDAY=FR;UNTIL=20250110T150000Z' };
    expect(occurrencesBetween([until], d('2025-01-01T00:00:00Z'), d('2026-01-01T00:00:00Z')).map((o) => o.start)).toEqual([
      '2025-01-03T15:00:00.000Z',
      '2025-01-10T15:00:00.000Z',
    ]);
  });

  it('a start with an offset fixes the local time in timeZone', () => {
    const w: WindowSpec = { ...fri, start: '2025-01-03T15:00:00Z' };
    expect(activeAt([w], d('2025-07-05T12:00:00Z')).map((o) => o.start)).toEqual(['2025-07-04T14:00:00.000Z']);
  });

  it('an all-day window (date-only start) runs from local midnight to local midnight, even across DST', () => {
    const w: WindowSpec = { name: 'clocks', kind: 'freeze', rrule: 'FREQ=YEARLY', start: '2025-03-29', duration: '2d', timeZone: 'Europe/Berlin' };
    const occ = occurrencesBetween([w], d('2027-01-01T00:00:00Z'), d('2028-01-01T00:00:00Z'));
    // 2027-03-29 00:00 CEST -> 2027-03-31 00:00 CEST (DST started on the 28th)
    expect(spans(occ)).toEqual(['2027-03-28T22:00:00.000Z -> 2027-03-30T22:00:00.000Z']);
    const [first] = occurrencesBetween([w], d('2025-03-01T00:00:00Z'), d('2025-04-01T00:00:00Z'));
    // Sat 29 00:00 CET -> Mon 31 00:00 CEST: 47 hours
    expect(first && spans([first])).toEqual(['2025-03-28T23:00:00.000Z -> 2025-03-30T22:00:00.000Z']);
  });
});

describe('listWindows', () => {
  const ws: WindowSpec[] = [
    { name: 'SCL', kind: 'maintenance', targets: { region: 'SCL' }, start: '2025-11-18T09:00:00Z', end: '2025-11-18T15:00:00Z' },
    { name: 'SIN', kind: 'maintenance', targets: { region: 'SIN' }, start: '2025-11-25T18:00:00Z', end: '2025-11-25T22:00:00Z' },
    { name: 'far', kind: 'maintenance', start: '2025-11-26T18:00:00Z', end: '2025-11-26T22:00:00Z' },
    { name: 'weekend freeze', kind: 'freeze', schedule: '0 18 * * FRI', duration: '62h', timeZone: 'America/Los_Angeles' },
  ];

  it('lists active occurrences and those starting in the next 7 days', () => {
    const { active, upcoming } = listWindows(ws, d('2025-11-18T11:20:00Z'));
    expect(active.map((o) => o.window.name)).toEqual(['SCL']);
    // SIN starts at 2025-11-25T18:00Z, 7 days and 6h40m later: not within the default 7 days.
    expect(upcoming.map((o) => `${o.window.name}@${o.start}`)).toEqual(['weekend freeze@2025-11-22T02:00:00.000Z']);
  });

  it('takes the number of days', () => {
    const { upcoming } = listWindows(ws, d('2025-11-18T11:20:00Z'), 1);
    expect(upcoming).toEqual([]);
    expect(listWindows(ws, d('2025-11-18T11:20:00Z'), 8).upcoming.map((o) => o.window.name)).toEqual(['weekend freeze', 'SIN']);
    expect(listWindows(ws, d('2025-11-18T11:20:00Z'), 9).upcoming.map((o) => o.window.name)).toEqual(['weekend freeze', 'SIN', 'far']);
  });

  it('rejects an invalid date', () => {
    expect(() => listWindows(ws, new Date('nope'))).toThrow(expect.objectContaining({ code: 'E_OPTIONS_INVALID' }));
  });
});
