/**
 * Query templates: `{{target.id}}`, `{{target.labels.NAME}}`, `{{stage.name}}`, `{{stage.targets}}`. Compiled once at
 * policy load (an unknown variable is a policy error), rendered per target or per stage with an escaper chosen by the
 * place the text goes (a PromQL string literal, a URL, a command argument).
 */
import type { Target } from '../types.js';

/** What a template is rendered with. `target` is absent for `scope: stage` metrics. */
export interface TemplateContext {
  target?: Target;
  stage: { name: string; targets: readonly Target[] };
}

/** How substituted values are escaped for the place they go. */
export type Escaper = (value: string, variable: 'target.id' | 'target.label' | 'stage.name' | 'stage.targets') => string;

/** A compiled template. */
export interface Template {
  readonly source: string;
  /** Whether the template uses `target.*` (then it cannot be rendered for a whole stage). */
  readonly usesTarget: boolean;
  render(ctx: TemplateContext, escape?: Escaper): string;
}

type Part = string | { kind: 'target.id' } | { kind: 'target.label'; name: string } | { kind: 'stage.name' } | { kind: 'stage.targets' };

/** Thrown by {@link compileTemplate} for an unknown variable or a malformed `{{ }}`. */
export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

const VARIABLE = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** Compiles a template; throws {@link TemplateError} naming the first unknown variable. */
export function compileTemplate(source: string): Template {
  const parts: Part[] = [];
  let last = 0;
  let usesTarget = false;
  for (const m of source.matchAll(VARIABLE)) {
    if (m.index > last) parts.push(source.slice(last, m.index));
    const name = m[1]!;
    if (name === 'target.id') {
      parts.push({ kind: 'target.id' });
      usesTarget = true;
    } else if (/^target\.labels\.[A-Za-z0-9_.\-/]+$/.test(name)) {
      parts.push({ kind: 'target.label', name: name.slice('target.labels.'.length) });
      usesTarget = true;
    } else if (name === 'stage.name') parts.push({ kind: 'stage.name' });
    else if (name === 'stage.targets') parts.push({ kind: 'stage.targets' });
    else {
      throw new TemplateError(
        `unknown template variable {{${name}}} (known: {{target.id}}, {{target.labels.NAME}}, {{stage.name}}, {{stage.targets}})`,
      );
    }
    last = m.index + m[0].length;
  }
  if (last < source.length) parts.push(source.slice(last));
  const rest = parts.filter((p): p is string => typeof p === 'string').join('');
  if (rest.includes('{{') || rest.includes('}}')) throw new TemplateError(`unbalanced "{{" or "}}" in template ${JSON.stringify(source)}`);
  return {
    source,
    usesTarget,
    render(ctx, escape = (v) => v) {
      let out = '';
      for (const p of parts) {
        if (typeof p === 'string') out += p;
        else if (p.kind === 'stage.name') out += escape(ctx.stage.name, 'stage.name');
        else if (p.kind === 'stage.targets') out += escape(joinForRegex(ctx.stage.targets.map((t) => t.id)), 'stage.targets');
        else {
          const t = ctx.target;
          if (!t) throw new TemplateError(`template ${JSON.stringify(source)} needs a target but is rendered for a whole stage`);
          if (p.kind === 'target.id') out += escape(t.id, 'target.id');
          else {
            const v = t.labels[p.name];
            if (v === undefined) throw new TemplateError(`target "${t.id}" has no label "${p.name}" used by template ${JSON.stringify(source)}`);
            out += escape(v, 'target.label');
          }
        }
      }
      return out;
    },
  };
}

/** Escapes RE2 (PromQL regex) metacharacters so that an id matches only itself. */
export function escapeRegex(s: string): string {
  return s.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}

/** Target ids as one RE2 alternation, each id escaped: `a|b\.c`. An empty stage gives a regex that matches nothing. */
export function joinForRegex(ids: readonly string[]): string {
  return ids.length === 0 ? '^$' : ids.map(escapeRegex).join('|');
}

/**
 * Escapes text for the inside of a PromQL string literal (double or single quoted): backslashes, both quotes and line
 * breaks. A regex from `{{stage.targets}}` is escaped again here, so `\.` in the regex is written `\\.` in the literal.
 */
export function escapePromQLString(s: string): string {
  return s.replace(/[\\"'`]/g, '\\$&').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}
