/**
 * Compiling a WindowSpec's timing into something that can be expanded, and expanding it.
 *
 * - one-off: `start` + `end` (or `start` + `duration`); values without an offset are local to `timeZone`.
 * - cron: `schedule` + `duration` (+ `timeZone`), expanded with croner with Debian cron's semantics (see
 *   {@link cronOptions}): fixed-time jobs whose local time falls in a spring-forward gap fire once at the first
 *   valid time after the gap — `30 2` and `0,30 2` Europe/Berlin on the last Sunday of March fire at 03:00
 *   CEST — and fire once in a repeated hour; day of month and day of week are ANDed when either starts with `*`.
 * - rrule: `rrule` + `start` + `duration` (+ `timeZone`), expanded with the `rrule` package (a port of
 *   python-dateutil's rrule, cross-checked against dateutil in test/windows/rrule-dateutil.test.ts) in floating
 *   local time, each occurrence converted to an instant in `timeZone` (RFC 5545 rules for gaps and folds, see
 *   `time.ts`). `start` must be the first occurrence of the rule: RFC 5545 leaves a set whose DTSTART does not
 *   match its rule undefined and implementations disagree, so such a window is rejected, naming the first
 *   occurrence (the iCalendar import keeps such a DTSTART as an occurrence of its own). An all-day `start` cannot
 *   be combined with FREQ=HOURLY, BYHOUR, BYMINUTE or BYSECOND.
 *   `rrule` is either a bare RRULE value (`FREQ=WEEKLY;BYDAY=FR`) or RFC 5545 content lines: one
 *   `RRULE:...` line and any number of `EXDATE:...` lines (comma-separated values, local to `timeZone`
 *   unless they end in `Z`; a date-only value `20251226` excludes every occurrence starting on that local
 *   date). A date-only `start` (`2025-12-20`) makes an all-day window: each occurrence starts at local
 *   midnight and lasts `duration` (whole days) counted in calendar days in `timeZone`, so it ends at local
 *   midnight even across a DST change.
 *
 * Durations are absolute (62h after the local start) except for all-day rrule windows.
 *
 * Expansion is bounded: at most {@link MAX_OCCURRENCES} occurrences per window per query. A rule without COUNT
 * whose FREQ is HOURLY, DAILY or WEEKLY is expanded from a start moved forward by whole INTERVALs to just before
 * the queried range (the same occurrences, without walking every period since `start`); COUNT is at most
 * {@link MAX_RRULE_COUNT}.
 */
import { Cron } from 'croner';
import rrulePkg, { type Options as RRuleOptions } from 'rrule';
import type { WindowSpec } from '../types.js';
import { tryParseDuration } from '../units.js';
import { dateKey, instantToLocal, isValidTimeZone, localToInstant, parseTimeInput, toInstant, type LocalTime } from './time.js';

/** Most occurrences of one window returned by one query. */
export const MAX_OCCURRENCES = 10_000;
/** Largest RRULE COUNT accepted (a rule with COUNT is expanded from its start). */
export const MAX_RRULE_COUNT = 100_000;

// The package is CommonJS: Node's ESM loader exposes it as the default export only. Read on first use, not when
// this module loads: the CLI bundle requires rrule only when an rrule window is compiled (scripts/lazy-externals.mjs).
const RRule = (): typeof rrulePkg.RRule => rrulePkg.RRule;

const DAY_MS = 86_400_000;
const KINDS = new Set(['maintenance', 'freeze', 'allow']);
const RRULE_PARTS = new Set([
  'FREQ', 'UNTIL', 'COUNT', 'INTERVAL', 'BYSECOND', 'BYMINUTE', 'BYHOUR', 'BYDAY', 'BYMONTHDAY', 'BYYEARDAY',
  'BYWEEKNO', 'BYMONTH', 'BYSETPOS', 'WKST',
]);

interface Exclusions {
  /** Excluded start instants. */
  instants: Set<number>;
  /** Excluded local dates (`YYYYMMDD`). */
  dates: Set<string>;
}

