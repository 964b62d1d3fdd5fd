import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { activeAt, checkWindow, componentCode, importICal, importStatuspage, occurrencesBetween } from '../../src/windows/index.js';
import type { WindowSpec } from '../../src/types.js';

const fixture = (name: string): string => readFileSync(new URL(`../../fixtures/windows/${name}`, import.meta.url), 'utf8');
const d = (iso: string): Date => new Date(iso);

describe('importStatuspage', () => {
  const json = JSON.parse(fixture('scheduled-maintenances.json')) as { scheduled_maintenances: unknown[] };

  it('imports every maintenance that is not completed, with region selectors', () => {
    const ws = importStatuspage(json);
    expect(ws.map((w) => [w.name, w.targets?.region])).toEqual([
      ['SCL (Santiago) on 2025-11-18', 'SCL'],
      ['MIA (Miami) on 2025-11-18', 'MIA'],
      ['LAX (Los Angeles) on 2025-11-18', 'LAX'],
      ['SIN (Singapore) on 2025-11-25', 'SIN'],
      ['Cloudflare Dashboard and API database maintenance', undefined],
    ]);
    expect(ws.find((w) => w.name.startsWith('FRA'))).toBeUndefined(); // completed
    expect(ws[0]).toEqual({
      name: 'SCL (Santiago) on 2025-11-18',
      kind: 'maintenance',
      targets: { region: 'SCL' },
      start: '2025-11-18T09:00:00.000Z',
      end: '9999-12-31T23:59:59.999Z', // in_progress: counts until the page says completed
      source: 'statuspage',
    });
    expect(ws[3]?.end).toBe('2025-11-25T22:00:00.000Z'); // SIN is scheduled: its scheduled_until
    expect(ws[4]?.targets).toBeUndefined(); // no components: every target
    for (const w of ws) expect(checkWindow(w)).toEqual([]);
  });

  it('accepts the bare array, and options for kind, label, table and source', () => {
    const ws = importStatuspage(json.scheduled_maintenances, {
      kind: 'freeze',
      label: 'pop',
      components: { 'Santiago, Chile - (SCL)': 'scl01' },
      source: 'cloudflarestatus.com',
    });
    expect(ws[0]).toMatchObject({ kind: 'freeze', targets: { pop: 'scl01' }, source: 'cloudflarestatus.com' });
    expect(ws[1]?.targets).toEqual({ pop: 'MIA' }); // not in the table: derived
  });

  it('several components give a list selector', () => {
    const ws = importStatuspage([
      {
        name: 'Americas network upgrade',
        status: 'scheduled',
        scheduled_for: '2025-12-02T06:00:00.000Z',
        scheduled_until: '2025-12-02T08:00:00.000Z',
        components: [{ name: 'MIA - Miami' }, { name: 'Buenos Aires, Argentina - EZE' }, { name: 'Latin America & the Caribbean' }, { name: 'MIA - Miami' }],
      },
    ]);
    expect(ws[0]?.targets).toEqual({ region: ['MIA', 'EZE', 'Latin America & the Caribbean'] });
  });

  it('derives codes from component names', () => {
    expect(componentCode('Santiago (SCL)')).toBe('SCL');
    expect(componentCode('Santiago, Chile - (SCL)')).toBe('SCL');
    expect(componentCode('SCL - Santiago')).toBe('SCL');
    expect(componentCode('Santiago - SCL')).toBe('SCL');
    expect(componentCode('DNS Resolver')).toBe('DNS Resolver');
    expect(componentCode('  Europe  ')).toBe('Europe');
  });

  it('throws E_WINDOW_INVALID naming the bad field', () => {
    const bad = (v: unknown): unknown => {
      try {
        importStatuspage(v);
      } catch (err) {
        return err;
      }
      return undefined;
    };
    expect(bad('nope')).toMatchObject({ code: 'E_WINDOW_INVALID' });
    expect(bad({ scheduled_maintenances: {} })).toMatchObject({ code: 'E_WINDOW_INVALID' });
    expect(bad([{ name: 'x', status: 'scheduled', scheduled_for: 'soon', scheduled_until: '2025-01-01T00:00:00Z' }])).toMatchObject({
      code: 'E_WINDOW_INVALID',
      message: expect.stringContaining('/0/scheduled_for'),
    });
    expect(bad([{ name: 'x', scheduled_for: '2025-01-02T00:00:00Z', scheduled_until: '2025-01-01T00:00:00Z' }])).toMatchObject({
      message: expect.stringContaining('scheduled_until must be after'),
    });
    expect(bad({ scheduled_maintenances: [{ name: 'x', scheduled_for: '2025-01-01T00:00:00Z', scheduled_until: '2025-01-02T00:00:00Z', components: [{}] }] })).toMatchObject({
      message: expect.stringContaining('/scheduled_maintenances/0/components/0/name'),
    });
  });
});

