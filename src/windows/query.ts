/** Queries over windows: occurrences in a range, active at an instant, listings. All pure: time is an input. */
import { OptionsError } from '../errors.js';
import { matchesSelector } from '../targets.js';
import type { Target, WindowOccurrence, WindowSpec } from '../types.js';
import { activeSpan, compileWindow, expandStarts, maxDuration, type CompiledWindow, type Span } from './recurrence.js';

/** Problems in a window spec, each naming the field (`schedule`, `timeZone`, `duration`...), for policy validation. [] = valid. */
export function checkWindow(spec: WindowSpec): string[] {
  return compileWindow(spec).problems;
}

function timeArg(d: unknown, field: string): number {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) {
    throw new OptionsError(`\`${field}\` must be a valid Date, got ${d instanceof Date ? 'an invalid Date' : JSON.stringify(d)}`);
  }
  return d.getTime();
}

function windowsArg(windows: unknown): readonly WindowSpec[] {
  if (!Array.isArray(windows)) throw new OptionsError(`\`windows\` must be an array of window specs, got ${typeof windows}`);
  return windows as readonly WindowSpec[];
}

/** Compiled valid windows; invalid ones are skipped (checkWindow reports them). */
export function compileAll(windows: readonly WindowSpec[]): Array<{ spec: WindowSpec; c: CompiledWindow }> {
  const out: Array<{ spec: WindowSpec; c: CompiledWindow }> = [];
  for (const spec of windows) {
    const { compiled } = compileWindow(spec);
    if (compiled) out.push({ spec, c: compiled });
  }
  return out;
}

function toOccurrence(spec: WindowSpec, s: Span): WindowOccurrence {
  return { window: spec, start: new Date(s.start).toISOString(), end: new Date(s.end).toISOString() };
}