/** A window ready to expand. */
export type CompiledWindow =
  | { form: 'once'; start: number; end: number }
  | { form: 'cron'; cron: Cron; durationMs: number }
  | {
      form: 'rrule';
      /** Parsed RRULE parts without DTSTART and UNTIL (UNTIL is checked on the zoned instant below). */
      options: Partial<RRuleOptions>;
      /** Period of the rule in floating ms when it can be moved forward by whole periods (no COUNT; HOURLY, DAILY, WEEKLY). */
      periodMs?: number;
      dtstart: LocalTime;
      allDay: boolean;
      /** Calendar days of a timed window with an ISO 8601 duration (`P1DT2H`): the end is this many local days after the start, plus `durationMs` minus those days. */
      nominalDays?: number;
      /** Whole days of an all-day window. */
      days: number;
      durationMs: number;
      zone: string;
      exclude: Exclusions;
      /** Last allowed start: an instant, or a local date (`YYYYMMDD`, inclusive) for a date UNTIL. */
      until?: { ms: number } | { date: string };
    };

/** Result of compiling: the compiled window, or the problems that prevent it. */
export interface CompileResult {
  compiled?: CompiledWindow;
  problems: string[];
}

const has = (v: unknown): boolean => v !== undefined && v !== null && v !== '';
const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : v instanceof Date ? v.toISOString() : JSON.stringify(v) ?? String(v));

/** Compiled windows by spec object, with the fields they were compiled from (a changed spec is compiled again). */
const compiledCache = new WeakMap<object, { key: string; result: CompileResult }>();

function cacheKey(spec: WindowSpec): string {
  return JSON.stringify([spec.name, spec.kind, spec.targets, spec.start, spec.end, spec.schedule, spec.rrule, spec.duration, spec.timeZone]);
}

/**
 * Check and compile a window. Never throws. The result is kept per spec object (and recomputed when one of its
 * fields changed), so a policy's windows are compiled once, not on every evaluation or planned wave.
 */
export function compileWindow(spec: WindowSpec): CompileResult {
  if (spec === null || typeof spec !== 'object') return compileFresh(spec);
  let key: string;
  try {
    key = cacheKey(spec);
  } catch {
    return compileFresh(spec);
  }
  const hit = compiledCache.get(spec);
  if (hit && hit.key === key) return hit.result;
  const result = compileFresh(spec);
  compiledCache.set(spec, { key, result });
  return result;
}

