/** Durations and sizes as written in policies and options. */
import { OptionsError } from './errors.js';

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** The duration grammar: one or more `<number><unit>` parts, e.g. `90s`, `1h30m`, `7d`. */
const DURATION_RE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+$/;

/**
 * Parse a duration: a non-negative number of milliseconds, or a string such as `90s`, `10m`, `4h`, `7d`, `1h30m`.
 * Returns `undefined` when the input is not a duration.
 */
export function tryParseDuration(input: unknown): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? input : undefined;
  if (typeof input !== 'string') return undefined;
  const s = input.trim();
  if (!DURATION_RE.test(s)) return undefined;
  let total = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)) total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
  return Math.round(total);
}

/** Like {@link tryParseDuration} but throws an {@link OptionsError} naming the field. */
export function parseDuration(input: unknown, field: string): number {
  const ms = tryParseDuration(input);
  if (ms === undefined) {
    throw new OptionsError(`\`${field}\` must be a duration like \`10m\` or a number of milliseconds, got ${JSON.stringify(input)}`);
  }
  return ms;
}

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/**
 * Parse a size: a non-negative integer byte count, or a string such as `512KB`, `1MB`, `2GiB`, `100b`.
 * `KB`/`MB`/`GB` are decimal (1000), `KiB`/`MiB`/`GiB` binary (1024). Returns `undefined` when invalid.
 */
export function tryParseSize(input: unknown): number | undefined {
  if (typeof input === 'number') return Number.isInteger(input) && input >= 0 ? input : undefined;
  if (typeof input !== 'string') return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]i?b|b)?$/i.exec(input.trim());
  if (!m) return undefined;
  const unit = (m[2] ?? 'b').toLowerCase();
  const mult = SIZE_UNITS[unit];
  if (mult === undefined) return undefined;
  return Math.round(Number(m[1]) * mult);
}

/** Like {@link tryParseSize} but throws an {@link OptionsError} naming the field. */
export function parseSize(input: unknown, field: string): number {
  const n = tryParseSize(input);
  if (n === undefined) {
    throw new OptionsError(`\`${field}\` must be a size like \`1MB\` or a byte count, got ${JSON.stringify(input)}`);
  }
  return n;
}

/** Format milliseconds for people: `90s`, `10m`, `4h`, `1h30m`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const parts: string[] = [];
  let rest = Math.round(ms / 1000);
  for (const [unit, secs] of [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (rest >= secs) {
      parts.push(`${Math.floor(rest / secs)}${unit}`);
      rest %= secs;
    }
  }
  return parts.join('');
}
