/**
 * Hostile window policies (issue #15, "windows × targets"), generated at test time: many cron and RRULE windows
 * over many targets must give the right findings and plan, and what is too much must be refused with a clear
 * error. Costs are measured by bench/windows.mjs (BENCHMARKS.md), not here.
 */
import { describe, expect, it } from 'vitest';
import { createGate, listWindows, MAX_TOTAL_OCCURRENCES, MAX_WINDOWS, occurrencesBetween, planRollout, PolicyError, resolvePolicy } from '../../src/index.js';
import type { Target, WindowSpec } from '../../src/index.js';

const REGIONS = Array.from({ length: 20 }, (_, i) => `R${i}`);
const targets: Target[] = Array.from({ length: 200 }, (_, i) => ({ id: `t${i}`, labels: { region: REGIONS[i % 20]!, env: 'prod' } }));

/** `n` windows, maintenance only, each on one region; `form` decides the timing. */
function windows(n: number, form: 'cron' | 'rrule'): WindowSpec[] {
  return Array.from({ length: n }, (_, i) => {
    const w: WindowSpec = { name: `w${i}`, kind: 'maintenance', targets: { region: REGIONS[i % 20]! } };
    // Region R0's windows are active at the evaluation time (Friday 6 March 2026, 18:30Z); the others are not.
    if (form === 'cron') Object.assign(w, i % 20 === 0 ? { schedule: '0 18 * * 5', duration: '1h' } : { schedule: `${i % 60} 3 * * *`, duration: '10m' });
    else Object.assign(w, { rrule: 'FREQ=WEEKLY;BYDAY=FR', start: i % 20 === 0 ? '2000-01-07T18:00:00Z' : '2000-01-07T06:00:00Z', duration: '2h' });
    return w;
  });
}

const at = new Date('2026-03-06T18:30:00Z');
const stages = [
  { name: 'canary', percent: 5, bake: '10m' },
  { name: 'all', percent: 100 },
];

describe('many windows over many targets', () => {
  for (const form of ['cron', 'rrule'] as const) {
    it(`1,000 ${form} windows over 200 targets: the maintenance finding names exactly region R0's targets`, () => {
      const ws = windows(1000, form);
      const gate = createGate(resolvePolicy({ version: 1, windows: ws, rollout: { stages } }));
      const report = gate.evaluate({ proposed: { a: 1 }, current: { a: 0 }, targets, at });
      const maint = report.findings.find((f) => f.rule === 'window.maintenance');
      const r0 = targets.filter((t) => t.labels.region === 'R0').map((t) => t.id);
      expect(maint?.detail?.targets).toEqual(r0);
      const plan = planRollout({ targets, stages, windows: ws, at });
      const planned = new Set(plan.waves.flatMap((w) => w.targets.map((t) => t.id)));
      for (const id of r0) expect(planned.has(id)).toBe(false);
      expect(planned.size).toBe(200 - r0.length);
    }, 600_000);
  }
});

describe('what one policy may ask for is capped, with a clear error', () => {
  it(`more than ${MAX_WINDOWS} windows is a policy error naming the cap`, () => {
    const ws = windows(MAX_WINDOWS + 1, 'cron');
    let err: unknown;
    try {
      resolvePolicy({ version: 1, windows: ws });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PolicyError);
    expect(String((err as Error).message)).toContain(`at most ${MAX_WINDOWS} windows`);
  }, 600_000);

  it(`more than ${MAX_TOTAL_OCCURRENCES} occurrences in one query is an OptionsError, not gigabytes`, () => {
    const every = Array.from({ length: 20 }, (_, i): WindowSpec => ({ name: `m${i}`, kind: 'freeze', schedule: '* * * * *', duration: '1m' }));
    expect(() => occurrencesBetween(every, new Date('2026-01-01T00:00:00Z'), new Date('2026-01-08T00:00:00Z'))).toThrow(/more than 100000 occurrences/);
    expect(() => listWindows(every, new Date('2026-01-01T00:00:00Z'), 7)).toThrow(/more than 100000 occurrences/);
    // A range they fit in is fine.
    expect(occurrencesBetween(every, new Date('2026-01-01T00:00:00Z'), new Date('2026-01-01T01:00:00Z'))).toHaveLength(20 * 60);
  }, 600_000);
});
