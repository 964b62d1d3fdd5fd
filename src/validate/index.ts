/**
 * The validate stage: JSON Schema, size/growth/shrink limits, uniqueness and per-path checks.
 * Pure: the evaluation time is an input; every problem is a {@link Finding}; a check that throws becomes an
 * `internal.error` block finding (fail closed).
 */
import { PolicyError } from '../errors.js';
import { compilePattern, type PathPattern } from '../pointer.js';
import type { ResolvedPolicy } from '../policy/types.js';
import type { ConfigDoc, Finding, JsonValue, Target } from '../types.js';
import { isStableDoc } from '../load/stable.js';
import { compileConfigSchema, type ErrorObject, type ValidateFunction } from './ajv.js';
import { expiryFindings, regexFindings, targetFindings } from './checks.js';
import {
  compileKeys,
  exactDuplicateFinding,
  growthFindings,
  implicitUniqueFindings,
  listCheckFindings,
  maxBytesFindings,
  type ListCheck,
} from './limits.js';
import type { RegexVerdict } from './regex.js';
import { describeSchemaError, errorPointer, schemaErrors, schemaFindings } from './schema.js';
import { comparePointers, type DuplicateScan, type KeyIndexCache } from './util.js';

/** Input of one validation. */
export interface ValidateInput {
  /** The proposed config. */
  proposed: ConfigDoc;
  /** The config live now (the last known good), when there is one. */
  current?: ConfigDoc | undefined;
  /** The targets of the push (for `matchesTarget` checks). */
  targets?: readonly Target[] | undefined;
  /** Evaluation time (for expiry checks). */
  at: Date;
}

/** A policy compiled for validation; reuse it across evaluations. */
export interface CompiledValidator {
  /** Every finding of the validate stage, sorted by (document, path, rule). Never throws for bad input. */
  validate(input: ValidateInput): Finding[];
}

interface CompiledCheck {
  index: number;
  source: string;
  pattern: PathPattern;
  severity: 'block' | 'warn';
  list?: ListCheck;
  regexFlags?: string;
  expiresAfterMs?: number;
  matchesTarget?: string;
}

const DOCUMENT_ORDER: Record<string, number> = { proposed: 0, current: 1, policy: 2, targets: 3 };

/** Sort findings deterministically by (document, path, rule); ties keep their emission order. */
export function sortFindings(findings: Finding[]): Finding[] {
  return findings
    .map((f, i) => ({ f, i }))
    .sort(
      (a, b) =>
        (DOCUMENT_ORDER[a.f.document ?? 'proposed'] ?? 9) - (DOCUMENT_ORDER[b.f.document ?? 'proposed'] ?? 9) ||
        comparePointers(a.f.path ?? '', b.f.path ?? '') ||
        (a.f.rule < b.f.rule ? -1 : a.f.rule > b.f.rule ? 1 : 0) ||
        a.i - b.i,
    )
    .map((x) => x.f);
}

/**
 * Compile a policy for validation: the config schema (ajv, draft-07 or 2020-12 by `$schema`), path patterns,
 * keyed lists and a cache of regex analyses. Throws {@link PolicyError} when the policy's schema is not a valid JSON Schema.
 */