function compileFresh(spec: WindowSpec): CompileResult {
  const problems: string[] = [];
  let compiled: CompiledWindow | undefined;
  try {
    compiled = compileInto(spec, problems);
  } catch (err) {
    problems.push(`window could not be read: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (problems.length > 0 || !compiled) return { problems: problems.length > 0 ? problems : ['window could not be read'] };
  return { compiled, problems };
}

function compileInto(spec: WindowSpec, problems: string[]): CompiledWindow | undefined {
  if (spec === null || typeof spec !== 'object') {
    problems.push('a window must be an object with `name`, `kind` and a timing');
    return undefined;
  }
  if (typeof spec.name !== 'string' || spec.name.trim() === '') problems.push('`name` must be a non-empty string');
  if (!KINDS.has(spec.kind)) problems.push(`\`kind\` must be one of maintenance, freeze, allow; got ${show(spec.kind)}`);
  checkSelector(spec.targets, problems);

  const zone = spec.timeZone ?? 'UTC';
  let zoneOk = true;
  if (typeof zone !== 'string' || !isValidTimeZone(zone)) {
    problems.push(`\`timeZone\` must be an IANA time zone such as "Europe/Berlin" or "UTC"; got ${show(spec.timeZone)}`);
    zoneOk = false;
  }

  let durationMs: number | undefined;
  const nominal = typeof spec.duration === 'string' ? parseNominalDuration(spec.duration) : undefined;
  if (nominal && !has(spec.rrule)) {
    problems.push(`\`duration\` ${show(spec.duration)}: ISO 8601 durations (days counted in local calendar days) are only supported with \`rrule\`; use "24h" or "1d"`);
  }
  if (has(spec.duration)) {
    durationMs = nominal ? nominal.days * DAY_MS + nominal.ms : tryParseDuration(spec.duration);
    if (durationMs === undefined) {
      problems.push(`\`duration\` must be a duration like "4h" or "62h" or a number of milliseconds; got ${show(spec.duration)}`);
    } else if (durationMs <= 0) {
      problems.push(`\`duration\` must be greater than zero; got ${show(spec.duration)}`);
      durationMs = undefined;
    }
  }

  const forms = [has(spec.schedule) && 'schedule', has(spec.rrule) && 'rrule'].filter(Boolean);
  if (forms.length > 1) {
    problems.push('use one timing form: `start`+`end`, `schedule`+`duration` (cron) or `rrule`+`start`+`duration`, not both `schedule` and `rrule`');
    return undefined;
  }

  if (has(spec.schedule)) {
    if (has(spec.start) || has(spec.end)) problems.push('`start`/`end` cannot be combined with `schedule`; a cron window repeats from `schedule` and lasts `duration`');
    if (typeof spec.schedule !== 'string') {
      problems.push(`\`schedule\` must be a 5-field cron expression such as "0 18 * * FRI"; got ${show(spec.schedule)}`);
      return undefined;
    }
    if (!has(spec.duration)) problems.push('`duration` is required with `schedule` (how long each occurrence lasts, e.g. "62h")');
    let cron: Cron | undefined;
    try {
      // UTC as a fixed offset: the same runs, without a time-zone lookup per step (several times faster).
      const utc = zone === 'UTC' || zone === 'Etc/UTC';
      cron = new Cron(spec.schedule, { mode: '5-part', ...cronOptions(spec.schedule), ...(utc ? { utcOffset: 0 } : zoneOk ? { timezone: zone } : {}) });
    } catch (err) {
      const why = err instanceof Error ? err.message.replace(/^CronPattern: /, '') : String(err);
      problems.push(`\`schedule\` ${show(spec.schedule)} is not a valid 5-field cron expression (minute hour day-of-month month day-of-week): ${why}`);
    }
    // Whether the pattern ever matches does not depend on the zone: ask a UTC copy (cheap).
    if (cron && zoneOk && new Cron(spec.schedule, { mode: '5-part', ...cronOptions(spec.schedule), utcOffset: 0 }).nextRun(new Date(Date.UTC(2000, 0, 1))) === null) {
      problems.push(`\`schedule\` ${show(spec.schedule)} never fires`);
    }
    if (!cron || durationMs === undefined || problems.length > 0) return undefined;
    return { form: 'cron', cron, durationMs };
  }

  if (has(spec.rrule)) {
    return compileRrule(spec, zone, zoneOk, durationMs, nominal, problems);
  }

  // One-off.
  if (!has(spec.start)) {
    problems.push('a window needs a timing: `start`+`end` (one-off), `schedule`+`duration` (cron) or `rrule`+`start`+`duration`');
    return undefined;
  }
  const start = parseTimeInput(spec.start);
  if (!start) problems.push(`\`start\` must be an ISO-8601 date-time such as "2025-11-18T09:00:00Z"; got ${show(spec.start)}`);
  let end: number | undefined;
  if (has(spec.end)) {
    if (has(spec.duration)) problems.push('give either `end` or `duration` for a one-off window, not both');
    const e = parseTimeInput(spec.end);
    if (!e) problems.push(`\`end\` must be an ISO-8601 date-time such as "2025-11-18T15:00:00Z"; got ${show(spec.end)}`);
    else if (zoneOk) end = toInstant(e, zone);
  } else if (!has(spec.duration)) {
    problems.push('`end` is required with `start` (or give `duration`, or `rrule` for a repeating window)');
  }
  if (!start || !zoneOk) return undefined;
  const s = toInstant(start, zone);
  if (end === undefined && durationMs !== undefined) end = s + durationMs;
  if (end !== undefined && end <= s) {
    problems.push(`\`end\` (${show(spec.end)}) must be after \`start\` (${show(spec.start)})`);
  }
  if (end === undefined || problems.length > 0) return undefined;
  return { form: 'once', start: s, end };
}

/**
 * Vixie/Debian cron semantics on top of croner:
 * - day of month and day of week: when either field starts with `*` (`*`, `*\/2`) both must match (AND); when
 *   both are restricted (`1-7` and `MON`) either may match (OR). croner alone would OR `*\/2` with `MON`.
 * - DST: a job whose minute and hour fields have no wildcard and no step (`30 2`, `0,30 2`, `30 1-3`) is a
 *   fixed-time job: in a spring-forward gap it fires once, at the first valid time after the gap, and in a
 *   repeated (fall-back) hour it fires once, at the first occurrence. Other jobs (`*\/15 2`, `0 *`) follow the
 *   new wall clock: skipped times do not fire and repeated times fire twice. Debian counts `0-59/15` as fixed
 *   time; croner (and so confgate) counts any step as an interval.
 */
function cronOptions(schedule: string): { fixedTimeRule: 'no-wildcard'; domAndDow: boolean } {
  const f = schedule.trim().split(/\s+/);
  const star = (x: string | undefined): boolean => x !== undefined && (x.startsWith('*') || x.startsWith('?'));
  return { fixedTimeRule: 'no-wildcard', domAndDow: f.length === 5 && (star(f[2]) || star(f[4])) };
}

function checkSelector(sel: unknown, problems: string[]): void {
  if (sel === undefined) return;
  if (sel === null || typeof sel !== 'object' || Array.isArray(sel)) {
    problems.push('`targets` must be a label selector such as { region: SCL } or { region: [SCL, MIA] }');
    return;
  }
  for (const [k, v] of Object.entries(sel)) {
    const ok = typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'));
    if (!ok) problems.push(`\`targets.${k}\` must be a string or a list of strings; got ${show(v)}`);
  }
}

function compileRrule(
  spec: WindowSpec,
  zone: string,
  zoneOk: boolean,
  durationMs: number | undefined,
  nominal: { days: number; ms: number } | undefined,
  problems: string[],
): CompiledWindow | undefined {
  if (typeof spec.rrule !== 'string') {
    problems.push(`\`rrule\` must be an RRULE string such as "FREQ=WEEKLY;BYDAY=FR"; got ${show(spec.rrule)}`);
    return undefined;
  }
  if (has(spec.end)) problems.push('`end` cannot be combined with `rrule`; give `duration` (how long each occurrence lasts)');
  if (!has(spec.duration)) problems.push('`duration` is required with `rrule` (how long each occurrence lasts, e.g. "4h")');
  const start = has(spec.start) ? parseTimeInput(spec.start) : undefined;
  if (!has(spec.start)) problems.push('`start` is required with `rrule` (the first occurrence, e.g. "2025-01-03T18:00:00")');
  else if (!start) problems.push(`\`start\` must be an ISO-8601 date or date-time such as "2025-01-03T18:00:00"; got ${show(spec.start)}`);

  // Split content lines.
  let ruleText: string | undefined;
  const exdates: string[] = [];
  const lines = spec.rrule.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  for (const line of lines) {
    const rr = /^RRULE:(.*)$/i.exec(line);
    const ex = /^EXDATE([;:])(.*)$/i.exec(line);
    if (rr) {
      if (ruleText !== undefined) problems.push('`rrule` may hold only one RRULE');
      ruleText = rr[1]!;
    } else if (ex) {
      if (ex[1] === ';') {
        problems.push(`\`rrule\` line ${show(line)}: EXDATE parameters are not supported; values are local to \`timeZone\` (or end in Z)`);
        continue;
      }
      exdates.push(...ex[2]!.split(',').map((v) => v.trim()).filter((v) => v !== ''));
    } else if (/^[A-Z]+=/i.test(line)) {
      if (ruleText !== undefined) problems.push('`rrule` may hold only one RRULE');
      ruleText = line;
    } else {
      problems.push(`\`rrule\` line ${show(line)} is not supported: give an RRULE value and optional EXDATE lines`);
    }
  }
  if (ruleText === undefined) {
    problems.push('`rrule` has no RRULE (expected e.g. "FREQ=WEEKLY;BYDAY=FR")');
    return undefined;
  }

  // Validate the RRULE parts ourselves: ical.js ignores unknown parts and returns `freq: null` for garbage.
  let untilText: string | undefined;
  const kept: string[] = [];
  let freq: string | undefined;
  for (const part of ruleText.split(';').filter((p) => p !== '')) {
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).toUpperCase();
    const value = eq < 0 ? '' : part.slice(eq + 1);
    if (!RRULE_PARTS.has(key) || value === '') {
      problems.push(`\`rrule\` part ${show(part)} is not a valid RRULE part (FREQ, INTERVAL, COUNT, UNTIL, BYDAY, BYMONTH, ...)`);
      continue;
    }
    if (key === 'FREQ') freq = value.toUpperCase();
    if (key === 'UNTIL') untilText = value;
    else kept.push(`${key}=${value}`);
  }
  if (freq === undefined) problems.push(`\`rrule\` ${show(ruleText)} needs FREQ (e.g. "FREQ=WEEKLY;BYDAY=FR")`);
  else if (freq === 'SECONDLY' || freq === 'MINUTELY') {
    problems.push(`\`rrule\` FREQ=${freq} is too fine for a window; use \`schedule\` (cron) instead`);
  }
  let options: Partial<RRuleOptions> | undefined;
  try {
    options = RRule().parseString(kept.join(';'));
    if (options.freq === undefined || options.freq === null) throw new Error('no FREQ');
    // The package yields times within a day in the order the lists are written (BYMINUTE=30,0 gives 20:30 before
    // 20:00, and `after()` then misses 20:00): sort them as RFC 5545 and dateutil do.
    for (const k of ['byhour', 'byminute', 'bysecond'] as const) {
      const v = options[k];
      if (Array.isArray(v)) options[k] = [...v].sort((a, b) => a - b);
    }
    new (RRule())(options); // validates the parts' values
    if (typeof options.count === 'number') {
      if (untilText !== undefined) problems.push('`rrule` must not have both COUNT and UNTIL');
      if (!(options.count >= 1 && options.count <= MAX_RRULE_COUNT)) {
        problems.push(`\`rrule\` COUNT must be between 1 and ${MAX_RRULE_COUNT}; got ${options.count} (use UNTIL for a longer series)`);
      }
    }
  } catch (err) {
    if (freq !== undefined) problems.push(`\`rrule\` ${show(ruleText)} is not a valid RRULE: ${err instanceof Error ? err.message : String(err)}`);
    options = undefined;
  }

  let until: { ms: number } | { date: string } | undefined;
  if (untilText !== undefined) {
    const u = parseIcalValue(untilText);
    if (!u) problems.push(`\`rrule\` UNTIL=${untilText} must be a date (20261231) or date-time (20261231T235959Z)`);
    else if (zoneOk) until = u.kind === 'date' ? { date: dateKey(u.local) } : { ms: toInstant(u, zone) };
  }

  const exclude: Exclusions = { instants: new Set(), dates: new Set() };
  for (const v of exdates) {
    const e = parseIcalValue(v);
    if (!e) {
      problems.push(`\`rrule\` EXDATE value ${show(v)} must be a date (20251226) or date-time (20251226T180000, or ...Z for UTC)`);
    } else if (zoneOk) {
      if (e.kind === 'date') exclude.dates.add(dateKey(e.local));
      else exclude.instants.add(toInstant(e, zone));
    }
  }

  if (!start || !options || !zoneOk || durationMs === undefined) return undefined;
  const allDay = start.kind === 'date';
  let days = 0;
  if (allDay) {
    if (durationMs % DAY_MS !== 0) {
      problems.push(`\`duration\` of an all-day window (date-only \`start\`) must be whole days such as "1d" or "15d"; got ${show(spec.duration)}`);
    }
    days = Math.round(durationMs / DAY_MS);
    const timed = ['BYHOUR', 'BYMINUTE', 'BYSECOND'].filter((k) => kept.some((p) => p.startsWith(`${k}=`)));
    if (freq === 'HOURLY') timed.unshift('FREQ=HOURLY');
    if (timed.length > 0) {
      problems.push(`\`rrule\` uses ${timed.join(', ')} but \`start\` is a date (an all-day window): give \`start\` a time (e.g. "${String(spec.start)}T09:00:00"), or remove ${timed.join(', ')}`);
    }
  }
  if (problems.length > 0) return undefined;
  const dtstart = start.kind === 'instant' ? instantToLocal(start.ms, zone) : start.local;
  const byday = kept.find((p) => p.toUpperCase().startsWith('BYDAY='))?.slice(6).split(',') ?? [];
  const positioned = byday.filter((d) => /^[+-]?\d/.test(d.trim()));
  if (positioned.length > 0 && positioned.length < byday.length) {
    // dateutil (and the rrule package) require both kinds to match, RFC 5545 reads the list as a union.
    problems.push(`\`rrule\` BYDAY=${byday.join(',')} mixes weekdays with and without a position: calendars disagree on what it means; use two windows`);
    return undefined;
  }
  const negativeSetpos = (options.bysetpos === undefined || options.bysetpos === null ? [] : [options.bysetpos].flat()).filter((v) => v < -1);
  if (negativeSetpos.length > 0) {
    // The rrule package wraps around when a period has fewer candidates (BYSETPOS=-5 in a month with four
    // Fridays gives the first Friday); dateutil and RFC 5545 give nothing. Refuse rather than invent occurrences.
    problems.push(`\`rrule\` BYSETPOS=${negativeSetpos.join(',')} is not supported: use BYSETPOS=-1 (the last) or positive positions`);
    return undefined;
  }
  const unit = freq === 'HOURLY' ? 3_600_000 : freq === 'DAILY' ? DAY_MS : freq === 'WEEKLY' ? 7 * DAY_MS : undefined;
  const periodMs = unit !== undefined && typeof options.count !== 'number' ? unit * (options.interval ?? 1) : undefined;
  const firing = firesAtAll(options, floating(dtstart).getTime(), periodMs);
  if (firing !== true) {
    problems.push(`\`rrule\` ${show(ruleText)} never fires from \`start\` ${show(spec.start)} (${firing})`);
    return undefined;
  }
  const first = new (RRule())({ ...options, dtstart: floating(dtstart) }).after(floating(dtstart), true);
  if (!first) {
    problems.push(`\`rrule\` ${show(ruleText)} never fires from \`start\` ${show(spec.start)}`);
    return undefined;
  }
  if (first.getTime() !== floating(dtstart).getTime()) {
    problems.push(
      `\`start\` ${show(spec.start)} is not an occurrence of \`rrule\` ${show(ruleText)}: make \`start\` the first occurrence (${showFloating(first, allDay)}); ` +
        'RFC 5545 leaves a start that does not match its rule undefined, and calendars disagree on whether it counts',
    );
    return undefined;
  }
  return {
    form: 'rrule',
    options,
    ...(nominal && !allDay && nominal.days > 0 ? { nominalDays: nominal.days } : {}),
    ...(periodMs !== undefined ? { periodMs } : {}),
    dtstart,
    allDay,
    days,
    durationMs,
    zone,
    exclude,
    ...(until ? { until } : {}),
  };
}