/** Sort by start, then window name, then end. */
export function sortOccurrences(list: WindowOccurrence[]): WindowOccurrence[] {
  return list.sort(
    (a, b) =>
      cmp(a.start, b.start) || cmp(a.window.name, b.window.name) || cmp(a.end, b.end) || cmp(a.window.kind, b.window.kind),
  );
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Most windows one policy may hold, its imports included. */
export const MAX_WINDOWS = 5_000;
/** Most occurrences one query (`occurrencesBetween`, `listWindows`) returns over all windows. */
export const MAX_TOTAL_OCCURRENCES = 100_000;

function tooMany(): never {
  throw new OptionsError(
    `the windows have more than ${MAX_TOTAL_OCCURRENCES} occurrences in the requested range: ask for a shorter range, or use fewer or less frequent windows`,
  );
}

/** Occurrences overlapping [from, to), of already compiled windows. Throws OptionsError past {@link MAX_TOTAL_OCCURRENCES}. */
export function overlapping(compiled: Array<{ spec: WindowSpec; c: CompiledWindow }>, from: number, to: number): WindowOccurrence[] {
  const out: WindowOccurrence[] = [];
  if (!(to > from)) return out;
  for (const { spec, c } of compiled) {
    // Starts after from - maxDuration can still overlap [from, to).
    for (const s of expandStarts(c, from - maxDuration(c), to - 1)) {
      if (s.end > from && s.start < to) out.push(toOccurrence(spec, s));
    }
    if (out.length > MAX_TOTAL_OCCURRENCES) tooMany();
  }
  return sortOccurrences(out);
}

/**
 * Every occurrence overlapping [from, to), sorted by start then name. Pure. Invalid windows are skipped (see
 * {@link checkWindow}); at most 10,000 occurrences per window are returned. Throws `OptionsError` when `from` or
 * `to` is not a valid Date, or when all windows together have more than {@link MAX_TOTAL_OCCURRENCES} occurrences
 * in the range.
 */
export function occurrencesBetween(windows: readonly WindowSpec[], from: Date, to: Date): WindowOccurrence[] {
  const f = timeArg(from, 'from');
  const t = timeArg(to, 'to');
  return overlapping(compileAll(windowsArg(windows)), f, t);
}

/** Occurrences active at `at` (start <= at < end), sorted by start then name. */
export function activeAt(windows: readonly WindowSpec[], at: Date): WindowOccurrence[] {
  const t = timeArg(at, 'at');
  return overlapping(compileAll(windowsArg(windows)), t, t + 1);
}

/** Active and upcoming windows, for `confgate windows`. */
export interface WindowListing {
  /** Occurrences active at `at`. */
  active: WindowOccurrence[];
  /** Occurrences starting after `at` and no later than `at + days`. */
  upcoming: WindowOccurrence[];
}

/**
 * For `confgate windows`: occurrences active at `at`, and those starting within the next `days` days
 * (`at < start <= at + days`). Both sorted by start then name.
 * @param days @default 7
 */
export function listWindows(windows: readonly WindowSpec[], at: Date, days = 7): WindowListing {
  const t = timeArg(at, 'at');
  if (typeof days !== 'number' || !Number.isFinite(days) || days < 0) {
    throw new OptionsError(`\`days\` must be a non-negative number of days, got ${JSON.stringify(days)}`);
  }
  const compiled = compileAll(windowsArg(windows));
  const active = overlapping(compiled, t, t + 1);
  const upcoming: WindowOccurrence[] = [];
  for (const { spec, c } of compiled) {
    for (const s of expandStarts(c, t + 1, t + days * 86_400_000)) {
      upcoming.push(toOccurrence(spec, s));
    }
    if (upcoming.length > MAX_TOTAL_OCCURRENCES) tooMany();
  }
  return { active, upcoming: sortOccurrences(upcoming) };
}

/**
 * Targets under maintenance at `at`, with the names of the active maintenance windows that cover each
 * (sorted, unique). Only targets under maintenance are in the map. Used by the rollout planner.
 */
export function targetsUnderMaintenance(windows: readonly WindowSpec[], targets: readonly Target[], at: Date): Map<string, string[]> {
  const t = timeArg(at, 'at');
  const active = activeMaintenance(windowsArg(windows), t);
  const out = new Map<string, string[]>();
  if (active.length === 0) return out;
  // Windows without a selector apply to every target; the others are looked up by one of their labels.
  const everywhere = active.filter(({ spec }) => !spec.targets || Object.keys(spec.targets).length === 0);
  const byLabel = new Map<string, Map<string, Array<{ spec: WindowSpec }>>>();
  for (const w of active) {
    if (everywhere.includes(w)) continue;
    const [label, value] = Object.entries(w.spec.targets!)[0]!;
    let values = byLabel.get(label);
    if (!values) byLabel.set(label, (values = new Map()));
    for (const v of Array.isArray(value) ? value : [value]) {
      const list = values.get(v);
      if (list) list.push(w);
      else values.set(v, [w]);
    }
  }
  for (const target of targets) {
    const hits = new Set<string>(everywhere.map(({ spec }) => spec.name));
    for (const [label, values] of byLabel) {
      const value = target.labels?.[label];
      if (value === undefined) continue;
      for (const { spec } of values.get(value) ?? []) if (matchesSelector(target, spec.targets)) hits.add(spec.name);
    }
    if (hits.size > 0) out.set(target.id, [...hits].sort());
  }
  return out;
}

/** Active maintenance windows at `t`, remembered for the last instant asked per windows list (the planner asks many times). */
const activeCache = new WeakMap<readonly WindowSpec[], { t: number; specs: WindowSpec[]; active: Array<{ spec: WindowSpec; c: CompiledWindow }> }>();

function activeMaintenance(windows: readonly WindowSpec[], t: number): Array<{ spec: WindowSpec; c: CompiledWindow }> {
  // The same list holding the same window objects at the same instant: the same answer (the planner asks once per
  // wave and target). A window object changed in place between two calls at one instant is not noticed.
  const specs = windows.filter((w) => w?.kind === 'maintenance');
  const hit = activeCache.get(windows);
  if (hit && hit.t === t && hit.specs.length === specs.length && specs.every((s, i) => s === hit.specs[i])) return hit.active;
  const active = compileAll(specs).filter(({ c }) => activeSpan(c, t));
  activeCache.set(windows, { t, specs, active });
  return active;
}
