/**
 * A documented JSONPath subset for picking numbers out of JSON answers (RFC 9535 syntax, a subset of it):
 * `$` root, `.name` and `['name']` / `["name"]` members, `[n]` array index (negative counts from the end),
 * `[*]` and `.*` wildcards. No filters (`?()`), scripts, slices or recursive descent: a health query picks a value at
 * a known place, and leaving out the expression features keeps policy files from running code. Unsupported syntax is
 * a policy error at load, not a silent miss at run time.
 */

type Step = { kind: 'member'; name: string } | { kind: 'index'; index: number } | { kind: 'wildcard' };

/** A compiled path. */
export interface JsonPath {
  readonly source: string;
  /** Whether the path can select several nodes (it has a wildcard). */
  readonly multiple: boolean;
  /** Every node the path selects, in document order (empty when nothing matches). */
  select(value: unknown): unknown[];
}

/** Thrown by {@link compileJsonPath} for syntax outside the subset. */
export class JsonPathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JsonPathError';
  }
}

/** Compiles a path of the subset; throws {@link JsonPathError} naming the position of the first unsupported part. */
export function compileJsonPath(source: string): JsonPath {
  const steps: Step[] = [];
  if (!source.startsWith('$')) throw new JsonPathError(`JSONPath ${JSON.stringify(source)} must start with "$"`);
  let i = 1;
  const fail = (what: string): never => {
    throw new JsonPathError(`JSONPath ${JSON.stringify(source)} at ${i}: ${what} (supported: $, .name, ['name'], [n], [*], .*)`);
  };
  while (i < source.length) {
    const c = source[i]!;
    if (c === '.') {
      if (source[i + 1] === '.') fail('recursive descent ".." is not supported');
      if (source[i + 1] === '*') {
        steps.push({ kind: 'wildcard' });
        i += 2;
        continue;
      }
      const m = /^[A-Za-z_][A-Za-z0-9_\-]*/.exec(source.slice(i + 1));
      if (!m) fail('expected a member name after "."');
      steps.push({ kind: 'member', name: m![0] });
      i += 1 + m![0].length;
    } else if (c === '[') {
      const rest = source.slice(i);
      let m: RegExpExecArray | null;
      if ((m = /^\[\s*\*\s*\]/.exec(rest))) steps.push({ kind: 'wildcard' });
      else if ((m = /^\[\s*(-?\d+)\s*\]/.exec(rest))) steps.push({ kind: 'index', index: Number(m[1]) });
      else if ((m = /^\[\s*'((?:[^'\\]|\\.)*)'\s*\]/.exec(rest)) || (m = /^\[\s*"((?:[^"\\]|\\.)*)"\s*\]/.exec(rest))) {
        steps.push({ kind: 'member', name: m[1]!.replace(/\\(.)/g, '$1') });
      } else fail('expected [n], [*] or [\'name\'] (filters, slices and unions are not supported)');
      i += m![0].length;
    } else fail(`unexpected ${JSON.stringify(c)}`);
  }
  const multiple = steps.some((s) => s.kind === 'wildcard');
  return {
    source,
    multiple,
    select(value) {
      let nodes: unknown[] = [value];
      for (const s of steps) {
        const next: unknown[] = [];
        for (const n of nodes) {
          if (n === null || typeof n !== 'object') continue;
          if (s.kind === 'member') {
            if (!Array.isArray(n) && Object.prototype.hasOwnProperty.call(n, s.name)) next.push((n as Record<string, unknown>)[s.name]);
          } else if (s.kind === 'index') {
            if (Array.isArray(n)) {
              const k = s.index < 0 ? n.length + s.index : s.index;
              if (k >= 0 && k < n.length) next.push(n[k]);
            }
          } else if (Array.isArray(n)) next.push(...n);
          else next.push(...Object.values(n));
        }
        nodes = next;
      }
      return nodes;
    },
  };
}