/**
 * An ISO 8601 / RFC 5545 duration (`P1D`, `P2W`, `PT90M`, `P1DT2H`): weeks and days are nominal (calendar days),
 * hours, minutes and seconds exact. Undefined for anything else.
 */
export function parseNominalDuration(text: string): { days: number; ms: number } | undefined {
  const m = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/i.exec(text.trim());
  if (!m || text.trim().length <= 1 || /T$/i.test(text.trim())) return undefined;
  const [, w, d, h, mi, sec] = m.map((x) => (x === undefined ? 0 : Number(x))) as number[];
  return { days: w! * 7 + d!, ms: ((h! * 60 + mi!) * 60 + sec!) * 1000 };
}

/** Parse an iCalendar basic-format value: `20251226`, `20251226T180000`, `20251226T170000Z`. ISO forms are accepted too. */
export function parseIcalValue(v: string): ReturnType<typeof parseTimeInput> {
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z)?)?$/i.exec(v.trim());
  if (!m) return parseTimeInput(v);
  const [, y, mo, d, h, mi, s, z] = m;
  if (h === undefined) return parseTimeInput(`${y}-${mo}-${d}`);
  return parseTimeInput(`${y}-${mo}-${d}T${h}:${mi}:${s}${z ? 'Z' : ''}`);
}

