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

/** The message of a `parse.precision-loss` finding. */
export function precisionMessage(literal: string, parsed: number, loc: SourceLocation, pointer: string): string {
  return (
    `Integer ${literal} at ${pointer || '/'} (${where(loc)}) cannot be represented exactly as a number: it is read as ` +
    `${BigInt(parsed).toString()}, so a change to it could be invisible. Quote it as a string if it is an id.`
  );
}
