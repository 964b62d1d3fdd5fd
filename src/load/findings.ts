/**
 * Small helpers to build the findings of the load stage.
 */
import type { Finding, JsonValue, RuleId, Severity, SourceLocation } from '../types.js';

/** Build a finding, leaving out empty optional fields (`document` is set by the caller). */
export function makeFinding(
  rule: RuleId,
  severity: Severity,
  message: string,
  location?: SourceLocation,
  path?: string,
  detail?: Record<string, JsonValue>,
): Finding {
  const f: Finding = { rule, severity, message };
  if (path !== undefined) f.path = path;
  if (location !== undefined) f.location = location;
  if (detail !== undefined) f.detail = detail;
  return f;
}

/** `file:line:column` for messages. */
export function where(loc: SourceLocation): string {
  return `${loc.file}:${loc.line}:${loc.column}`;
}

/** 2^53 as a bigint: integer literals above it may not survive parsing as a JavaScript number. */
export const TWO_53 = 9007199254740992n;

/**
 * For an integer literal (decimal, or YAML `0x`/`0o`), the exact value when its magnitude exceeds 2^53 and
 * the parsed number differs from it; `undefined` when the number is exact (or the literal is not an integer).
 */
export function inexactInteger(literal: string, parsed: number): bigint | undefined {
  if (!/^[-+]?(?:[0-9]+|0x[0-9a-fA-F]+|0o[0-7]+)$/.test(literal)) return undefined;
  if (!Number.isFinite(parsed) || !Number.isInteger(parsed)) return undefined;
  let exact: bigint;
  try {
    const neg = literal.startsWith('-');
    const body = literal.replace(/^[-+]/, '');
    exact = BigInt(body);
    if (neg) exact = -exact;
  } catch {
    return undefined;
  }
  const mag = exact < 0n ? -exact : exact;
  if (mag <= TWO_53) return undefined;
  return exact === BigInt(parsed) ? undefined : exact;
}

/**
 * True when a number literal (integer, decimal or exponent form, e.g. `9007199254740993`, `9007199254740993.0`,
 * `9.007199254740993e15`) has a magnitude of at least 2^53 and its parsed double differs from the exact value.
 * A decimal or exponent form counts when it is not the shortest form of the number it reads as (so `1e300` and
 * `1.7976931348623157e308`, as written by JSON.stringify, do not). Literals over 1000 characters are not examined.
 */
export function inexactNumber(literal: string, parsed: number): boolean {
  if (!Number.isFinite(parsed) || Math.abs(parsed) < 9007199254740992) return false;
  if (inexactInteger(literal, parsed) !== undefined) return true;
  if (literal.length > 1000) return false;
  const lit = decimalParts(literal);
  const shortest = decimalParts(String(Math.abs(parsed)));
  // The literal reads as a number whose shortest form is different: another literal means the same number.
  return lit !== undefined && shortest !== undefined && (lit.digits !== shortest.digits || lit.exp !== shortest.exp);
}

/** Significant digits and power of ten of a decimal literal (`12.50e3` -> { digits: '125', exp: 2 }). */
function decimalParts(literal: string): { digits: string; exp: number } | undefined {
  const m = /^[-+]?([0-9]+)(?:\.([0-9]*))?(?:[eE]([-+]?[0-9]+))?$/.exec(literal);
  if (m === null) return undefined;
  const frac = m[2] ?? '';
  let exp = Number(m[3] ?? '0') - frac.length;
  let digits = (m[1]! + frac).replace(/^0+(?=.)/, '');
  while (digits.length > 1 && digits.endsWith('0')) {
    digits = digits.slice(0, -1);
    exp++;
  }
  return { digits, exp };
}

/** At most this many findings of one rule are kept per document; the rest are summarised in one more finding. */
export const MAX_FINDINGS_PER_RULE = 1000;

/**
 * Findings of one rule that their producer already left out: they come after every listed finding of that rule,
 * and the producer listed at least {@link MAX_FINDINGS_PER_RULE} of the rule before leaving any out (so that the
 * kept ones are the same as if all had been listed). Lets the JSON loader count 300,000 duplicate keys without
 * building 300,000 messages, locations and pointers that the cap would drop.
 */
export interface OmittedFindings {
  count: number;
  /** The most severe severity among them. */
  severity: Severity;
}

/**
 * Keep the first {@link MAX_FINDINGS_PER_RULE} findings of each rule and add, per truncated rule, one finding that
 * says how many were left out (with the most severe severity among them). Bounds report size for hostile input
 * (300,000 duplicate keys, 100,000 custom tags). `omitted`: findings the producer counted but did not build
 * ({@link OmittedFindings}); the result is the same as if they had been listed after the others of their rule.
 */
export function capFindings(findings: readonly Finding[], omitted?: ReadonlyMap<RuleId, OmittedFindings>): Finding[] {
  if (findings.length <= MAX_FINDINGS_PER_RULE && (omitted === undefined || omitted.size === 0)) return findings.slice();
  const kept: Finding[] = [];
  const counts = new Map<RuleId, { n: number; severity: Severity }>();
  const rank: Record<Severity, number> = { block: 0, warn: 1, info: 2 };
  for (const f of findings) {
    const c = counts.get(f.rule) ?? { n: 0, severity: f.severity };
    c.n++;
    if (c.n <= MAX_FINDINGS_PER_RULE) kept.push(f);
    else if (rank[f.severity] < rank[c.severity] || c.n === MAX_FINDINGS_PER_RULE + 1) c.severity = f.severity;
    counts.set(f.rule, c);
  }
  if (omitted !== undefined) {
    for (const [rule, o] of omitted) {
      if (o.count <= 0) continue;
      const c = counts.get(rule) ?? { n: 0, severity: o.severity };
      // As in the loop above: the first finding past the cap sets the severity, later ones only raise it.
      if (c.n < MAX_FINDINGS_PER_RULE + 1 || rank[o.severity] < rank[c.severity]) c.severity = o.severity;
      c.n += o.count;
      counts.set(rule, c);
    }
  }
  for (const [rule, c] of counts) {
    if (c.n <= MAX_FINDINGS_PER_RULE) continue;
    const omittedCount = c.n - MAX_FINDINGS_PER_RULE;
    kept.push(
      makeFinding(rule, c.severity, `${omittedCount} more ${rule} findings in this document are not listed (at most ${MAX_FINDINGS_PER_RULE} per rule).`, undefined, undefined, {
        omitted: omittedCount,
        total: c.n,
      }),
    );
  }
  return kept;
}

/** The message of a `parse.precision-loss` finding. */
export function precisionMessage(literal: string, parsed: number, loc: SourceLocation, pointer: string): string {
  return (
    `${/^[-+]?(?:[0-9]+|0x[0-9a-fA-F]+|0o[0-7]+)$/.test(literal) ? 'Integer' : 'Number'} ${literal} at ${pointer || '/'} (${where(loc)}) cannot be represented exactly as a number: it is read as ` +
    `${BigInt(parsed).toString()}, so a change to it could be invisible. Quote it as a string if it is an id.`
  );
}