/** One expanded occurrence, in epoch milliseconds (end exclusive). */
export interface Span {
  start: number;
  end: number;
}

/**
 * Occurrences whose start lies in [startMin, startMax], ascending, at most `limit` ({@link MAX_OCCURRENCES}).
 * Never throws: a window that cannot be expanded yields nothing.
 */
export function expandStarts(c: CompiledWindow, startMin: number, startMax: number, limit = MAX_OCCURRENCES): Span[] {
  const out: Span[] = [];
  if (!(startMax >= startMin)) return out;
  try {
    if (c.form === 'once') {
      if (c.start >= startMin && c.start <= startMax) out.push({ start: c.start, end: c.end });
      return out;
    }
    if (c.form === 'cron') {
      // enumerate() yields runs strictly after its argument, in whole seconds.
      const it = c.cron.enumerate(new Date(Math.floor(startMin / 1000) * 1000 - 1000));
      while (out.length < limit) {
        const r = it.next();
        if (r.done || !r.value) break;
        const s = r.value.getTime();
        if (s > startMax) break;
        // Two fixed times in one DST gap fire together, once.
        if (s >= startMin && out[out.length - 1]?.start !== s) out.push({ start: s, end: s + c.durationMs });
      }
      return out;
    }
    return expandRrule(c, startMin, startMax, limit);
  } catch {
    // Fail soft here: checkWindow reports problems, and the policy loader rejects invalid windows first.
  }
  return out;
}

