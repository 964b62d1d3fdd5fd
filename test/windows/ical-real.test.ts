/**
 * iCalendar import: RDATE, EXDATE, PERIOD, nominal DURATION, RANGE=THISANDFUTURE, Exchange all-day overrides and
 * DATE values without VALUE=DATE, on real public calendars (fixtures/windows/real, see its README for the licence)
 * and on small calendars written here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfgateError, importICal, occurrencesBetween } from '../../src/index.js';
import type { WindowSpec } from '../../src/index.js';

const real = (name: string): string => readFileSync(new URL(`../../fixtures/windows/real/${name}`, import.meta.url), 'utf8');
const cal = (...lines: string[]): string => ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//confgate//test//EN', ...lines, 'END:VCALENDAR', ''].join('\r\n');
const between = (ws: WindowSpec[], from: string, to: string): string[] =>
  occurrencesBetween(ws, new Date(from), new Date(to)).map((o) => `${o.start.replace(':00.000Z', 'Z')} ${o.end.replace(':00.000Z', 'Z')}`);

describe('RDATE and EXDATE', () => {
  it('a public calendar with RDATEs and no RRULE keeps all 12 dates (Hacker Public Radio)', () => {
    const ws = importICal(real('rdate-hackerpublicradio.ics'));
    const occ = between(ws, '2013-01-01T00:00:00Z', '2015-01-01T00:00:00Z');
    expect(occ).toHaveLength(12);
    expect(occ[0]).toBe('2013-08-03T19:00Z 2013-08-03T21:00Z');
    expect(occ[11]).toBe('2014-07-05T19:00Z 2014-07-05T21:00Z');
  });

  it('EXDATE removes an RDATE instance, and DTSTART itself', () => {
    const ws = importICal(
      cal(
        'BEGIN:VEVENT', 'UID:a', 'SUMMARY:patching', 'DTSTART:20250105T020000Z', 'DTEND:20250105T040000Z',
        'RDATE:20250112T020000Z,20250119T020000Z,20250126T020000Z', 'EXDATE:20250119T020000Z,20250105T020000Z', 'END:VEVENT',
      ),
    );
    expect(between(ws, '2025-01-01T00:00:00Z', '2025-02-01T00:00:00Z')).toEqual(['2025-01-12T02:00Z 2025-01-12T04:00Z', '2025-01-26T02:00Z 2025-01-26T04:00Z']);
  });

  it('EXDATE removes an RDATE next to an RRULE', () => {
    const ws = importICal(
      cal(
        'BEGIN:VEVENT', 'UID:b', 'SUMMARY:weekly', 'DTSTART:20250106T090000Z', 'DURATION:PT1H', 'RRULE:FREQ=WEEKLY;COUNT=2',
        'RDATE:20250108T090000Z,20250109T090000Z', 'EXDATE:20250109T090000Z', 'END:VEVENT',
      ),
    );
    expect(between(ws, '2025-01-01T00:00:00Z', '2025-02-01T00:00:00Z')).toEqual([
      '2025-01-06T09:00Z 2025-01-06T10:00Z',
      '2025-01-08T09:00Z 2025-01-08T10:00Z',
      '2025-01-13T09:00Z 2025-01-13T10:00Z',
    ]);
  });

  it('RDATE;VALUE=PERIOD keeps its own length (real calendar, issue 113 of recurring-ical-events)', () => {
    const ws = importICal(real('issue_113_period_rdate_duration.ics'));
    expect(between(ws, '2024-09-01T00:00:00Z', '2024-10-01T00:00:00Z')).toEqual(['2024-09-12T12:00Z 2024-09-12T13:00Z', '2024-09-13T12:00Z 2024-09-13T14:00Z']);
  });
});

describe('DURATION across DST', () => {
  it('DURATION:P1D is a calendar day (23 hours on the spring-forward day), PT24H is 24 hours', () => {
    const ev = (uid: string, dur: string): string[] => ['BEGIN:VEVENT', `UID:${uid}`, `SUMMARY:${uid}`, 'DTSTART;TZID=Europe/Berlin:20250329T120000', `DURATION:${dur}`, 'RRULE:FREQ=DAILY;COUNT=2', 'END:VEVENT'];
    const [nominal, exact] = [importICal(cal(...ev('nominal', 'P1D'))), importICal(cal(...ev('exact', 'PT24H')))];
    // 29 March 12:00 CET = 11:00Z; the next day 12:00 CEST = 10:00Z.
    expect(between(nominal, '2025-03-29T00:00:00Z', '2025-03-30T00:00:00Z')[0]).toBe('2025-03-29T11:00Z 2025-03-30T10:00Z');
    expect(between(exact, '2025-03-29T00:00:00Z', '2025-03-30T00:00:00Z')[0]).toBe('2025-03-29T11:00Z 2025-03-30T11:00Z');
    const oneOff = importICal(cal('BEGIN:VEVENT', 'UID:o', 'SUMMARY:o', 'DTSTART;TZID=Europe/Berlin:20251025T120000', 'DURATION:P1DT1H', 'END:VEVENT'));
    expect(between(oneOff, '2025-10-25T00:00:00Z', '2025-10-27T00:00:00Z')).toEqual(['2025-10-25T10:00Z 2025-10-26T12:00Z']); // 25 hours + 1
  });
});

describe('overrides', () => {
  it('RECURRENCE-ID;RANGE=THISANDFUTURE moves every later instance (real calendar, issue 75 of recurring-ical-events)', () => {
    const ws = importICal(real('issue_75_range_parameter.ics'));
    expect(between(ws, '2024-09-01T00:00:00Z', '2024-09-27T00:00:00Z')).toEqual([
      '2024-09-01T12:00Z 2024-09-01T14:00Z',
      '2024-09-03T12:00Z 2024-09-03T14:00Z',
      '2024-09-05T12:00Z 2024-09-05T14:00Z',
      '2024-09-07T12:00Z 2024-09-07T14:00Z',
      '2024-09-09T12:00Z 2024-09-09T14:00Z',
      '2024-09-11T12:00Z 2024-09-11T14:00Z',
      '2024-09-13T09:00Z 2024-09-13T16:00Z', // THISANDFUTURE: -3h, 7 hours long
      '2024-09-14T09:00Z 2024-09-14T11:00Z', // the RDATE
      '2024-09-15T17:00Z 2024-09-15T19:00Z', // this one instance moved again
      '2024-09-17T09:00Z 2024-09-17T16:00Z',
      '2024-09-19T09:00Z 2024-09-19T16:00Z',
      '2024-09-22T14:22Z 2024-09-22T16:13Z', // second THISANDFUTURE: +1 day +2h22
      '2024-09-24T14:22Z 2024-09-24T16:13Z',
      '2024-09-26T14:22Z 2024-09-26T16:13Z',
    ]);
  });

  it('THISANDFUTURE on a COUNT series keeps the total count', () => {
    const ws = importICal(
      cal(
        'BEGIN:VEVENT', 'UID:c', 'SUMMARY:c', 'DTSTART:20250101T100000Z', 'DURATION:PT1H', 'RRULE:FREQ=DAILY;COUNT=5', 'END:VEVENT',
        'BEGIN:VEVENT', 'UID:c', 'SUMMARY:c', 'RECURRENCE-ID;RANGE=THISANDFUTURE:20250103T100000Z', 'DTSTART:20250103T150000Z', 'DURATION:PT2H', 'END:VEVENT',
      ),
    );
    expect(between(ws, '2025-01-01T00:00:00Z', '2025-02-01T00:00:00Z')).toEqual([
      '2025-01-01T10:00Z 2025-01-01T11:00Z',
      '2025-01-02T10:00Z 2025-01-02T11:00Z',
      '2025-01-03T15:00Z 2025-01-03T17:00Z',
      '2025-01-04T15:00Z 2025-01-04T17:00Z',
      '2025-01-05T15:00Z 2025-01-05T17:00Z',
    ]);
  });

  it('an Exchange-style override of an all-day event (RECURRENCE-ID with TZID) replaces the original day', () => {
    const ws = importICal(
      cal(
        'BEGIN:VEVENT', 'UID:x', 'SUMMARY:holiday freeze', 'DTSTART;VALUE=DATE:20251222', 'DTEND;VALUE=DATE:20251223', 'RRULE:FREQ=DAILY;COUNT=3', 'END:VEVENT',
        'BEGIN:VEVENT', 'UID:x', 'SUMMARY:holiday freeze', 'RECURRENCE-ID;TZID=W. Europe Standard Time:20251223T000000',
        'DTSTART;VALUE=DATE:20251227', 'DTEND;VALUE=DATE:20251228', 'END:VEVENT',
      ),
    );
    expect(between(ws, '2025-12-01T00:00:00Z', '2026-01-01T00:00:00Z')).toEqual([
      '2025-12-22T00:00Z 2025-12-23T00:00Z',
      '2025-12-24T00:00Z 2025-12-25T00:00Z',
      '2025-12-27T00:00Z 2025-12-28T00:00Z',
    ]);
  });
});

describe('DTSTART that the rule does not produce, and DATE values without VALUE=DATE', () => {
  it('DTSTART counts as an occurrence of its own (RFC 5545), and COUNT includes it', () => {
    const ws = importICal(cal('BEGIN:VEVENT', 'UID:d', 'SUMMARY:d', 'DTSTART:20250101T090000Z', 'DURATION:PT1H', 'RRULE:FREQ=WEEKLY;BYDAY=FR;COUNT=3', 'END:VEVENT'));
    expect(between(ws, '2025-01-01T00:00:00Z', '2025-02-01T00:00:00Z').map((s) => s.slice(0, 10))).toEqual(['2025-01-01', '2025-01-03', '2025-01-10']);
  });

  it('DATE values written without VALUE=DATE (as a public German holiday calendar does) are read as dates', () => {
    const ws = importICal(cal('X-WR-TIMEZONE:Europe/Berlin', 'BEGIN:VEVENT', 'UID:h', 'SUMMARY:Tag der Deutschen Einheit', 'DTSTART:20251003', 'DTEND:20251004', 'RRULE:FREQ=YEARLY', 'EXDATE:20271003', 'END:VEVENT'));
    expect(between(ws, '2025-01-01T00:00:00Z', '2029-01-01T00:00:00Z')).toEqual([
      '2025-10-02T22:00Z 2025-10-03T22:00Z',
      '2026-10-02T22:00Z 2026-10-03T22:00Z',
      '2028-10-02T22:00Z 2028-10-03T22:00Z',
    ]);
  });

  it('anything else unreadable is a ConfgateError naming the event, never a plain Error', () => {
    for (const bad of [
      cal('BEGIN:VEVENT', 'UID:e', 'SUMMARY:broken', 'DTSTART:2025-13-45', 'DTEND:20250101T100000Z', 'END:VEVENT'),
      cal('BEGIN:VEVENT', 'UID:e', 'SUMMARY:broken', 'DTSTART:20250101T090000Z', 'DURATION:PT1H', 'RDATE;VALUE=PERIOD:garbage', 'END:VEVENT'),
    ]) {
      let err: unknown;
      try {
        importICal(bad);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfgateError);
      expect(err).toMatchObject({ code: 'E_WINDOW_INVALID', message: expect.stringContaining('broken') });
    }
  });
});
