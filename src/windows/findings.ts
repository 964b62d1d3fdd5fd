/** Gate findings from windows: window.freeze, window.outside-allowed, window.maintenance. Pure. */
import { matchesSelector } from '../targets.js';
import type { Finding, JsonObject, JsonValue, LabelSelector, Target, WindowSpec } from '../types.js';
import { OptionsError } from '../errors.js';
import { compileAll } from './query.js';
import { activeSpan, expandStarts, lastStartIn, type CompiledWindow } from './recurrence.js';
import { formatInstant, formatLocal } from './time.js';
import { OPEN_END } from './import-statuspage.js';

const OPEN_END_MS = Date.parse(OPEN_END);

/** Input of {@link windowFindings}. */
export interface WindowFindingsInput {
  windows: readonly WindowSpec[];
  /** Targets of the push. Without them, selectors cannot be checked (see {@link windowFindings}). */
  targets?: readonly Target[];
  /** Evaluation time. */
  at: Date;
  /** Break-glass override: freeze findings become warnings carrying the reason. Nothing else is relaxed. */
  override?: { reason: string };
}

const DAY_MS = 86_400_000;
/** How far ahead to look for the next allow window. */
const NEXT_ALLOW_HORIZON_MS = 31 * DAY_MS;
/** How far a chain of back-to-back occurrences is followed to say "until when". */
const CHAIN_HORIZON_MS = 400 * DAY_MS;

interface ActiveWindow {
  spec: WindowSpec;
  c: CompiledWindow;
  start: number;
  /** End of the active span, following back-to-back or overlapping occurrences of the same window. */
  end: number;
  /** True when the chain was cut at the horizon ("until at least"). */
  open: boolean;
}

function activeWindows(compiled: Array<{ spec: WindowSpec; c: CompiledWindow }>, at: number): ActiveWindow[] {
  const out: ActiveWindow[] = [];
  for (const { spec, c } of compiled) {
    const span = activeSpan(c, at);
    if (!span) continue;
    const start = span.start;
    let end = span.end;
    // Follow back-to-back or overlapping occurrences: while an occurrence starts before the current end, the
    // window stays active at least until that occurrence ends.
    let scanned = at;
    let open = true;
    for (let round = 0; round < 1000 && end - at <= CHAIN_HORIZON_MS; round++) {
      const next = lastStartIn(c, scanned, end);
      if (!next) {
        open = false;
        break;
      }
      scanned = next.start;
      end = Math.max(end, next.end);
    }
    out.push({ spec, c, start, end, open });
  }
  return out.sort((a, b) => (a.spec.name < b.spec.name ? -1 : a.spec.name > b.spec.name ? 1 : a.start - b.start));
}

function when(ms: number, zone: string | undefined): string {
  const local = formatLocal(ms, zone);
  return local ? `${formatInstant(ms)} (${local})` : formatInstant(ms);
}

function until(w: ActiveWindow): string {
  if (w.end >= OPEN_END_MS) return 'until its source marks it completed (in progress, no end yet)';
  return `${w.open ? 'until at least' : 'until'} ${when(w.end, w.spec.timeZone)}`;
}