describe('importICal', () => {
  const ws = importICal(fixture('holiday-freeze.ics'));
  const byName = (name: string): WindowSpec => {
    const w = ws.find((x) => x.name === name);
    if (!w) throw new Error(`no window ${name}`);
    return w;
  };

  it('turns each VEVENT into a window and skips cancelled ones', () => {
    expect(ws.map((w) => w.name)).toEqual([
      'Holiday change freeze',
      'EU weekend freeze',
      'EU weekend freeze (Black Friday: starts at noon)',
      'NYC3 datacenter migration freeze',
    ]);
    for (const w of ws) {
      expect(w.kind).toBe('freeze');
      expect(w.source).toBe('ical');
      expect(checkWindow(w)).toEqual([]);
    }
  });

  it('all-day yearly holiday freeze: whole days in America/New_York, expanded in a later year', () => {
    const w = byName('Holiday change freeze');
    expect(w).toMatchObject({ rrule: 'FREQ=YEARLY', start: '2024-12-20', duration: '15d', timeZone: 'America/New_York' });
    const occ = occurrencesBetween([w], d('2027-06-01T00:00:00Z'), d('2028-06-01T00:00:00Z'));
    // Dec 20 00:00 EST through the end of Jan 3 (DTEND Jan 4 is exclusive)
    expect(occ.map((o) => `${o.start} -> ${o.end}`)).toEqual(['2027-12-20T05:00:00.000Z -> 2028-01-04T05:00:00.000Z']);
    expect(activeAt([w], d('2028-01-04T04:59:59Z'))).toHaveLength(1);
    expect(activeAt([w], d('2028-01-04T05:00:00Z'))).toEqual([]);
  });

  it('weekly Friday freeze: TZID Europe/Berlin respected in a later year on both sides of DST', () => {
    const w = byName('EU weekend freeze');
    expect(w.timeZone).toBe('Europe/Berlin');
    expect(w.start).toBe('2025-01-03T16:00:00');
    expect(w.duration).toBe('2d16h');
    const occ = occurrencesBetween([w], d('2027-03-24T00:00:00Z'), d('2027-04-03T00:00:00Z'));
    expect(occ.map((o) => `${o.start} -> ${o.end}`)).toEqual([
      '2027-03-26T15:00:00.000Z -> 2027-03-29T07:00:00.000Z', // 16:00 CET, 64h exact (DTEND - DTSTART)
      '2027-04-02T14:00:00.000Z -> 2027-04-05T06:00:00.000Z', // 16:00 CEST
    ]);
  });

  it('EXDATEs and modified instances are skipped in the series', () => {
    const w = byName('EU weekend freeze');
    const starts = occurrencesBetween([w], d('2025-04-01T00:00:00Z'), d('2026-01-31T00:00:00Z')).map((o) => o.start.slice(0, 10));
    expect(starts).toContain('2025-04-11');
    expect(starts).toContain('2025-04-25');
    expect(starts).not.toContain('2025-04-18'); // EXDATE (Good Friday)
    expect(starts).not.toContain('2025-12-26'); // EXDATE with two values
    expect(starts).not.toContain('2026-01-02');
    expect(starts).not.toContain('2025-11-28'); // RECURRENCE-ID: replaced by its own window
    expect(starts).toContain('2025-12-05');
    const mod = byName('EU weekend freeze (Black Friday: starts at noon)');
    expect(mod).toMatchObject({ start: '2025-11-28T11:00:00.000Z', end: '2025-12-01T07:00:00.000Z' });
    expect(activeAt(ws, d('2025-11-28T12:00:00Z')).map((o) => o.window.name)).toEqual(['EU weekend freeze (Black Friday: starts at noon)']);
  });

  it('one-off events use their TZID', () => {
    expect(byName('NYC3 datacenter migration freeze')).toMatchObject({ start: '2025-11-20T23:00:00.000Z', end: '2025-11-21T11:00:00.000Z' });
  });

  it('applies options', () => {
    const [w] = importICal(fixture('holiday-freeze.ics'), { kind: 'maintenance', targets: { region: 'FRA' }, source: 'changes.ics' });
    expect(w).toMatchObject({ kind: 'maintenance', targets: { region: 'FRA' }, source: 'changes.ics' });
  });

  it('floating all-day events are UTC unless the calendar or the options give a zone', () => {
    const cal = (extra = ''): string =>
      ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//t//EN', extra, 'BEGIN:VEVENT', 'UID:a', 'DTSTAMP:20250101T000000Z', 'DTSTART;VALUE=DATE:20251224',
        'SUMMARY:Christmas Eve', 'END:VEVENT', 'END:VCALENDAR', ''].filter((l) => l !== '').join('\r\n');
    expect(importICal(cal())[0]).toMatchObject({ start: '2025-12-24T00:00:00.000Z', end: '2025-12-25T00:00:00.000Z' });
    expect(importICal(cal(), { timeZone: 'Asia/Tokyo' })[0]).toMatchObject({ start: '2025-12-23T15:00:00.000Z', end: '2025-12-24T15:00:00.000Z' });
    expect(importICal(cal('X-WR-TIMEZONE:Europe/Berlin'))[0]).toMatchObject({ start: '2025-12-23T23:00:00.000Z' });
  });

  it('throws E_WINDOW_INVALID for malformed input and unknown TZIDs', () => {
    expect(() => importICal('not a calendar')).toThrow(expect.objectContaining({ code: 'E_WINDOW_INVALID' }));
    const tz = ['BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'UID:a', 'DTSTART;TZID=Mars/Olympus:20250101T100000', 'DTEND;TZID=Mars/Olympus:20250101T110000', 'SUMMARY:x', 'END:VEVENT', 'END:VCALENDAR'].join('\r\n');
    expect(() => importICal(tz)).toThrow(expect.objectContaining({ code: 'E_WINDOW_INVALID', message: expect.stringContaining('Mars/Olympus') }));
    const noEnd = ['BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'UID:a', 'DTSTART:20250101T100000Z', 'SUMMARY:x', 'END:VEVENT', 'END:VCALENDAR'].join('\r\n');
    expect(() => importICal(noEnd)).toThrow(expect.objectContaining({ code: 'E_WINDOW_INVALID', message: expect.stringContaining('"x"') }));
  });

  it('accepts Outlook-style TZIDs that end in an IANA name or are Windows names', () => {
    const cal = ['BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'UID:a', 'DTSTART;TZID=/mozilla.org/20050126_1/Europe/Berlin:20250101T100000',
      'DTEND;TZID=W. Europe Standard Time:20250101T110000', 'SUMMARY:x', 'END:VEVENT', 'END:VCALENDAR'].join('\r\n');
    expect(importICal(cal)[0]).toMatchObject({ start: '2025-01-01T09:00:00.000Z', end: '2025-01-01T10:00:00.000Z' });
  });
});
