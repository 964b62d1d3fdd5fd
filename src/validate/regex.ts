/**
 * ReDoS analysis with `recheck`, loaded lazily (only when a policy declares a regex check) through `createRequire`,
 * which works in both the ESM and the CJS build (recheck is CommonJS).
 *
 * `checkSync` uses recheck's default synchronous backend (a worker running the native/JVM checker when one is
 * installed, else the pure-JS checker); set `RECHECK_SYNC_BACKEND=pure` to force the in-process checker. If the
 * default backend fails to start, the pure backend is tried once.
 */
import { createRequire } from 'node:module';
import type { Diagnostics, Parameters } from 'recheck';

type RecheckModule = { checkSync(source: string, flags: string, params?: Parameters): Diagnostics };

let recheckModule: RecheckModule | undefined;

function loadRecheck(): RecheckModule {
  if (!recheckModule) {
    // In the CJS build `__filename` exists; in ESM (and the ESM build) `import.meta.url` does.
    const from = typeof __filename === 'string' && __filename !== '' ? __filename : import.meta.url;
    recheckModule = createRequire(from)('recheck') as RecheckModule;
  }
  return recheckModule;
}

/**
 * Time limit of one analysis. Generous on purpose: a verdict must not depend on how busy the machine is, so the
 * limit is a safety net for pathological patterns, not a tuning knob (typical patterns take a few milliseconds with
 * the native backend). Patterns that cannot be decided in time are reported as "not proven safe" and fail closed.
 */
export const REGEX_ANALYSIS_TIMEOUT_MS = 10_000;

/** Result of analysing one pattern. */
export type RegexVerdict =
  | { status: 'invalid'; error: string }
  | { status: 'safe'; complexity: string }
  | { status: 'vulnerable'; complexity: 'exponential' | 'polynomial'; degree?: number; attack?: string; summary: string }
  | { status: 'unknown'; reason: string };

function runCheck(source: string, flags: string): Diagnostics {
  const rc = loadRecheck();
  const params: Parameters = { timeout: REGEX_ANALYSIS_TIMEOUT_MS, randomSeed: 0 };
  try {
    return rc.checkSync(source, flags, params);
  } catch (err) {
    if (process.env.RECHECK_SYNC_BACKEND === 'pure') throw err;
    const before = process.env.RECHECK_SYNC_BACKEND;
    process.env.RECHECK_SYNC_BACKEND = 'pure';
    try {
      return rc.checkSync(source, flags, params);
    } finally {
      if (before === undefined) delete process.env.RECHECK_SYNC_BACKEND;
      else process.env.RECHECK_SYNC_BACKEND = before;
    }
  }
}

/** Compile a pattern and analyse it for catastrophic backtracking. */
export function analyseRegex(source: string, flags: string): RegexVerdict {
  try {
    new RegExp(source, flags);
  } catch (err) {
    return { status: 'invalid', error: err instanceof Error ? err.message : String(err) };
  }
  // recheck does not know the `d`, `g`, `y` flags (they do not change backtracking).
  const d = runCheck(source, flags.replace(/[dgy]/g, ''));
  if (d.status === 'safe') return { status: 'safe', complexity: d.complexity.type };
  if (d.status === 'vulnerable') {
    const v: RegexVerdict = { status: 'vulnerable', complexity: d.complexity.type, summary: d.complexity.summary };
    if (d.complexity.type === 'polynomial') v.degree = d.complexity.degree;
    if (d.attack?.pattern) v.attack = d.attack.pattern;
    return v;
  }
  const e = d.error;
  const reason = e.kind === 'timeout' ? `the analysis timed out after ${REGEX_ANALYSIS_TIMEOUT_MS}ms` : `${e.kind}${'message' in e ? `: ${e.message}` : ''}`;
  return { status: 'unknown', reason };
}
