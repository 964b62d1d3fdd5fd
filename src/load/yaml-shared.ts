/**
 * What the two YAML paths of the load stage share: the outcome type, the tags they accept and how they store keys.
 */
import type { Finding, JsonObject, JsonValue, RuleId, SourceLocation } from '../types.js';
import type { OmittedFindings } from './findings.js';

/** Outcome of the YAML path. */
export interface YamlOutcome {
  value: JsonValue | undefined;
  findings: Finding[];
  failed: boolean;
  /** True when the text has YAML syntax errors (the caller may prefer another error report). */
  syntaxError: boolean;
  locate: (pointer: string) => SourceLocation | undefined;
  /** Findings past the per-rule cap, counted but not built (see `capFindings`). */
  omitted?: ReadonlyMap<RuleId, OmittedFindings> | undefined;
}

/** The only tags accepted: the core schema's and the non-specific `!`. Anything else is a `parse.error`. */
export const ALLOWED_TAGS: ReadonlySet<string> = new Set([
  '!',
  'tag:yaml.org,2002:str',
  'tag:yaml.org,2002:int',
  'tag:yaml.org,2002:float',
  'tag:yaml.org,2002:bool',
  'tag:yaml.org,2002:null',
  'tag:yaml.org,2002:map',
  'tag:yaml.org,2002:seq',
]);

/** Set an own data property, also for `__proto__`, without touching any prototype. */
export function setOwn(obj: JsonObject, key: string, value: JsonValue): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  else obj[key] = value;
}
