import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { importStatuspage, targetsUnderMaintenance, windowFindings } from '../../src/windows/index.js';
import type { Target, WindowSpec } from '../../src/types.js';

const d = (iso: string): Date => new Date(iso);
const t = (id: string, labels: Record<string, string>): Target => ({ id, labels });

const fleet: Target[] = [
  t('scl-1', { region: 'SCL', env: 'prod' }),
  t('mia-1', { region: 'MIA', env: 'prod' }),
  t('lax-1', { region: 'LAX', env: 'prod' }),
  t('lax-2', { region: 'LAX', env: 'prod' }),
  t('fra-1', { region: 'FRA', env: 'prod' }),
  t('sin-1', { region: 'SIN', env: 'prod' }),
];

const statuspage = JSON.parse(readFileSync(new URL('../../fixtures/windows/scheduled-maintenances.json', import.meta.url), 'utf8')) as unknown;

/** The same export as fetched before the work started: every `in_progress` maintenance still `scheduled`. */
const beforeStart = JSON.parse(JSON.stringify(statuspage).replaceAll('"status":"in_progress"', '"status":"scheduled"')) as unknown;

describe('window.maintenance', () => {
  const windows = importStatuspage(beforeStart);

  it('lists the SCL, MIA and LAX targets at 2025-11-18T11:20Z from the Statuspage export', () => {
    const findings = windowFindings({ windows, targets: fleet, at: d('2025-11-18T11:20:00Z') });
    expect(findings.map((f) => [f.rule, f.severity])).toEqual([['window.maintenance', 'warn']]);
    const [f] = findings;
    expect(f?.detail?.targets).toEqual(['scl-1', 'mia-1', 'lax-1', 'lax-2']);
    expect(f?.detail?.windows).toEqual(['LAX (Los Angeles) on 2025-11-18', 'MIA (Miami) on 2025-11-18', 'SCL (Santiago) on 2025-11-18']);
    expect(f?.detail?.byTarget).toMatchObject({ 'lax-2': ['LAX (Los Angeles) on 2025-11-18'] });
    expect(f?.detail?.until).toBe('2025-11-18T15:00:00.000Z');
    for (const id of ['scl-1', 'mia-1', 'lax-1', 'lax-2']) expect(f?.message).toContain(id);
    expect(f?.message).not.toContain('fra-1');
    expect(f?.message).toContain('until 2025-11-18T14:00:00Z'); // MIA ends first
    expect(f?.message).toMatch(/push after the maintenance ends/);
  });

  it('targetsUnderMaintenance maps target ids to window names', () => {
    const m = targetsUnderMaintenance(windows, fleet, d('2025-11-18T11:20:00Z'));
    expect([...m.keys()]).toEqual(['scl-1', 'mia-1', 'lax-1', 'lax-2']);
    expect(m.get('scl-1')).toEqual(['SCL (Santiago) on 2025-11-18']);
    // MIA ends at 14:00Z, SCL and LAX at 15:00Z.
    expect([...targetsUnderMaintenance(windows, fleet, d('2025-11-18T14:30:00Z')).keys()]).toEqual(['scl-1', 'lax-1', 'lax-2']);
    expect(targetsUnderMaintenance(windows, fleet, d('2025-11-18T15:00:00Z')).size).toBe(0);
  });

  it('without targets: info naming the selectors under maintenance', () => {
    const [f, ...rest] = windowFindings({ windows, at: d('2025-11-18T11:20:00Z') });
    expect(rest).toEqual([]);
    expect(f?.rule).toBe('window.maintenance');
    expect(f?.severity).toBe('info');
    expect(f?.detail?.selectors).toEqual(['region=LAX', 'region=MIA', 'region=SCL']);
    expect(f?.message).toContain('region=SCL');
    expect(f?.message).toContain('region=MIA');
    expect(f?.message).toContain('region=LAX');
    expect(f?.message).toContain('--targets');
  });

  it('without targets: warn when a maintenance window has no selector', () => {
    // The dashboard/API maintenance in the fixture has no components.
    const [f] = windowFindings({ windows, at: d('2025-11-20T15:00:00Z') });
    expect(f?.severity).toBe('warn');
    expect(f?.detail?.selectors).toEqual(['all targets']);
    expect(f?.message).toContain('every target');
    // ... and with targets it covers all of them
    const [g] = windowFindings({ windows, targets: fleet, at: d('2025-11-20T15:00:00Z') });
    expect(g?.detail?.targets).toEqual(fleet.map((x) => x.id));
  });

  it('no finding when nothing is under maintenance', () => {
    expect(windowFindings({ windows, targets: fleet, at: d('2025-11-18T16:00:00Z') })).toEqual([]);
    // SIN is in the future at 11:20 and FRA completed: only the SIN window is active here
    expect(windowFindings({ windows, targets: [t('fra-1', { region: 'FRA' })], at: d('2025-11-25T19:00:00Z') })).toEqual([]);
  });

  it('recurring maintenance windows (cron and rrule) feed targetsUnderMaintenance', () => {
    const ws: WindowSpec[] = [
      { name: 'FRA nightly', kind: 'maintenance', targets: { region: 'FRA' }, schedule: '0 2 * * *', duration: '2h', timeZone: 'Europe/Berlin' },
      { name: 'SIN monthly', kind: 'maintenance', targets: { region: 'SIN' }, rrule: 'FREQ=MONTHLY;BYDAY=1SU', start: '2025-01-05T03:00:00', duration: '3h', timeZone: 'Asia/Singapore' },
      { name: 'FRA freeze is not maintenance', kind: 'freeze', targets: { region: 'FRA' }, start: '2025-01-01T00:00:00Z', end: '2026-01-01T00:00:00Z' },
    ];
    // 2025-11-18 02:30 Berlin = 01:30Z
    expect([...targetsUnderMaintenance(ws, fleet, d('2025-11-18T01:30:00Z'))]).toEqual([['fra-1', ['FRA nightly']]]);
    expect(targetsUnderMaintenance(ws, fleet, d('2025-11-18T03:00:00Z')).size).toBe(0);
    // First Sunday of December 2025 is the 7th: 03:00-06:00 SGT = 19:00-22:00Z on the 6th
    expect([...targetsUnderMaintenance(ws, fleet, d('2025-12-06T19:00:00Z')).keys()]).toEqual(['sin-1']);
    expect(targetsUnderMaintenance(ws, fleet, d('2025-12-06T22:00:00Z')).size).toBe(0);
  });

  it('selectors with a list of values', () => {
    const ws: WindowSpec[] = [
      { name: 'americas', kind: 'maintenance', targets: { region: ['MIA', 'LAX'], env: 'prod' }, start: '2025-01-01T00:00:00Z', end: '2025-01-02T00:00:00Z' },
    ];
    const targets = [...fleet, t('lax-stg', { region: 'LAX', env: 'staging' })];
    const m = targetsUnderMaintenance(ws, targets, d('2025-01-01T12:00:00Z'));
    expect([...m.keys()]).toEqual(['mia-1', 'lax-1', 'lax-2']);
  });
});