export function compileValidator(policy: ResolvedPolicy): CompiledValidator {
  let schemaFn: ValidateFunction | undefined;
  if (policy.schema) {
    try {
      schemaFn = compileConfigSchema(policy.schema);
    } catch (err) {
      const file = policy.schemaFile ?? policy.file ?? '<policy>';
      throw new PolicyError(`${file}: the config schema is not a valid JSON Schema: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
        location: { file },
      });
    }
  }
  const keyed = compileKeys(policy.keys);
  const checks: CompiledCheck[] = policy.checks.map((c, index) => {
    const cc: CompiledCheck = { index, source: c.path, pattern: compilePattern(c.path), severity: c.severity };
    if (c.maxItems !== undefined || c.minItems !== undefined || c.unique !== undefined) {
      const list: ListCheck = { pattern: cc.pattern, source: c.path, severity: c.severity };
      if (c.maxItems !== undefined) list.maxItems = c.maxItems;
      if (c.minItems !== undefined) list.minItems = c.minItems;
      if (c.unique !== undefined) list.unique = c.unique;
      cc.list = list;
    }
    if (c.regex) cc.regexFlags = typeof c.regex === 'object' ? (c.regex.flags ?? '') : '';
    if (c.expiresAfterMs !== undefined) cc.expiresAfterMs = c.expiresAfterMs;
    if (c.matchesTarget !== undefined) cc.matchesTarget = c.matchesTarget;
    return cc;
  });
  const regexCache = new Map<string, RegexVerdict>();
  // Schema errors of immutable current documents (the gate's cache of the live config): independent of `at`.
  const lkgSchemaErrors = new WeakMap<ConfigDoc, ErrorObject[]>();

  return {
    validate(input: ValidateInput): Finding[] {
      const { proposed, current, targets, at } = input;
      const out: Finding[] = [];
      const run = (name: string, path: string, fn: () => Finding[] | undefined, document?: Finding['document']): void => {
        try {
          const found = fn();
          if (found) out.push(...found);
        } catch (err) {
          const why = err instanceof Error ? err.message : String(err);
          const f: Finding = {
            rule: 'internal.error',
            severity: 'block',
            message: `the ${name} check failed on ${path === '' ? 'the document' : `\`${path}\``} and the gate fails closed: ${why}`,
            path,
            detail: { check: name, error: why },
          };
          if (document && document !== 'proposed') f.document = document;
          out.push(f);
        }
      };

      const hasProposed = proposed.value !== undefined;
      const keyIndexes: KeyIndexCache = new WeakMap();
      run('limit.max-bytes', '', () => maxBytesFindings(policy, proposed));

      if (schemaFn && hasProposed) run('schema', '', () => schemaFindings(schemaFn!, proposed));

      if (hasProposed) {
        const reported = new Set<string>();
        let exact: Array<{ pointer: string; list: readonly JsonValue[]; scan: DuplicateScan }> = [];
        run('limit.unique', '', () => {
          const r = implicitUniqueFindings(keyed, proposed, reported, keyIndexes);
          exact = r.exactDuplicates;
          return r.findings;
        });
        for (const c of checks) {
          if (c.list) {
            const list = c.list;
            run(`checks[${c.index}] (list limits)`, c.source, () => listCheckFindings(list, proposed, reported, keyIndexes));
          }
        }
        run('limit.unique', '', () => exact.map((e) => exactDuplicateFinding(proposed, e.pointer, e.list, e.scan, reported)).filter((f): f is Finding => f !== undefined));
        for (const c of checks) {
          if (c.regexFlags !== undefined) {
            const flags = c.regexFlags;
            run(`checks[${c.index}] (check.regex)`, c.source, () => regexFindings(proposed, c.pattern, flags, c.severity, regexCache));
          }
          if (c.expiresAfterMs !== undefined) {
            const margin = c.expiresAfterMs;
            run(`checks[${c.index}] (check.expiry)`, c.source, () => expiryFindings(proposed, c.pattern, margin, c.severity, at));
          }
          if (c.matchesTarget !== undefined) {
            const label = c.matchesTarget;
            run(`checks[${c.index}] (check.target-mismatch)`, c.source, () => targetFindings(proposed, c.pattern, label, c.severity, targets, c.source));
          }
        }
      }
      // After the uniqueness scan, whose keyed-list indexes growth reuses.
      if (current) {
        run('rollback.lkg-invalid', '', () => lkgFindings(current, schemaFn, checks, at, lkgSchemaErrors), 'current');
        if (hasProposed && current.value !== undefined) run('limit.growth', '', () => growthFindings(policy, keyed, proposed, current, keyIndexes));
      }

      return sortFindings(out);
    },
  };
}

/** The LKG must itself be valid: rolling back to it must be safe. At most one finding per reason. */
function lkgFindings(
  current: ConfigDoc,
  schemaFn: ValidateFunction | undefined,
  checks: CompiledCheck[],
  at: Date,
  memo: WeakMap<ConfigDoc, ErrorObject[]>,
): Finding[] {
  const out: Finding[] = [];
  const value = current.value;
  const make = (message: string, path: string, detail: Record<string, JsonValue>): Finding => {
    const f: Finding = { rule: 'rollback.lkg-invalid', severity: 'warn', message, path, document: 'current', detail };
    const loc = current.locate(path);
    if (loc) f.location = loc;
    return f;
  };
  if (value === undefined || current.failed) {
    out.push(make(`the LKG (${current.file}) could not be parsed: rolling back to it would not be safe`, '', { reason: 'parse' }));
    return out;
  }
  if (schemaFn) {
    let errors = memo.get(current);
    if (errors === undefined) {
      errors = schemaErrors(schemaFn, value);
      if (isStableDoc(current)) memo.set(current, errors);
    }
    if (errors.length > 0) {
      const first = errors.slice(0, 3).map((e) => ({ path: errorPointer(e), keyword: e.keyword, message: describeSchemaError(e, value) }));
      out.push(
        make(
          `the LKG (${current.file}) fails the schema with ${errors.length} error${errors.length === 1 ? '' : 's'} (first: ${first[0]!.message}): rolling back to it would not be safe`,
          first[0]!.path,
          { reason: 'schema', errorCount: errors.length, errors: first },
        ),
      );
    }
  }
  const expired: Finding[] = [];
  for (const c of checks) {
    if (c.expiresAfterMs === undefined) continue;
    expired.push(...expiryFindings(current, c.pattern, c.expiresAfterMs, 'warn', at, 'current'));
  }
  if (expired.length > 0) {
    const first = expired.slice(0, 3).map((f) => ({ path: f.path ?? '', message: f.message }));
    out.push(
      make(
        `the LKG (${current.file}) holds ${expired.length} expired, expiring or unreadable date${expired.length === 1 ? '' : 's'} (first: ${first[0]!.message}): rolling back to it would not be safe`,
        first[0]!.path,
        { reason: 'expiry', count: expired.length, errors: first },
      ),
    );
  }
  return out;
}
