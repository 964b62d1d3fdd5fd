/**
 * What the two YAML paths of the load stage share: the outcome type, the tags they accept and how they store keys.
 */
import type { Finding, InputLimits, JsonObject, JsonValue, RuleId, SourceLocation } from '../types.js';
import { makeFinding, type OmittedFindings, where } from './findings.js';

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

/** The finding for a duplicate key at `loc` whose first occurrence is at `firstLoc` (both paths: same words). */
export function duplicateKeyFinding(key: string, loc: SourceLocation, firstLoc: SourceLocation, ptr: string): Finding {
  return makeFinding(
    'parse.duplicate-key',
    'block',
    `Duplicate key ${JSON.stringify(key)} at ${where(loc)} (first at line ${firstLoc.line}); the last value is kept, as JSON.parse would do silently.`,
    loc,
    ptr,
    { key, firstLine: firstLoc.line, firstColumn: firstLoc.column },
  );
}

/** The finding for a node with a tag outside {@link ALLOWED_TAGS} (`tag` as the `yaml` package resolves it). */
export function unsupportedTagFinding(tag: string, loc: SourceLocation): Finding {
  const shown = tag.startsWith('tag:yaml.org,2002:') ? '!!' + tag.slice('tag:yaml.org,2002:'.length) : tag;
  return makeFinding('parse.error', 'block', `Unsupported YAML tag ${shown} at ${where(loc)}: only plain JSON values are accepted; custom types are never constructed.`, loc, undefined, {
    tag,
  });
}

/**
 * The finding for a document whose alias expansion takes a count over its limit, refused before anything is
 * expanded (both paths: same words): `which` names the count that crossed, `loc` is where (the alias or node that
 * took it over), `expanded` the alias and the size of its anchor when an alias did.
 */
export function expansionFinding(
  which: 'aliases' | 'nodes',
  limits: Required<InputLimits>,
  loc: SourceLocation,
  expanded?: { source: string; nodes: number },
): Finding {
  const via = expanded ? `: the alias *${expanded.source} expands to ${expanded.nodes} nodes` : '';
  if (which === 'aliases') {
    return makeFinding(
      'input.too-large',
      'block',
      `More than ${limits.maxAliases} YAML aliases resolved (limits.maxAliases) at ${where(loc)}${via}; alias expansion (e.g. a "billion laughs" document) refused before expanding anything.`,
      loc,
      undefined,
      { maxAliases: limits.maxAliases },
    );
  }
  return makeFinding(
    'input.too-large',
    'block',
    `More than ${limits.maxNodes} nodes after alias expansion (limits.maxNodes) at ${where(loc)}${via}; refused before expanding anything.`,
    loc,
    undefined,
    { maxNodes: limits.maxNodes },
  );
}