describe('Statuspage maintenance that overruns', () => {
  const windows = importStatuspage(statuspage); // SCL, MIA and LAX are `in_progress` in the export

  it('an `in_progress` maintenance keeps counting after scheduled_until, with a message that says so', () => {
    // MIA was scheduled until 14:00Z, SCL and LAX until 15:00Z.
    expect([...targetsUnderMaintenance(windows, fleet, d('2025-11-18T16:00:00Z')).keys()]).toEqual(['scl-1', 'mia-1', 'lax-1', 'lax-2']);
    const [f] = windowFindings({ windows, targets: fleet, at: d('2025-11-19T09:00:00Z') });
    expect(f?.rule).toBe('window.maintenance');
    expect(f?.detail?.targets).toEqual(['scl-1', 'mia-1', 'lax-1', 'lax-2']);
    expect(f?.message).toContain('until its source marks it completed');
    expect(f?.message).not.toContain('9999');
  });

  it('`verifying` counts too; `scheduled` ends at scheduled_until; `completed` is skipped', () => {
    const m = (status: string, region: string): unknown => ({
      name: `${region} ${status}`,
      status,
      scheduled_for: '2025-11-18T09:00:00Z',
      scheduled_until: '2025-11-18T10:00:00Z',
      components: [{ name: `${region} - somewhere` }],
    });
    const ws = importStatuspage([m('verifying', 'SCL'), m('scheduled', 'MIA'), m('completed', 'LAX'), m('in_progress', 'SIN')]);
    expect([...targetsUnderMaintenance(ws, fleet, d('2025-11-18T09:30:00Z')).keys()]).toEqual(['scl-1', 'mia-1', 'sin-1']);
    expect([...targetsUnderMaintenance(ws, fleet, d('2025-11-18T12:00:00Z')).keys()]).toEqual(['scl-1', 'sin-1']);
    expect([...targetsUnderMaintenance(ws, fleet, d('2025-11-18T08:59:00Z')).keys()]).toEqual([]);
  });
});

