/**
 * The policy file (`confgate.yaml`): loading, validation against `policy.schema.json`, semantic checks and defaults.
 *
 * Every problem of a policy is collected (not only the first) and thrown together as one {@link PolicyError}
 * whose `problems` are lines such as `confgate.yaml:12:5: /limits/growth/wran: unknown key \`wran\``.
 */
import { readFileSync } from 'node:fs';
import { resolveAnalysis } from '../analysis/policy.js';
import { dirname, isAbsolute, resolve as resolvePath } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import policySchema from '../../policy.schema.json' with { type: 'json' };
import { ConfgateError, InputError, PolicyError } from '../errors.js';
import { DEFAULT_INPUT_LIMITS, loadConfig } from '../load/index.js';
import { decodePointer, encodePointer } from '../pointer.js';
import { tryParseDuration, tryParseSize } from '../units.js';
import { checkWindow, importICal, importStatuspage, MAX_WINDOWS } from '../windows/index.js';
import { expandStrategy } from '../rollout/strategy.js';
import { compileConfigSchema } from '../validate/ajv.js';
import { compileRules } from '../rules/compile.js';
import { filePatternProblem, globProblem, splitFilePattern } from '../set/paths.js';
import type { ResolvedRule } from '../rules/types.js';
import type { InputLimits, JsonObject, JsonValue, SourceLocation, StageSpec, StrategySpec, WindowSpec } from '../types.js';
import type { CheckSpec, PolicyDocument, ResolvedCheck, ResolvedPolicy, TierSpec, WindowImportSpec } from './types.js';

export type { CheckSpec, PolicyDocument, ResolvedCheck, ResolvedPolicy, TierSpec, WindowImportSpec } from './types.js';

/** Options of {@link loadPolicy}. */
export interface LoadPolicyOptions {
  /** Folder that relative paths in the policy resolve against. @default the policy file's folder, or process.cwd() for text */
  baseDir?: string | undefined;
}

/** Options of {@link resolvePolicy}. */
export interface ResolvePolicyOptions {
  /** Folder that relative paths (`schema`, `windowImports`) resolve against. @default process.cwd() */
  baseDir?: string | undefined;
  /** Policy file name, used in messages. @default '<policy>' */
  file?: string | undefined;
  /** Maps a JSON Pointer into the policy to its source location, for messages. */
  locate?: (pointer: string) => SourceLocation | undefined;
}

/** Defaults of every optional policy setting (see the README). */
export const POLICY_DEFAULTS = {
  versionPath: '/version',
  growth: { warn: 1.5, block: 2 },
  shrink: { warn: 0.2, block: 0.5 },
  minListSize: 3,
  scoring: { warn: 40, block: 70 },
  sensitiveWeight: 20,
  health: { intervalMs: 30_000, timeoutMs: 10_000, failureLimit: 0, successes: 1 },
} as const;

/* ------------------------------------------------------------ problems */

interface Problem {
  pointer: string;
  message: string;
}

class ProblemList {
  readonly items: Problem[] = [];
  private readonly seen = new Set<string>();
  add(pointer: string, message: string): void {
    const k = pointer + '\u0000' + message;
    if (this.seen.has(k)) return;
    this.seen.add(k);
    this.items.push({ pointer, message });
  }
}

/** `bake`, or `stages[2]` for an index. */
function keyName(pointer: string): string {
  const segs = decodePointer(pointer);
  const last = segs[segs.length - 1];
  if (last === undefined) return 'policy';
  if (/^\d+$/.test(last)) {
    const parent = segs[segs.length - 2];
    return parent === undefined ? `[${last}]` : `${parent}[${last}]`;
  }
  return last;
}

/** A received value for messages: strings raw, everything else as JSON, shortened. */
function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return '`' + (value.length > 60 ? value.slice(0, 57) + '...' : value) + '`';
  if (Array.isArray(value)) return 'a list';
  if (value !== null && typeof value === 'object') return 'an object';
  return '`' + String(value) + '`';
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'object') return 'object';
  return typeof value;
}

/** Levenshtein distance, for "did you mean" hints on unknown keys. */
function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

// Compiled on first use, not at import: compiling the policy schema costs tens of milliseconds, which every
// CLI start (and every `import`) would pay even when no policy file is read.
let validatePolicySchemaFn: ReturnType<Ajv['compile']> | undefined;
function policyValidator(): ReturnType<Ajv['compile']> {
  validatePolicySchemaFn ??= new Ajv({ allErrors: true, strict: false, logger: false, verbose: true }).compile(policySchema as object);
  return validatePolicySchemaFn;
}

type SchemaNode = Record<string, unknown>;
const definitions = (policySchema as { definitions: Record<string, SchemaNode> }).definitions;
const checkProps = definitions.check!.properties as Record<string, SchemaNode>;

