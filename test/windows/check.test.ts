import { describe, expect, it } from 'vitest';
import { checkWindow } from '../../src/windows/index.js';
import type { WindowSpec } from '../../src/types.js';

const base = { name: 'w', kind: 'freeze' } as const;
const check = (extra: Record<string, unknown>): string[] => checkWindow({ ...base, ...extra } as WindowSpec);

describe('checkWindow', () => {
  it('accepts the three timing forms', () => {
    expect(check({ start: '2025-11-18T09:00:00Z', end: '2025-11-18T15:00:00Z' })).toEqual([]);
    expect(check({ schedule: '0 18 * * FRI', duration: '62h', timeZone: 'America/Los_Angeles' })).toEqual([]);
    expect(check({ schedule: '@daily', duration: 3_600_000 })).toEqual([]);
    expect(check({ rrule: 'FREQ=WEEKLY;BYDAY=FR', start: '2025-01-03T16:00:00', duration: '64h', timeZone: 'Europe/Berlin' })).toEqual([]);
    expect(check({ rrule: 'RRULE:FREQ=YEARLY\nEXDATE:20251220', start: '2024-12-20', duration: '15d', timeZone: 'America/New_York' })).toEqual([]);
    expect(check({ start: '2025-11-18T09:00:00Z', duration: '6h' })).toEqual([]);
  });

  it('names `schedule` for a bad cron expression', () => {
    const [p, ...rest] = check({ schedule: '61 * * * *', duration: '1h' });
    expect(rest).toEqual([]);
    expect(p).toMatch(/^`schedule` "61 \* \* \* \*" is not a valid 5-field cron expression/);
    expect(p).toContain('minute');
    expect(check({ schedule: '0 0 18 * * FRI', duration: '1h' })[0]).toMatch(/^`schedule`/);
    expect(check({ schedule: 'every friday', duration: '1h' })[0]).toMatch(/^`schedule`/);
    expect(check({ schedule: '0 0 31 2 *', duration: '1h' })).toEqual(['`schedule` "0 0 31 2 *" never fires']);
  });

  it('names `timeZone` for an unknown zone', () => {
    expect(check({ schedule: '0 18 * * FRI', duration: '62h', timeZone: 'Mars/Olympus' })).toEqual([
      '`timeZone` must be an IANA time zone such as "Europe/Berlin" or "UTC"; got "Mars/Olympus"',
    ]);
    expect(check({ rrule: 'FREQ=DAILY', start: '2025-01-01T00:00:00', duration: '1h', timeZone: 'Europe/Berln' })[0]).toMatch(/^`timeZone`/);
  });

  it('names `duration` when it is missing or bad', () => {
    expect(check({ schedule: '0 18 * * FRI' })).toEqual(['`duration` is required with `schedule` (how long each occurrence lasts, e.g. "62h")']);
    expect(check({ rrule: 'FREQ=DAILY', start: '2025-01-01T00:00:00' })[0]).toMatch(/^`duration` is required with `rrule`/);
    expect(check({ schedule: '0 18 * * FRI', duration: '62 hours' })[0]).toMatch(/^`duration` must be a duration like/);
    expect(check({ schedule: '0 18 * * FRI', duration: 0 })[0]).toMatch(/^`duration` must be greater than zero/);
  });

  it('one-off: end must follow start; dates must be ISO-8601', () => {
    expect(check({ start: '2025-11-18T15:00:00Z', end: '2025-11-18T09:00:00Z' })[0]).toMatch(/^`end` .* must be after `start`/);
    expect(check({ start: '2025-11-18T15:00:00Z', end: '2025-11-18T15:00:00Z' })[0]).toMatch(/must be after `start`/);
    expect(check({ start: '18 Nov 2025', end: '2025-11-18T09:00:00Z' })[0]).toMatch(/^`start` must be an ISO-8601/);
    expect(check({ start: '2025-02-30T00:00:00Z', end: '2025-03-01T00:00:00Z' })[0]).toMatch(/^`start`/);
    expect(check({ start: '2025-11-18T15:00:00Z' })[0]).toMatch(/^`end` is required/);
  });

  it('rejects mixed or missing timing forms and bad rrules', () => {
    expect(check({})[0]).toMatch(/needs a timing/);
    expect(check({ schedule: '0 * * * *', rrule: 'FREQ=DAILY', duration: '1h' })[0]).toMatch(/one timing form/);
    expect(check({ schedule: '0 * * * *', duration: '1h', start: '2025-01-01T00:00:00Z' })[0]).toMatch(/^`start`\/`end` cannot be combined with `schedule`/);
    expect(check({ rrule: 'FREQ=FORTNIGHTLY', start: '2025-01-01T00:00:00', duration: '1h' })[0]).toMatch(/^`rrule`/);
    expect(check({ rrule: 'BYDAY=FR', start: '2025-01-01T00:00:00', duration: '1h' })[0]).toMatch(/^`rrule` .* needs FREQ/);
    expect(check({ rrule: 'FREQ=MINUTELY', start: '2025-01-01T00:00:00', duration: '1h' })[0]).toMatch(/too fine/);
    expect(check({ rrule: 'FREQ=DAILY;COUNT=3;UNTIL=20250110', start: '2025-01-01T00:00:00', duration: '1h' })).toEqual([
      '`rrule` must not have both COUNT and UNTIL',
    ]);
    expect(check({ rrule: 'FREQ=YEARLY', start: '2024-12-20', duration: '36h' })[0]).toMatch(/whole days/);
    expect(check({ rrule: 'RRULE:FREQ=DAILY\nEXDATE:tomorrow', start: '2025-01-01T00:00:00', duration: '1h' })[0]).toMatch(/EXDATE/);
  });

  it('checks name, kind and the selector', () => {
    expect(checkWindow({ name: '', kind: 'holiday', start: '2025-11-18T09:00:00Z', end: '2025-11-18T15:00:00Z' } as unknown as WindowSpec)).toEqual([
      '`name` must be a non-empty string',
      '`kind` must be one of maintenance, freeze, allow; got "holiday"',
    ]);
    expect(check({ targets: { region: 5 }, start: '2025-11-18T09:00:00Z', end: '2025-11-18T15:00:00Z' })).toEqual([
      '`targets.region` must be a string or a list of strings; got 5',
    ]);
  });

  it('never throws', () => {
    for (const junk of [null, 42, 'x', [], { name: 'x', kind: 'freeze', schedule: {} }, { name: 'x', kind: 'freeze', rrule: 7 }]) {
      expect(checkWindow(junk as unknown as WindowSpec).length).toBeGreaterThan(0);
    }
  });
});