describe('window.freeze', () => {
  const freeze: WindowSpec = { name: 'weekend freeze', kind: 'freeze', schedule: '0 18 * * FRI', duration: '62h', timeZone: 'America/Los_Angeles' };

  it('blocks inside a freeze and says until when and what to do', () => {
    const [f, ...rest] = windowFindings({ windows: [freeze], at: d('2025-11-15T12:00:00Z') });
    expect(rest).toEqual([]);
    expect(f?.rule).toBe('window.freeze');
    expect(f?.severity).toBe('block');
    expect(f?.message).toContain('"weekend freeze"');
    expect(f?.message).toContain('until 2025-11-17T16:00:00Z (2025-11-17 08:00 America/Los_Angeles)');
    expect(f?.message).toContain('--override');
    expect(f?.detail).toMatchObject({ window: 'weekend freeze', end: '2025-11-17T16:00:00.000Z', timeZone: 'America/Los_Angeles' });
  });

  it('an override turns it into a warning carrying the reason', () => {
    const [f] = windowFindings({ windows: [freeze], at: d('2025-11-15T12:00:00Z'), override: { reason: 'INC-4521 hotfix for bot scoring' } });
    expect(f?.severity).toBe('warn');
    expect(f?.message).toContain('INC-4521 hotfix for bot scoring');
    expect(f?.detail?.override).toBe('INC-4521 hotfix for bot scoring');
  });

  it('nothing outside the freeze', () => {
    expect(windowFindings({ windows: [freeze], at: d('2025-11-17T16:00:00Z') })).toEqual([]);
  });

  it('a freeze with a selector applies only when a target matches it (and fails closed without targets)', () => {
    const eu: WindowSpec = { ...freeze, name: 'EU freeze', targets: { region: 'FRA' } };
    const at = d('2025-11-15T12:00:00Z');
    expect(windowFindings({ windows: [eu], targets: [t('scl-1', { region: 'SCL' })], at })).toEqual([]);
    const [f] = windowFindings({ windows: [eu], targets: fleet, at });
    expect(f?.severity).toBe('block');
    expect(f?.detail?.targets).toEqual(['fra-1']);
    const [g] = windowFindings({ windows: [eu], at });
    expect(g?.severity).toBe('block');
    expect(g?.message).toContain('region=FRA');
  });

  it('back-to-back occurrences: "until" is the end of the chain', () => {
    const daily: WindowSpec = { name: 'daily', kind: 'freeze', schedule: '0 0 * * *', duration: '24h' };
    const [f] = windowFindings({ windows: [daily], at: d('2025-01-01T12:00:00Z') });
    expect(f?.message).toContain('until at least');
    const always: WindowSpec = { name: 'always', kind: 'freeze', schedule: '* * * * *', duration: '7d' };
    const [g] = windowFindings({ windows: [always], at: d('2025-01-01T12:00:00Z') });
    expect(g?.severity).toBe('block');
    expect(g?.message).toContain('until at least');
    const chained: WindowSpec = { name: 'chained', kind: 'freeze', schedule: '0 0,12 1 1 *', duration: '12h' };
    const [h] = windowFindings({ windows: [chained], at: d('2025-01-01T06:00:00Z') });
    expect(h?.detail?.end).toBe('2025-01-02T00:00:00.000Z');
  });
});