/** Which definition a (sub)schema object is: ajv reports paths relative to `$ref` targets, identity is reliable. */
function definitionOf(schema: unknown): string | undefined {
  if (schema === null || typeof schema !== 'object') return undefined;
  for (const [name, def] of Object.entries(definitions)) if (def === schema) return name;
  if (schema === checkProps.unique) return 'check.unique';
  if (schema === checkProps.regex) return 'check.regex';
  if (schema === (definitions.labelSelector!.additionalProperties as SchemaNode)) return 'labelValue';
  return undefined;
}

/** Custom messages for `oneOf`/`anyOf` failures by the definition they belong to. */
const ALTERNATIVE_MESSAGES: Record<string, (value: unknown) => string> = {
  window: (v) =>
    `a window needs exactly one timing form: \`start\`+\`end\`, \`schedule\`+\`duration\`, or \`rrule\`+\`start\`+\`duration\`; got ${timingKeys(v)}`,
  stage: (v) => `a stage needs exactly one of \`count\`, \`percent\` or \`select\`; got ${presentKeys(v, ['count', 'percent', 'select'])}`,
  check: () => 'a check must declare at least one of `maxItems`, `minItems`, `unique`, `regex`, `expiresAfter`, `matchesTarget`',
  windowImport: (v) => `an import needs exactly one of \`statuspage\` or \`ical\`; got ${presentKeys(v, ['statuspage', 'ical'])}`,
  labelValue: (v) => `a label value must be a string or a list of strings, got ${shown(v)}`,
  'check.unique': (v) => `\`unique\` must be a field name or \`true\`, got ${shown(v)}`,
  'check.regex': (v) => `\`regex\` must be \`true\`, \`false\` or \`{ flags }\`, got ${shown(v)}`,
};

function presentKeys(v: unknown, keys: string[]): string {
  if (v === null || typeof v !== 'object') return shown(v);
  const have = keys.filter((k) => Object.prototype.hasOwnProperty.call(v, k));
  return have.length === 0 ? 'none' : have.map((k) => '`' + k + '`').join(' + ');
}

function timingKeys(v: unknown): string {
  return presentKeys(v, ['start', 'end', 'schedule', 'rrule', 'duration']);
}

function describeAjvError(e: ErrorObject, root: unknown): Problem | undefined {
  const ptr = e.instancePath;
  const value = e.data;
  const key = keyName(ptr);
  const sp = e.schemaPath;
  const def = definitionOf(e.parentSchema);
  if (def === 'duration') {
    return { pointer: ptr, message: `\`${key}\` must be a duration like \`10m\` (or milliseconds), got ${shown(value)}` };
  }
  if (def === 'size') {
    return { pointer: ptr, message: `\`${key}\` must be a size like \`1MB\` (or a byte count), got ${shown(value)}` };
  }
  if (def === 'pointer') {
    if (e.keyword === 'pattern') return { pointer: ptr, message: `\`${key}\` must be a JSON Pointer starting with \`/\` (like \`/features\`), got ${shown(value)}` };
  }
  if (def === 'pointerPattern') {
    if (e.keyword === 'pattern') return { pointer: ptr, message: `\`${key}\` must be a JSON Pointer starting with \`/\` (like \`/features\`) or, for config sets, \`GLOB#/pointer\` (like \`regions/*.yaml#/routes\`), got ${shown(value)}` };
  }
  switch (e.keyword) {
    case 'additionalProperties': {
      const extra = String((e.params as { additionalProperty: string }).additionalProperty);
      const props = Object.keys(((e.parentSchema as { properties?: object } | undefined)?.properties ?? {}) as object).filter((k) => k !== '$schema');
      const close = props.map((p) => [p, distance(p.toLowerCase(), extra.toLowerCase())] as const).sort((a, b) => a[1] - b[1])[0];
      const hint = close && close[1] <= Math.max(2, Math.floor(extra.length / 3)) ? ` (did you mean \`${close[0]}\`?)` : props.length > 0 ? ` (expected one of: ${props.join(', ')})` : '';
      return { pointer: ptr + '/' + encodePointer([extra]).slice(1), message: `unknown key \`${extra}\`${hint}` };
    }
    case 'required': {
      const missing = String((e.params as { missingProperty: string }).missingProperty);
      // Inside oneOf/anyOf/not branches, `required` is a shape test reported by the parent keyword.
      if (/\/(oneOf|anyOf|not)\//.test(sp)) return undefined;
      return { pointer: ptr, message: `\`${missing}\` is required${ptr === '' ? '' : ` in \`${key}\``}` };
    }
    case 'type': {
      const want = String((e.params as { type: string | string[] }).type).replace(',', ' or ');
      return { pointer: ptr, message: `\`${key}\` must be ${want === 'object' ? 'an object' : want === 'array' ? 'a list' : `a ${want}`}, got ${typeOf(value)} ${shown(value)}`.replace(/ (an object|a list)$/, '') };
    }
    case 'const':
      return { pointer: ptr, message: `\`${key}\` must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}, got ${shown(value)}` };
    case 'enum':
      return {
        pointer: ptr,
        message: `\`${key}\` must be one of ${((e.params as { allowedValues: unknown[] }).allowedValues).map((v) => '`' + String(v) + '`').join(', ')}, got ${shown(value)}`,
      };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const p = e.params as { comparison: string; limit: number };
      return { pointer: ptr, message: `\`${key}\` must be ${p.comparison} ${p.limit}, got ${shown(value)}` };
    }
    case 'minLength':
      return { pointer: ptr, message: `\`${key}\` must not be empty` };
    case 'minItems':
      return { pointer: ptr, message: `\`${key}\` must have at least ${(e.params as { limit: number }).limit} entr${(e.params as { limit: number }).limit === 1 ? 'y' : 'ies'}` };
    case 'pattern':
      return { pointer: ptr, message: `\`${key}\` must match ${(e.params as { pattern: string }).pattern}, got ${shown(value)}` };
    case 'oneOf':
    case 'anyOf': {
      const msg = def === undefined ? undefined : ALTERNATIVE_MESSAGES[def];
      if (msg) return { pointer: ptr, message: msg(value) };
      return { pointer: ptr, message: `\`${key}\` is not valid: ${(e.parentSchema as { description?: string } | undefined)?.description ?? e.message ?? ''}` };
    }
    case 'not':
      return undefined; // only used inside oneOf branches
    default:
      void root;
      return { pointer: ptr, message: `\`${key}\` ${e.message ?? 'is invalid'}` };
  }
}