/**
 * The first occurrence of an RRULE value at or after `dtstart` (local wall-clock), or undefined when it never fires
 * or cannot be read. Used by the iCalendar import, where DTSTART counts as an occurrence even when it does not match.
 */
export function firstOccurrence(rule: string, dtstart: LocalTime): LocalTime | undefined {
  try {
    const options = RRule().parseString(rule.split(';').filter((p) => !/^UNTIL=/i.test(p)).join(';'));
    const d = floating(dtstart);
    if (firesAtAll(options, d.getTime(), undefined) !== true) return undefined;
    const first = new (RRule())({ ...options, dtstart: d }).after(d, true);
    return first ? fromFloating(first) : undefined;
  } catch {
    return undefined;
  }
}

/** A local time as a "floating" Date: its UTC fields are the wall-clock fields (how the rrule package is fed). */
function floating(l: LocalTime): Date {
  return new Date(Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second));
}

function fromFloating(d: Date): LocalTime {
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds() };
}

function showFloating(d: Date, allDay: boolean): string {
  const iso = d.toISOString();
  return allDay ? iso.slice(0, 10) : iso.slice(0, 19);
}

/** 400 Gregorian years: the calendar (leap years and weekdays) repeats exactly after this many days. */
const CYCLE_MS = 146_097 * DAY_MS;
/** The rrule package searches up to the year 9999 for an occurrence: start searches close to it to bound them. */
const LAST_YEAR = 9999;
/** A rule moved by whole periods must fire within this many years (less often is rejected). */
const SPARSEST_YEARS = 30;