describe('window.outside-allowed', () => {
  const allow: WindowSpec[] = [
    { name: 'EU business hours', kind: 'allow', targets: { region: 'FRA' }, schedule: '0 9 * * MON-FRI', duration: '8h', timeZone: 'Europe/Berlin' },
    { name: 'US business hours', kind: 'allow', targets: { region: ['MIA', 'LAX'] }, schedule: '0 9 * * MON-FRI', duration: '8h', timeZone: 'America/New_York' },
  ];
  const targets = [t('fra-1', { region: 'FRA' }), t('mia-1', { region: 'MIA' }), t('lax-1', { region: 'LAX' })];

  it('no finding when every target is covered by an active allow window', () => {
    // Tue 2025-11-18 15:00Z = 16:00 Berlin, 10:00 New York
    expect(windowFindings({ windows: allow, targets, at: d('2025-11-18T15:00:00Z') })).toEqual([]);
  });

  it('blocks naming the uncovered targets and the next allow window', () => {
    // 10:00Z = 11:00 Berlin, 05:00 New York
    const [f, ...rest] = windowFindings({ windows: allow, targets, at: d('2025-11-18T10:00:00Z') });
    expect(rest).toEqual([]);
    expect(f?.rule).toBe('window.outside-allowed');
    expect(f?.severity).toBe('block');
    expect(f?.detail?.targets).toEqual(['mia-1', 'lax-1']);
    expect(f?.detail?.next).toMatchObject({ window: 'US business hours', start: '2025-11-18T14:00:00.000Z' });
    expect(f?.message).toContain('mia-1, lax-1');
    expect(f?.message).toContain('"US business hours" from 2025-11-18T14:00:00Z');
  });

  it('only the targets being pushed need coverage', () => {
    expect(windowFindings({ windows: allow, targets: [targets[0]!], at: d('2025-11-18T10:00:00Z') })).toEqual([]);
  });

  it('an allow window without selector covers every target; outside all of them blocks', () => {
    const ws: WindowSpec[] = [{ name: 'weekdays', kind: 'allow', schedule: '0 8 * * MON-FRI', duration: '10h' }];
    expect(windowFindings({ windows: ws, targets, at: d('2025-11-18T12:00:00Z') })).toEqual([]);
    expect(windowFindings({ windows: ws, at: d('2025-11-18T12:00:00Z') })).toEqual([]);
    const [f] = windowFindings({ windows: ws, at: d('2025-11-22T12:00:00Z') }); // Saturday
    expect(f?.severity).toBe('block');
    expect(f?.detail?.next).toMatchObject({ start: '2025-11-24T08:00:00.000Z' });
  });

  it('without targets: warn when only selector-bound allow windows are active, block when none', () => {
    const [f] = windowFindings({ windows: allow, at: d('2025-11-18T10:00:00Z') });
    expect(f?.severity).toBe('warn');
    expect(f?.message).toContain('region=FRA');
    const [g] = windowFindings({ windows: allow, at: d('2025-11-18T03:00:00Z') });
    expect(g?.severity).toBe('block');
  });

  it('the override does not relax it, and no allow windows means no finding', () => {
    const [f] = windowFindings({ windows: allow, targets, at: d('2025-11-18T10:00:00Z'), override: { reason: 'x' } });
    expect(f?.severity).toBe('block');
    expect(windowFindings({ windows: [], targets, at: d('2025-11-18T10:00:00Z') })).toEqual([]);
  });

  it('orders findings freeze, outside-allowed, maintenance', () => {
    const ws: WindowSpec[] = [
      ...allow,
      { name: 'm', kind: 'maintenance', targets: { region: 'MIA' }, start: '2025-11-18T00:00:00Z', end: '2025-11-19T00:00:00Z' },
      { name: 'f', kind: 'freeze', start: '2025-11-18T00:00:00Z', end: '2025-11-19T00:00:00Z' },
    ];
    expect(windowFindings({ windows: ws, targets, at: d('2025-11-18T10:00:00Z') }).map((x) => x.rule)).toEqual([
      'window.freeze',
      'window.outside-allowed',
      'window.maintenance',
    ]);
  });
});

describe('determinism and misuse', () => {
  it('same input, same output', () => {
    const ws = importStatuspage(statuspage);
    const a = JSON.stringify(windowFindings({ windows: ws, targets: fleet, at: d('2025-11-18T11:20:00Z') }));
    const b = JSON.stringify(windowFindings({ windows: ws, targets: fleet, at: d('2025-11-18T11:20:00Z') }));
    expect(a).toBe(b);
  });

  it('throws OptionsError for an invalid date', () => {
    expect(() => windowFindings({ windows: [], at: new Date('x') })).toThrow(expect.objectContaining({ code: 'E_OPTIONS_INVALID' }));
  });
});
