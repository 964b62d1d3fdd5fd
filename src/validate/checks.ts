/** Per-path value checks: `check.regex`, `check.expiry`, `check.target-mismatch`. */
import { findMatches, type PathPattern } from '../pointer.js';
import { formatDuration } from '../units.js';
import type { ConfigDoc, Finding, JsonValue, Severity, Target } from '../types.js';
import { analyseRegex, type RegexVerdict } from './regex.js';
import { makeFinding, preview, showPath } from './util.js';

/** A value at a checked path: scalars at the path, or each entry when the path holds a list. */
interface Item {
  pointer: string;
  value: JsonValue;
}

function itemsAt(value: JsonValue | undefined, pattern: PathPattern): Item[] {
  const out: Item[] = [];
  for (const m of findMatches(value, pattern)) {
    if (Array.isArray(m.value)) m.value.forEach((v, i) => out.push({ pointer: `${m.pointer}/${i}`, value: v }));
    else out.push({ pointer: m.pointer, value: m.value });
  }
  return out;
}

/* ------------------------------------------------------------------ regex */

/** `check.regex` for one check. `cache` holds analyses per (flags, pattern), shared across evaluations. */
export function regexFindings(
  doc: ConfigDoc,
  pattern: PathPattern,
  flags: string,
  severity: Severity,
  cache: Map<string, RegexVerdict>,
): Finding[] {
  const out: Finding[] = [];
  for (const { pointer, value } of itemsAt(doc.value, pattern)) {
    if (typeof value !== 'string') continue;
    const key = flags + '\u0000' + value;
    let verdict = cache.get(key);
    if (!verdict) {
      verdict = analyseRegex(value, flags);
      cache.set(key, verdict);
    }
    const shownRe = preview(value, 80);
    switch (verdict.status) {
      case 'safe':
        break;
      case 'invalid':
        out.push(
          makeFinding(doc, 'check.regex', severity, `${showPath(pointer)} is not a valid regular expression: ${verdict.error}`, pointer, {
            status: 'invalid',
            pattern: value,
            flags,
            error: verdict.error,
          }),
        );
        break;
      case 'vulnerable': {
        const detail: Record<string, JsonValue> = { status: 'vulnerable', pattern: value, flags, complexity: verdict.complexity, summary: verdict.summary };
        if (verdict.degree !== undefined) detail.degree = verdict.degree;
        if (verdict.attack !== undefined) detail.attack = verdict.attack;
        out.push(
          makeFinding(
            doc,
            'check.regex',
            severity,
            `${showPath(pointer)} ${shownRe} can backtrack catastrophically (${verdict.summary} time on crafted input${verdict.attack ? `, e.g. ${preview(verdict.attack, 40)}` : ''}): rewrite it without nested or overlapping quantifiers`,
            pointer,
            detail,
          ),
        );
        break;
      }
      case 'unknown':
        out.push(
          // Fail closed: a pattern the analyser cannot decide within its budget is not let through.
          makeFinding(doc, 'check.regex', severity, `${showPath(pointer)} ${shownRe} could not be proven safe from catastrophic backtracking (${verdict.reason}); simplify it (fewer nested or overlapping quantifiers) so it can be analysed`, pointer, {
            status: 'unknown',
            pattern: value,
            flags,
            reason: verdict.reason,
          }),
        );
        break;
    }
  }
  return out;
}

/* ----------------------------------------------------------------- expiry */

const DATE_TIME_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?)?$/;

/**
 * Parse an RFC 3339 / ISO-8601 date or date-time. A value without an offset is read as UTC (never as the machine's
 * local time, so results do not depend on where the gate runs). Numbers are not accepted. Returns epoch ms or undefined.
 */
export function parseDateTime(value: string): number | undefined {
  const m = DATE_TIME_RE.exec(value.trim());
  if (!m) return undefined;
  const [, , mo, d, h, mi, s] = m;
  if (Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(d) > 31) return undefined;
  if (h !== undefined && (Number(h) > 23 || Number(mi) > 59 || (s !== undefined && Number(s) > 60))) return undefined;
  let text = value.trim().replace(' ', 'T');
  if (h === undefined) text += 'T00:00:00Z';
  else if (m[7] === undefined) text += 'Z';
  const t = Date.parse(text);
  return Number.isFinite(t) ? t : undefined;
}