function schemaProblems(doc: unknown, problems: ProblemList): boolean {
  // `{ version: 1 }` (the default policy) is valid by construction: no need to compile the schema for it.
  if (isObject(doc) && doc.version === 1 && Object.keys(doc).length === 1) return true;
  const validatePolicySchema = policyValidator();
  if (validatePolicySchema(doc)) return true;
  const errors = validatePolicySchema.errors ?? [];
  // Errors inside a failed oneOf/anyOf branch are summarised by the oneOf/anyOf error itself.
  const alternatives = errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf');
  for (const e of errors) {
    const inside = alternatives.some(
      (a) =>
        a !== e &&
        e.schemaPath.startsWith(a.schemaPath + '/') &&
        (e.instancePath === a.instancePath || e.instancePath.startsWith(a.instancePath + '/')),
    );
    if (inside) continue;
    const p = describeAjvError(e, doc);
    if (p) problems.add(p.pointer, p.message);
  }
  return false;
}

/* ------------------------------------------------------------ semantics */

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function checkPointerPattern(raw: unknown, at: string, problems: ProblemList): void {
  if (typeof raw !== 'string') return; // schema reports it
  // `GLOB#/pointer` (config sets): check the glob, then the pointer after `#`.
  const split = splitFilePattern(raw);
  if (split.glob !== undefined) {
    const why = filePatternProblem(raw);
    if (why !== undefined) {
      problems.add(at, `\`${keyName(at)}\`: ${why}, got ${shown(raw)}`);
      return;
    }
  }
  const pattern = split.pointer;
  if (!(pattern === '' || pattern.startsWith('/'))) return; // schema reports it
  if (/~(?![01])/.test(pattern)) {
    problems.add(at, `\`${keyName(at)}\` has an invalid escape in ${shown(pattern)}: \`~\` must be followed by 0 (for ~) or 1 (for /)`);
  }
  for (const seg of pattern.split('/').slice(1)) {
    if (seg.includes('*') && seg !== '*' && seg !== '**') {
      problems.add(at, `\`${keyName(at)}\`: a wildcard must be a whole segment (\`*\` or \`**\`), got \`${seg}\` in ${shown(pattern)}`);
    }
  }
}

function checkThresholds(value: unknown, at: string, defaults: { warn: number; block: number }, problems: ProblemList): void {
  if (!isObject(value)) return;
  const warn = typeof value.warn === 'number' ? value.warn : defaults.warn;
  const block = typeof value.block === 'number' ? value.block : defaults.block;
  if (warn > block) {
    const src = (k: string) => (typeof value[k] === 'number' ? '' : ' (default)');
    problems.add(at, `\`${keyName(at)}.warn\` (${warn}${src('warn')}) must not exceed \`${keyName(at)}.block\` (${block}${src('block')})`);
  }
}