/**
 * Whether the rule fires at all, in bounded time (the package would otherwise walk every period up to the year
 * 9999 for a rule that never fires, which takes minutes for a DAILY rule). True, or why not.
 * - Rules that can be moved by whole periods (no COUNT; HOURLY, DAILY, WEEKLY) are started {@link SPARSEST_YEARS}
 *   before the year 9999: the occurrences are the same, and the search ends there.
 * - Others are moved by whole 400-year cycles (the same calendar) to start between 400 and 800 years before it.
 */
function firesAtAll(options: Partial<RRuleOptions>, dtstart: number, periodMs: number | undefined): true | string {
  const yearOf = (ms: number): number => new Date(ms).getUTCFullYear();
  let start = dtstart;
  if (periodMs !== undefined) {
    const target = Date.UTC(LAST_YEAR - SPARSEST_YEARS, 0, 1);
    if (target > start) start += Math.floor((target - start) / periodMs) * periodMs;
    if (new (RRule())({ ...options, dtstart: new Date(start) }).after(new Date(start), true)) return true;
    return `it fires less than once in ${SPARSEST_YEARS} years`;
  }
  const cycles = Math.floor((LAST_YEAR - 400 - yearOf(start)) / 400);
  if (cycles > 0) start += cycles * CYCLE_MS;
  if (new (RRule())({ ...options, dtstart: new Date(start) }).after(new Date(start), true)) return true;
  return 'no occurrence in 400 years';
}

/** Local-time slack around a queried range: UTC offsets and DST shifts are far below a day. */
const SLACK_MS = 2 * DAY_MS;