function ago(ms: number): string {
  return formatDuration(Math.max(0, Math.round(ms / 1000) * 1000)) || '0s';
}

/** `check.expiry` for one check. */
export function expiryFindings(doc: ConfigDoc, pattern: PathPattern, marginMs: number, severity: Severity, at: Date, document?: Finding['document']): Finding[] {
  const out: Finding[] = [];
  const now = at.getTime();
  const atIso = at.toISOString();
  for (const { pointer, value } of itemsAt(doc.value, pattern)) {
    if (typeof value !== 'string') {
      out.push(
        makeFinding(
          doc,
          'check.expiry',
          severity,
          `${showPath(pointer)} must be an RFC 3339 date-time string (like \`2025-11-18T09:00:00Z\`), got ${preview(value)}`,
          pointer,
          { status: 'unparsable', value: typeof value === 'object' ? null : value },
          document,
        ),
      );
      continue;
    }
    const t = parseDateTime(value);
    if (t === undefined) {
      out.push(
        makeFinding(doc, 'check.expiry', severity, `${showPath(pointer)} is not an RFC 3339 date-time: ${preview(value)}`, pointer, { status: 'unparsable', value }, document),
      );
      continue;
    }
    const expiresIso = new Date(t).toISOString();
    if (t <= now) {
      out.push(
        makeFinding(
          doc,
          'check.expiry',
          severity,
          `${showPath(pointer)} expired ${ago(now - t)} ago (at ${expiresIso}; evaluation time ${atIso})`,
          pointer,
          { status: 'expired', expires: expiresIso, at: atIso, marginMs, remainingMs: t - now },
          document,
        ),
      );
    } else if (t < now + marginMs) {
      out.push(
        makeFinding(
          doc,
          'check.expiry',
          severity,
          `${showPath(pointer)} expires at ${expiresIso}, ${ago(now + marginMs - t)} before the required ${formatDuration(marginMs)} margin from the evaluation time ${atIso}`,
          pointer,
          { status: 'expiring', expires: expiresIso, at: atIso, marginMs, remainingMs: t - now },
          document,
        ),
      );
    }
  }
  return out;
}

/* ---------------------------------------------------------- target match */

/** `check.target-mismatch` for one check. */
export function targetFindings(doc: ConfigDoc, pattern: PathPattern, label: string, severity: Severity, targets: readonly Target[] | undefined, source: string): Finding[] {
  const out: Finding[] = [];
  const items = findMatches(doc.value, pattern).filter((m) => m.value === null || typeof m.value !== 'object');
  if (items.length === 0) return out;
  if (!targets || targets.length === 0) {
    const first = items[0]!;
    out.push(
      makeFinding(doc, 'check.target-mismatch', 'info', `${showPath(first.pointer)} was not compared with the targets' \`${label}\` label: no targets were given`, first.pointer, {
        status: 'skipped',
        label,
        check: source,
      }),
    );
    return out;
  }
  for (const { pointer, value } of items) {
    const want = value === null ? 'null' : String(value);
    const differ = targets.filter((t) => t.labels[label] !== want);
    if (differ.length === 0) continue;
    const shownTargets = differ
      .slice(0, 5)
      .map((t) => `${t.id} (${t.labels[label] === undefined ? `no ${label} label` : `${label}=${t.labels[label]}`})`)
      .join(', ');
    const more = differ.length > 5 ? ` and ${differ.length - 5} more` : '';
    out.push(
      makeFinding(
        doc,
        'check.target-mismatch',
        severity,
        `${showPath(pointer)} is ${preview(want)} but ${differ.length} of ${targets.length} target${targets.length === 1 ? '' : 's'} ${differ.length === 1 ? 'has' : 'have'} a different \`${label}\`: ${shownTargets}${more}`,
        pointer,
        {
          label,
          expected: want,
          mismatched: differ.length,
          targets: targets.length,
          examples: differ.slice(0, 5).map((t) => t.id),
          check: source,
        },
      ),
    );
  }
  return out;
}