function selectorText(sel: LabelSelector | undefined): string {
  if (!sel || Object.keys(sel).length === 0) return 'all targets';
  return Object.entries(sel)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('|') : v}`)
    .join(',');
}

function listIds(ids: string[], max = 20): string {
  return ids.length <= max ? ids.join(', ') : `${ids.slice(0, max).join(', ')} and ${ids.length - max} more`;
}

function windowDetail(w: ActiveWindow): JsonObject {
  const d: JsonObject = { window: w.spec.name, kind: w.spec.kind, start: new Date(w.start).toISOString(), end: new Date(w.end).toISOString() };
  if (w.spec.timeZone) d.timeZone = w.spec.timeZone;
  if (w.spec.source) d.source = w.spec.source;
  if (w.spec.targets) d.selector = selectorText(w.spec.targets);
  return d;
}

/**
 * Findings for the windows at `at`, in this order: `window.freeze` (one per active freeze window, by name),
 * `window.outside-allowed`, `window.maintenance`.
 *
 * - `window.freeze`: block; warn with an override, the message and `detail.override` carry the reason. A freeze
 *   with a selector applies when a target matches it, or when no targets are given (fail closed).
 * - `window.outside-allowed`: only when allow windows exist. With targets: every target must be covered by an
 *   active allow window whose selector matches it (a selector-less allow window covers all); block otherwise,
 *   naming the uncovered targets and the next allow window. Without targets: block when no allow window is
 *   active; warn when only allow windows with selectors are active (coverage cannot be checked).
 *   The override does not relax it.
 * - `window.maintenance`: with targets, warn listing the affected target ids and window names (`detail.targets`,
 *   `detail.windows`, `detail.byTarget`). Without targets: warn when an active maintenance window has no selector
 *   (every target is under maintenance), else info naming the selectors under maintenance.
 *
 * An empty `targets` array counts as no targets. Invalid windows are skipped (the policy loader rejects them
 * with `checkWindow`). Throws `OptionsError`
 * when `at` is not a valid Date.
 */
export function windowFindings(input: WindowFindingsInput): Finding[] {
  const { at, override } = input;
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) throw new OptionsError('`at` must be a valid Date');
  if (!Array.isArray(input.windows)) throw new OptionsError('`windows` must be an array of window specs');
  const t = at.getTime();
  const targets = input.targets && input.targets.length > 0 ? input.targets : undefined;
  const compiled = compileAll(input.windows);
  const active = activeWindows(compiled, t);
  const findings: Finding[] = [];

  // Freeze.
  for (const w of active.filter((a) => a.spec.kind === 'freeze')) {
    const hit = targets?.filter((tg) => matchesSelector(tg, w.spec.targets)).map((tg) => tg.id);
    if (hit && hit.length === 0) continue;
    const scope = w.spec.targets
      ? hit
        ? ` for ${hit.length} target${hit.length === 1 ? '' : 's'} (${listIds(hit)})`
        : ` for ${selectorText(w.spec.targets)} (no targets given, so it is assumed to apply)`
      : '';
    const detail = windowDetail(w);
    if (hit) detail.targets = hit;
    if (override) {
      detail.override = override.reason;
      findings.push({
        rule: 'window.freeze',
        severity: 'warn',
        message: `Change freeze "${w.spec.name}" is active${scope} ${until(w)}; overridden with reason: "${override.reason}". The push may proceed: watch it closely and keep the rollback ready.`,
        detail,
      });
    } else {
      findings.push({
        rule: 'window.freeze',
        severity: 'block',
        message: `Change freeze "${w.spec.name}" is active${scope} ${until(w)}: pushes are blocked. Wait until it ends, or for an emergency re-run with --override "reason".`,
        detail,
      });
    }
  }

  // Allow windows.
  const allow = compiled.filter((x) => x.spec.kind === 'allow');
  if (allow.length > 0) {
    const activeAllow = active.filter((a) => a.spec.kind === 'allow');
    const allowNames = [...new Set(allow.map((x) => x.spec.name))].sort();
    const nextFor = (pred: (spec: WindowSpec) => boolean): JsonObject | undefined => {
      let best: { spec: WindowSpec; start: number; end: number } | undefined;
      for (const { spec, c } of allow) {
        if (!pred(spec)) continue;
        const s = expandStarts(c, t + 1, t + NEXT_ALLOW_HORIZON_MS, 1)[0];
        if (s && (!best || s.start < best.start || (s.start === best.start && spec.name < best.spec.name))) best = { spec, ...s };
      }
      return best
        ? { window: best.spec.name, start: new Date(best.start).toISOString(), end: new Date(best.end).toISOString(), at: when(best.start, best.spec.timeZone) }
        : undefined;
    };
    const nextText = (next: JsonObject | undefined): string =>
      next ? `The next allow window is "${String(next.window)}" from ${String(next.at)}: push then` : 'No allow window opens in the next 31 days: push inside one';
    if (targets) {
      const uncovered = targets.filter((tg) => !activeAllow.some((a) => matchesSelector(tg, a.spec.targets))).map((tg) => tg.id);
      if (uncovered.length > 0) {
        const uncoveredSet = new Set(uncovered);
        const next = nextFor((spec) => targets.some((tg) => uncoveredSet.has(tg.id) && matchesSelector(tg, spec.targets)));
        const detail: JsonObject = { targets: uncovered, allowWindows: allowNames, activeAllowWindows: activeAllow.map((a) => a.spec.name) };
        if (next) detail.next = next;
        findings.push({
          rule: 'window.outside-allowed',
          severity: 'block',
          message: `Outside allowed windows at ${formatInstant(t)}: ${uncovered.length} of ${targets.length} target${targets.length === 1 ? '' : 's'} ${uncovered.length === 1 ? 'is' : 'are'} not covered by an active allow window (${listIds(uncovered)}). ${nextText(next)}, push only to covered targets, or add an allow window to the policy.`,
          detail,
        });
      }
    } else if (activeAllow.length === 0) {
      const next = nextFor(() => true);
      const detail: JsonObject = { allowWindows: allowNames };
      if (next) detail.next = next;
      findings.push({
        rule: 'window.outside-allowed',
        severity: 'block',
        message: `Outside allowed windows at ${formatInstant(t)}: pushes are only allowed inside an allow window (${allowNames.map((n) => `"${n}"`).join(', ')}) and none is active. ${nextText(next)}, or add an allow window to the policy.`,
        detail,
      });
    } else if (activeAllow.every((a) => a.spec.targets)) {
      const sels = activeAllow.map((a) => `${selectorText(a.spec.targets)} ("${a.spec.name}" ${until(a)})`);
      findings.push({
        rule: 'window.outside-allowed',
        severity: 'warn',
        message: `Only allow windows for some targets are active: ${sels.join('; ')}. No targets were given, so coverage was not checked: pass --targets, and push only to targets these windows cover.`,
        detail: { allowWindows: allowNames, activeAllowWindows: activeAllow.map((a) => a.spec.name), selectors: activeAllow.map((a) => selectorText(a.spec.targets)) },
      });
    }
  }

  // Maintenance.
  const maint = active.filter((a) => a.spec.kind === 'maintenance');
  if (maint.length > 0) {
    if (targets) {
      const byTarget: Record<string, JsonValue> = {};
      const ids: string[] = [];
      const used = new Set<ActiveWindow>();
      for (const tg of targets) {
        const ws = maint.filter((m) => matchesSelector(tg, m.spec.targets));
        if (ws.length === 0) continue;
        ws.forEach((w) => used.add(w));
        ids.push(tg.id);
        byTarget[tg.id] = [...new Set(ws.map((w) => w.spec.name))].sort();
      }
      if (ids.length > 0) {
        const usedList = maint.filter((m) => used.has(m));
        const last = Math.max(...usedList.map((w) => w.end));
        findings.push({
          rule: 'window.maintenance',
          severity: 'warn',
          message: `${ids.length} of ${targets.length} target${targets.length === 1 ? '' : 's'} ${ids.length === 1 ? 'is' : 'are'} under maintenance: ${listIds(ids)} (${usedList.map((w) => `"${w.spec.name}" ${until(w)}`).join('; ')}). They are kept out of rollout waves; push after the maintenance ends, or leave them out of this push.`,
          detail: {
            targets: ids,
            windows: [...new Set(usedList.map((w) => w.spec.name))].sort(),
            until: new Date(last).toISOString(),
            byTarget,
            occurrences: usedList.map(windowDetail),
          },
        });
      }
    } else {
      const global = maint.filter((m) => !m.spec.targets || Object.keys(m.spec.targets).length === 0);
      const parts = maint.map((w) => `${selectorText(w.spec.targets)} ("${w.spec.name}" ${until(w)})`);
      findings.push({
        rule: 'window.maintenance',
        severity: global.length > 0 ? 'warn' : 'info',
        message:
          global.length > 0
            ? `Maintenance is active for ${parts.join('; ')}: every target is under maintenance. Push after it ends, or pass --targets to keep targets under maintenance out of the rollout.`
            : `Maintenance is active for ${parts.join('; ')}. No targets were given, so the push was not checked against them: pass --targets to keep targets under maintenance out of the rollout.`,
        detail: {
          selectors: [...new Set(maint.map((w) => selectorText(w.spec.targets)))],
          windows: [...new Set(maint.map((w) => w.spec.name))].sort(),
          occurrences: maint.map(windowDetail),
        },
      });
    }
  }
  return findings;
}