function checkStages(stages: unknown, at: string, problems: ProblemList): void {
  if (!Array.isArray(stages)) return;
  let lastPercent = -Infinity;
  let lastCount = -Infinity;
  const names = new Set<string>();
  stages.forEach((s, i) => {
    if (!isObject(s)) return;
    const p = `${at}/${i}`;
    if (typeof s.name === 'string') {
      if (names.has(s.name)) problems.add(`${p}/name`, `stage name \`${s.name}\` is used twice`);
      names.add(s.name);
    }
    if (typeof s.percent === 'number') {
      if (s.percent <= lastPercent) {
        problems.add(`${p}/percent`, `stage percents are cumulative and must increase: \`${String(s.name)}\` has ${s.percent} after ${lastPercent}`);
      }
      lastPercent = s.percent;
    }
    if (typeof s.count === 'number') {
      if (s.count <= lastCount) {
        problems.add(`${p}/count`, `stage counts are cumulative and must increase: \`${String(s.name)}\` has ${s.count} after ${lastCount}`);
      }
      lastCount = s.count;
    }
  });
}

function semanticProblems(doc: Record<string, unknown>, problems: ProblemList): void {
  // Pointer patterns.
  if (isObject(doc.keys)) for (const k of Object.keys(doc.keys)) checkPointerPattern(k, `/keys/${encodePointer([k]).slice(1)}`, problems);
  for (const field of ['ordered', 'secrets'] as const) {
    const list = doc[field];
    if (Array.isArray(list)) list.forEach((p, i) => checkPointerPattern(p, `/${field}/${i}`, problems));
  }
  if (isObject(doc.planes)) {
    for (const plane of ['control', 'data'] as const) {
      const list = doc.planes[plane];
      if (Array.isArray(list)) list.forEach((p, i) => checkPointerPattern(p, `/planes/${plane}/${i}`, problems));
    }
  }
  if (Array.isArray(doc.sensitive)) doc.sensitive.forEach((s, i) => isObject(s) && checkPointerPattern(s.path, `/sensitive/${i}/path`, problems));
  if (typeof doc.versionPath === 'string') checkPointerPattern(doc.versionPath, '/versionPath', problems);
  if (typeof doc.versionPath === 'string' && doc.versionPath.includes('*')) {
    problems.add('/versionPath', `\`versionPath\` must be a plain JSON Pointer without wildcards, got ${shown(doc.versionPath)}`);
  }

  // Config sets: globs of `files`.
  if (isObject(doc.files)) {
    const globAt = (g: unknown, at: string): void => {
      if (typeof g !== 'string') return;
      const why = globProblem(g) ?? (g.includes('#') ? 'a file glob must not contain `#`' : undefined);
      if (why !== undefined) problems.add(at, `${why}, got ${shown(g)}`);
    };
    if (Array.isArray(doc.files.ignore)) doc.files.ignore.forEach((g, i) => globAt(g, `/files/ignore/${i}`));
    if (Array.isArray(doc.files.schemas)) doc.files.schemas.forEach((e, i) => isObject(e) && globAt(e.match, `/files/schemas/${i}/match`));
    if (Array.isArray(doc.files.required)) {
      doc.files.required.forEach((r, i) => {
        if (typeof r !== 'string') return;
        if (globProblem(r) !== undefined || /[*?#]/.test(r)) problems.add(`/files/required/${i}`, `\`required\` lists relative paths without wildcards (\`edge/base.yaml\`), got ${shown(r)}`);
      });
    }
  }

  // Checks.
  if (Array.isArray(doc.checks)) {
    doc.checks.forEach((c, i) => {
      if (!isObject(c)) return;
      const at = `/checks/${i}`;
      checkPointerPattern(c.path, `${at}/path`, problems);
      if (typeof c.minItems === 'number' && typeof c.maxItems === 'number' && c.minItems > c.maxItems) {
        problems.add(`${at}/minItems`, `\`minItems\` (${c.minItems}) must not exceed \`maxItems\` (${c.maxItems})`);
      }
      if (isObject(c.regex) && typeof c.regex.flags === 'string') {
        try {
          new RegExp('', c.regex.flags);
        } catch {
          problems.add(`${at}/regex/flags`, `\`flags\` must be valid RegExp flags, got ${shown(c.regex.flags)}`);
        }
      }
      if (c.expiresAfter !== undefined && tryParseDuration(c.expiresAfter) === undefined && typeof c.expiresAfter === 'string') {
        problems.add(`${at}/expiresAfter`, `\`expiresAfter\` must be a duration like \`7d\`, got ${shown(c.expiresAfter)}`);
      }
    });
  }

  // Rules: unique ids, valid path patterns (expressions are compiled in resolvePolicy).
  if (Array.isArray(doc.rules)) {
    const ids = new Set<string>();
    doc.rules.forEach((r, i) => {
      if (!isObject(r)) return;
      if (r.path !== undefined) checkPointerPattern(r.path, `/rules/${i}/path`, problems);
      if (typeof r.id === 'string') {
        if (ids.has(r.id)) problems.add(`/rules/${i}/id`, `rule id \`${r.id}\` is used twice`);
        ids.add(r.id);
      }
    });
  }

  // Health timing: a zero interval would spin and a zero timeout would fail every check.
  const health = isObject(doc.rollout) && isObject(doc.rollout.health) ? doc.rollout.health : undefined;
  for (const key of ['interval', 'timeout'] as const) {
    const v = health?.[key];
    if (v !== undefined && tryParseDuration(v) === 0) {
      problems.add(`/rollout/health/${key}`, `\`rollout.health.${key}\` must be a duration greater than 0, got ${shown(v)}`);
    }
  }

  // Limits.
  if (isObject(doc.limits)) {
    checkThresholds(doc.limits.growth, '/limits/growth', POLICY_DEFAULTS.growth, problems);
    checkThresholds(doc.limits.shrink, '/limits/shrink', POLICY_DEFAULTS.shrink, problems);
  }

  // Scoring.
  if (isObject(doc.scoring)) {
    checkThresholds(doc.scoring, '/scoring', POLICY_DEFAULTS.scoring, problems);
    if (Array.isArray(doc.scoring.tiers)) {
      let last = -Infinity;
      doc.scoring.tiers.forEach((t, i) => {
        if (!isObject(t)) return;
        if (typeof t.min === 'number') {
          if (t.min <= last) problems.add(`/scoring/tiers/${i}/min`, `tiers must be sorted by increasing \`min\`: \`${String(t.name)}\` has ${t.min} after ${last}`);
          last = t.min;
        }
        checkStages(t.stages, `/scoring/tiers/${i}/stages`, problems);
      });
    }
  }

  // Rollout.
  if (isObject(doc.rollout)) {
    checkStages(doc.rollout.stages, '/rollout/stages', problems);
    if (isObject(doc.rollout.revert)) checkStages(doc.rollout.revert.stages, '/rollout/revert/stages', problems);
    if (doc.rollout.strategy !== undefined) {
      if (doc.rollout.stages !== undefined) {
        problems.add('/rollout/strategy', '`rollout.strategy` and `rollout.stages` cannot both be given: generate the stages or write them, not both');
      } else if (!problems.items.some((p) => p.pointer.startsWith('/rollout/strategy'))) {
        try {
          expandStrategy(doc.rollout.strategy as StrategySpec, 'rollout.strategy');
        } catch (err) {
          problems.add('/rollout/strategy', (err as Error).message);
        }
      }
    }
  }

  // Windows: cron, zones, dates (and how many: each is expanded on every evaluation).
  if (Array.isArray(doc.windows) && doc.windows.length > MAX_WINDOWS) {
    problems.add('/windows', `a policy may hold at most ${MAX_WINDOWS} windows; got ${doc.windows.length}: merge windows that repeat into one \`schedule\` or \`rrule\``);
  } else if (Array.isArray(doc.windows)) {
    doc.windows.forEach((w, i) => {
      if (!isObject(w) || typeof w.name !== 'string' || typeof w.kind !== 'string') return;
      // A window the schema already rejected would only get the same problems again, worded differently.
      if (problems.items.some((p) => p.pointer === `/windows/${i}` || p.pointer.startsWith(`/windows/${i}/`))) return;
      let msgs: string[];
      try {
        msgs = checkWindow(w as unknown as WindowSpec);
      } catch (err) {
        msgs = [err instanceof Error ? err.message : String(err)];
      }
      for (const m of msgs) problems.add(`/windows/${i}`, `window \`${w.name}\`: ${m}`);
    });
  }
}

/* ------------------------------------------------------------ files */

function resolveFile(baseDir: string, file: string): string {
  return isAbsolute(file) ? file : resolvePath(baseDir, file);
}

function loadSchemaFile(path: string, shownPath: string, problems: ProblemList): JsonObject | undefined {
  let doc;
  try {
    doc = loadConfig({ path });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    problems.add('/schema', `schema file \`${shownPath}\` could not be read (${path}): ${why}`);
    return undefined;
  }
  const bad = doc.findings.filter((f) => f.severity === 'block');
  if (doc.failed || doc.value === undefined || bad.length > 0) {
    const first = bad[0];
    const where = first?.location ? `${first.location.file}:${first.location.line}:${first.location.column}: ` : '';
    problems.add('/schema', `schema file \`${shownPath}\` is not valid JSON/YAML: ${where}${first?.message ?? 'no value'}`);
    return undefined;
  }
  if (!isObject(doc.value)) {
    problems.add('/schema', `schema file \`${shownPath}\` must contain a JSON Schema object, got ${typeOf(doc.value)}`);
    return undefined;
  }
  return doc.value as JsonObject;
}

function importWindows(imports: WindowImportSpec[], baseDir: string, problems: ProblemList): WindowSpec[] {
  const out: WindowSpec[] = [];
  imports.forEach((imp, i) => {
    const at = `/windowImports/${i}`;
    const rel = imp.statuspage ?? imp.ical;
    if (rel === undefined) return;
    const path = resolveFile(baseDir, rel);
    try {
      if (imp.statuspage !== undefined) {
        const text = readFileSync(path, 'utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch (err) {
          problems.add(`${at}/statuspage`, `Statuspage export \`${rel}\` is not valid JSON (${path}): ${(err as Error).message}`);
          return;
        }
        const opts: { kind?: WindowSpec['kind']; label?: string; components?: Record<string, string>; source: string } = { source: rel };
        if (imp.kind) opts.kind = imp.kind;
        if (imp.label) opts.label = imp.label;
        if (imp.components) opts.components = imp.components;
        out.push(...importStatuspage(json, opts));
      } else {
        const text = readFileSync(path, 'utf8');
        const opts: { kind?: WindowSpec['kind']; targets?: WindowImportSpec['targets']; timeZone?: string; source: string } = { source: rel };
        if (imp.kind) opts.kind = imp.kind;
        if (imp.targets) opts.targets = imp.targets;
        if (imp.timeZone) opts.timeZone = imp.timeZone;
        out.push(...importICal(text, opts));
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const field = imp.statuspage !== undefined ? 'statuspage' : 'ical';
      const why = code === 'ENOENT' ? 'file not found' : err instanceof Error ? err.message : String(err);
      problems.add(`${at}/${field}`, `window import \`${rel}\` failed (${path}): ${why}`);
    }
  });
  return out;
}

/* ------------------------------------------------------------ resolve */

function formatProblem(p: Problem, file: string | undefined, locate: ResolvePolicyOptions['locate']): { line: string; loc?: SourceLocation } {
  let loc: SourceLocation | undefined;
  try {
    loc = locate?.(p.pointer);
  } catch {
    loc = undefined;
  }
  const where = loc ? `${loc.file}:${loc.line}:${loc.column}: ` : file ? `${file}: ` : '';
  return { line: `${where}${p.pointer || '/'}: ${p.message}`, ...(loc ? { loc } : {}) };
}

function throwProblems(problems: ProblemList, file: string | undefined, locate: ResolvePolicyOptions['locate']): never {
  const formatted = problems.items.map((p) => formatProblem(p, file, locate));
  formatted.sort((a, b) => (a.loc?.line ?? Infinity) - (b.loc?.line ?? Infinity) || (a.loc?.column ?? 0) - (b.loc?.column ?? 0));
  const lines = formatted.map((f) => f.line);
  const n = lines.length;
  const message = `invalid policy${file ? ` ${file}` : ''}: ${n} problem${n === 1 ? '' : 's'}\n` + lines.map((l) => `  ${l}`).join('\n');
  const first = formatted[0]?.loc;
  throw new PolicyError(message, { problems: lines, ...(first ? { location: first } : file ? { location: { file } } : {}) });
}

/**
 * Validate a policy value (already parsed) and fill defaults: durations become milliseconds, sizes bytes, the
 * config schema and window imports are loaded (relative to `baseDir`).
 * Throws {@link PolicyError} (`E_POLICY_INVALID`) listing every problem, each with its key and, with `locate`, its line.
 */
export function resolvePolicy(doc: unknown, options: ResolvePolicyOptions = {}): ResolvedPolicy {
  const baseDir = options.baseDir ?? process.cwd();
  const file = options.file;
  const problems = new ProblemList();
  schemaProblems(doc, problems);
  if (!isObject(doc)) throwProblems(problems, file, options.locate);
  semanticProblems(doc, problems);
  const d = doc as unknown as PolicyDocument;

  // The config schema.
  let schema: JsonObject | undefined;
  let schemaFile: string | undefined;
  if (typeof d.schema === 'string' && d.schema !== '') {
    schemaFile = resolveFile(baseDir, d.schema);
    schema = loadSchemaFile(schemaFile, d.schema, problems);
  } else if (isObject(d.schema)) {
    schema = d.schema;
  }
  if (schema) {
    try {
      compileConfigSchema(schema);
    } catch (err) {
      problems.add('/schema', `the config schema${schemaFile ? ` \`${String(d.schema)}\`` : ''} is not a valid JSON Schema: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  // Config sets: schemas by glob, loaded like `schema`.
  let files: ResolvedPolicy['files'];
  if (d.files !== undefined) {
    const schemas: NonNullable<ResolvedPolicy['files']>['schemas'] = [];
    (d.files.schemas ?? []).forEach((e, i) => {
      let s: JsonObject | undefined;
      let sf: string | undefined;
      if (typeof e.schema === 'string' && e.schema !== '') {
        sf = resolveFile(baseDir, e.schema);
        const before = problems.items.length;
        s = loadSchemaFile(sf, e.schema, problems);
        // loadSchemaFile reports at /schema: say which entry it was.
        for (let k = before; k < problems.items.length; k++) problems.items[k]!.pointer = `/files/schemas/${i}/schema`;
      } else if (isObject(e.schema)) s = e.schema;
      if (!s) return;
      try {
        compileConfigSchema(s);
      } catch (err) {
        problems.add(`/files/schemas/${i}/schema`, `the schema for \`${e.match}\` is not a valid JSON Schema: ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
      schemas.push({ match: e.match, schema: s, ...(sf !== undefined ? { schemaFile: sf } : {}) });
    });
    files = { ignore: [...(d.files.ignore ?? [])], schemas, required: [...(d.files.required ?? [])], maxFiles: d.files.maxFiles ?? 10_000 };
  }

  // CEL rules: compiled once here; a syntax or type error is a policy problem naming the rule and its line.
  const rules: ResolvedRule[] = (d.rules ?? []).map((r) => {
    const out: ResolvedRule = { id: r.id, path: r.path === undefined || r.path === '/' ? '' : r.path, expr: r.expr, severity: r.severity ?? 'block' };
    if (r.message !== undefined) out.message = r.message;
    if (r.description !== undefined) out.description = r.description;
    return out;
  });
  if (problems.items.length === 0) for (const p of compileRules(rules).problems) problems.add(p.pointer, p.message);

  const imported = Array.isArray(d.windowImports) && problems.items.length === 0 ? importWindows(d.windowImports, baseDir, problems) : [];
  const windowCount = (Array.isArray(d.windows) ? d.windows.length : 0) + imported.length;
  if (imported.length > 0 && windowCount > MAX_WINDOWS) {
    problems.add('/windowImports', `a policy may hold at most ${MAX_WINDOWS} windows; its windows and imports give ${windowCount}`);
  }
  if (problems.items.length > 0) throwProblems(problems, file, options.locate);

  const limits = d.limits ?? {};
  const input = limits.input ?? {};
  const defaultsIn: Required<InputLimits> = { ...DEFAULT_INPUT_LIMITS } as Required<InputLimits>;
  const checks: ResolvedCheck[] = (d.checks ?? []).map((c: CheckSpec) => {
    const { expiresAfter, severity, ...rest } = c;
    const r: ResolvedCheck = { ...rest, severity: severity ?? 'block' };
    if (expiresAfter !== undefined) r.expiresAfterMs = tryParseDuration(expiresAfter)!;
    return r;
  });
  const health = d.rollout?.health ?? {};
  const windowSource = file ?? 'policy';
  const resolved: ResolvedPolicy = {
    baseDir,
    keys: { ...(d.keys ?? {}) },
    ordered: [...(d.ordered ?? [])],
    versionPath: d.versionPath ?? POLICY_DEFAULTS.versionPath,
    limits: {
      growth: { warn: limits.growth?.warn ?? POLICY_DEFAULTS.growth.warn, block: limits.growth?.block ?? POLICY_DEFAULTS.growth.block },
      shrink: { warn: limits.shrink?.warn ?? POLICY_DEFAULTS.shrink.warn, block: limits.shrink?.block ?? POLICY_DEFAULTS.shrink.block },
      minListSize: limits.minListSize ?? POLICY_DEFAULTS.minListSize,
      input: {
        maxBytes: input.maxBytes !== undefined ? tryParseSize(input.maxBytes)! : defaultsIn.maxBytes,
        maxDepth: input.maxDepth ?? defaultsIn.maxDepth,
        maxAliases: input.maxAliases ?? defaultsIn.maxAliases,
        maxNodes: input.maxNodes ?? defaultsIn.maxNodes,
      },
    },
    checks,
    rules,
    sensitive: (d.sensitive ?? []).map((s) => ({
      path: s.path,
      weight: s.weight ?? POLICY_DEFAULTS.sensitiveWeight,
      reason: s.reason ?? `sensitive path ${s.path}`,
    })),
    secrets: [...(d.secrets ?? [])],
    secretKeys: { add: [...(d.secretKeys?.add ?? [])], exempt: [...(d.secretKeys?.exempt ?? [])] },
    planes: { control: [...(d.planes?.control ?? [])], data: [...(d.planes?.data ?? [])] },
    windows: [...(d.windows ?? []).map((w) => (w.source === undefined ? { ...w, source: windowSource } : { ...w })), ...imported],
    scoring: {
      warn: d.scoring?.warn ?? POLICY_DEFAULTS.scoring.warn,
      block: d.scoring?.block ?? POLICY_DEFAULTS.scoring.block,
      tiers: (d.scoring?.tiers ?? []).map((t: TierSpec) => ({ ...t, stages: t.stages.map((s: StageSpec) => ({ ...s })) })),
    },
    rollout: {
      stages: d.rollout?.strategy !== undefined ? expandStrategy(d.rollout.strategy, 'rollout.strategy') : (d.rollout?.stages ?? []).map((s) => ({ ...s })),
      health: {
        intervalMs: health.interval !== undefined ? tryParseDuration(health.interval)! : POLICY_DEFAULTS.health.intervalMs,
        timeoutMs: health.timeout !== undefined ? tryParseDuration(health.timeout)! : POLICY_DEFAULTS.health.timeoutMs,
        failureLimit: health.failureLimit ?? POLICY_DEFAULTS.health.failureLimit,
        successes: health.successes ?? POLICY_DEFAULTS.health.successes,
      },
    },
    document: d,
  };
  if (file !== undefined) resolved.file = file;
  if (files) resolved.files = files;
  if (schema) resolved.schema = schema;
  if (schemaFile !== undefined) resolved.schemaFile = schemaFile;
  if (limits.maxBytes !== undefined) resolved.limits.maxBytes = tryParseSize(limits.maxBytes)!;
  if (d.notify !== undefined) resolved.notify = d.notify.map((n) => ({ ...n, on: [...n.on] }));
  if (d.rollout?.scope !== undefined) resolved.rollout.scope = d.rollout.scope;
  if (d.rollout?.failureDomain !== undefined) resolved.rollout.failureDomain = d.rollout.failureDomain;
  if (d.rollout?.redundancy !== undefined) resolved.rollout.redundancy = d.rollout.redundancy;
  if (d.rollout?.onApprovalDenied !== undefined) resolved.rollout.onApprovalDenied = d.rollout.onApprovalDenied;
  if (d.rollout?.strategy !== undefined) resolved.rollout.strategy = structuredClone(d.rollout.strategy);
  if (d.rollout?.analysis !== undefined) {
    const analysis = resolveAnalysis(d.rollout.analysis, resolved.rollout.health, (p, m) => problems.add(p, m));
    if (!analysis) throwProblems(problems, file, options.locate);
    resolved.rollout.analysis = analysis;
  }
  if (d.rollout?.revert?.stages !== undefined) resolved.rollout.revertStages = d.rollout.revert.stages.map((s) => ({ ...s }));
  return resolved;
}

/**
 * Read and validate a policy file (YAML or JSON). A string is a file path. Relative paths in the policy resolve
 * against the policy file's folder (`options.baseDir` overrides; text without a file resolves against `process.cwd()`).
 * Throws {@link PolicyError} (`E_POLICY_INVALID`) listing every problem as `file:line:col: /pointer: message` lines
 * (parse errors and duplicate keys of the policy file included), or {@link InputError} when the file cannot be read.
 */
export function loadPolicy(source: string | { path: string } | { text: string; file?: string }, options: LoadPolicyOptions = {}): ResolvedPolicy {
  const src = typeof source === 'string' ? { path: source } : source;
  let doc;
  try {
    doc = loadConfig(src);
  } catch (err) {
    if (err instanceof ConfgateError) throw err;
    const name = 'path' in src ? src.path : (src.file ?? '<policy>');
    throw new InputError(`cannot read policy ${name}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const baseDir = options.baseDir ?? ('path' in src ? dirname(resolvePath(src.path)) : process.cwd());
  const problems = doc.findings.filter((f) => f.severity !== 'info');
  if (problems.length > 0 || doc.failed || doc.value === undefined) {
    const lines = problems.map((f) => {
      const loc = f.location;
      const where = loc ? `${loc.file}:${loc.line}:${loc.column}: ` : `${doc.file}: `;
      return `${where}${f.path ? `${f.path}: ` : ''}${f.message}`;
    });
    if (lines.length === 0) lines.push(`${doc.file}: the policy file is empty or could not be parsed`);
    const first = problems[0]?.location;
    throw new PolicyError(`invalid policy ${doc.file}: ${lines.length} problem${lines.length === 1 ? '' : 's'}\n` + lines.map((l) => `  ${l}`).join('\n'), {
      problems: lines,
      location: first ?? { file: doc.file },
    });
  }
  return resolvePolicy(doc.value, { baseDir, file: doc.file, locate: (p) => doc.locate(p) });
}

/**
 * The policy used when none is given: `resolvePolicy({ version: 1 })`. Catches duplicate keys in `keys` lists (none by
 * default), exact duplicate rows, growth (warn 1.5x, block 2x) and shrink (warn 20%, block 50%) against the LKG,
 * and unsafe input (size, depth, aliases).
 */
export function defaultPolicy(): ResolvedPolicy {
  return resolvePolicy({ version: 1 });
}

/** The JSON Schema of the policy file (the same object as `confgate/policy.schema.json`). */
export function getPolicySchema(): JsonValue {
  return policySchema as unknown as JsonValue;
}