function expandRrule(c: Extract<CompiledWindow, { form: 'rrule' }>, startMin: number, startMax: number, limit: number): Span[] {
  const lo = instantToLocal(Math.max(startMin, -8.64e15 + SLACK_MS), c.zone);
  const hi = instantToLocal(Math.min(startMax, 8.64e15 - SLACK_MS), c.zone);
  const from = floating(lo).getTime() - SLACK_MS;
  const to = floating(hi).getTime() + SLACK_MS;
  let dtstart = floating(c.dtstart).getTime();
  if (c.periodMs !== undefined && from - dtstart > 2 * c.periodMs) {
    // Same occurrences from a start moved forward by whole periods, ending at least one period before `from`.
    dtstart += (Math.floor((from - dtstart) / c.periodMs) - 1) * c.periodMs;
  }
  const rule = new (RRule())({ ...c.options, dtstart: new Date(dtstart) });
  const out: Span[] = [];
  // Occurrences arrive in local order; around a DST gap the instants may be out of order by an hour, so collect a
  // few more than `limit`, then sort and cut.
  const want = limit + 64;
  rule.between(new Date(from), new Date(to), true, (d) => {
    const local = fromFloating(d);
    const s = localToInstant(local, c.zone);
    if (c.until && ('ms' in c.until ? s > c.until.ms : dateKey(local) > c.until.date)) return false;
    if (s < startMin || s > startMax) return true;
    if (c.exclude.instants.has(s) || c.exclude.dates.has(dateKey(local))) return true;
    let e = s + c.durationMs;
    if (c.nominalDays !== undefined) {
      const later = fromFloating(new Date(Date.UTC(local.year, local.month - 1, local.day + c.nominalDays, local.hour, local.minute, local.second)));
      e = localToInstant(later, c.zone) + (c.durationMs - c.nominalDays * DAY_MS);
    } else if (c.allDay) {
      e = localToInstant(fromFloating(new Date(Date.UTC(local.year, local.month - 1, local.day + c.days))), c.zone);
    }
    out.push({ start: s, end: e });
    return out.length < want;
  });
  out.sort((a, b) => a.start - b.start);
  return out.length > limit ? out.slice(0, limit) : out;
}

/** Longest possible occurrence of a compiled window, in ms (all-day windows may be an hour longer across DST). */
export function maxDuration(c: CompiledWindow): number {
  if (c.form === 'once') return c.end - c.start;
  if (c.form === 'rrule' && (c.allDay || c.nominalDays !== undefined)) return c.durationMs + 3 * 3_600_000;
  return c.durationMs;
}

/**
 * The latest occurrence starting in (after, upTo], or undefined. O(1) for cron windows (croner searches
 * backwards); rrule windows are expanded forward (bounded like {@link expandStarts}).
 */
export function lastStartIn(c: CompiledWindow, after: number, upTo: number): Span | undefined {
  if (!(upTo > after)) return undefined;
  if (c.form === 'cron') {
    try {
      const prev = c.cron.previousRuns(1, new Date(Math.floor(upTo / 1000) * 1000 + 1000))[0];
      if (!prev) return undefined;
      const s = prev.getTime();
      return s > after && s <= upTo ? { start: s, end: s + c.durationMs } : undefined;
    } catch {
      return undefined;
    }
  }
  const spans = expandStarts(c, after + 1, upTo);
  return spans[spans.length - 1];
}

/**
 * Whether the window is active at `at` (some occurrence has start <= at < end), as the span from the earliest
 * active start to the latest active end. Cheap for cron windows, whatever the schedule density.
 */
export function activeSpan(c: CompiledWindow, at: number): Span | undefined {
  const from = at - maxDuration(c);
  if (c.form === 'cron') {
    const last = lastStartIn(c, from, at);
    if (!last || last.end <= at) return undefined;
    const first = expandStarts(c, from + 1, at, 1)[0] ?? last;
    return { start: first.start, end: last.end };
  }
  const spans = expandStarts(c, from, at).filter((s) => s.start <= at && s.end > at);
  if (spans.length === 0) return undefined;
  return { start: Math.min(...spans.map((s) => s.start)), end: Math.max(...spans.map((s) => s.end)) };
}
