/**
 * Compiling the policy's CEL rules, once per policy: every `expr` and every `{{ }}` part of a `message` is parsed
 * and type-checked when the policy loads, so a syntax or type error is a policy error naming the rule (exit 2),
 * never a surprise on the first push.
 */
import { CelCompileError, celIdentifiers, compileCel, type CelProgram } from '../cel/index.js';
import { compilePattern, type PathPattern } from '../pointer.js';
import type { ResolvedRule } from './types.js';

/** The variables a rule can use. */
export const RULE_VARIABLES = Object.freeze(['self', 'root', 'oldSelf', 'oldRoot', 'targets', 'at', 'files', 'oldFiles'] as const);

/** A part of a message template: text, or a compiled `{{ }}` expression. */
export type TemplatePart = { text: string } | { program: CelProgram };

/** A rule ready to evaluate. */
export interface CompiledRule {
  readonly rule: ResolvedRule;
  /** `undefined` for the whole document. */
  readonly pattern: PathPattern | undefined;
  readonly program: CelProgram;
  readonly message: readonly TemplatePart[] | undefined;
  /** The variables the expression and the message refer to (so unused documents are never converted). */
  readonly uses: ReadonlySet<string>;
}

/** A problem found while compiling, with the policy pointer it is about. */
export interface RuleProblem {
  pointer: string;
  message: string;
}

const compiledByRules = new WeakMap<readonly ResolvedRule[], CompiledRule[]>();

/**
 * Compiles every rule; returns the compiled rules and the problems (empty when all compile). The result is cached
 * per `rules` array, so a policy's rules are compiled once however many gates are built from it.
 */
export function compileRules(rules: readonly ResolvedRule[]): { compiled: CompiledRule[]; problems: RuleProblem[] } {
  const cached = compiledByRules.get(rules);
  if (cached) return { compiled: cached, problems: [] };
  const compiled: CompiledRule[] = [];
  const problems: RuleProblem[] = [];
  rules.forEach((rule, i) => {
    const at = `/rules/${i}`;
    let program: CelProgram | undefined;
    try {
      program = compileCel(rule.expr, { variables: RULE_VARIABLES });
    } catch (err) {
      problems.push({ pointer: `${at}/expr`, message: `rule \`${rule.id}\`: ${celProblem(err, 'expr')}` });
    }
    let message: TemplatePart[] | undefined;
    if (rule.message !== undefined) {
      try {
        message = compileTemplate(rule.message);
      } catch (err) {
        problems.push({ pointer: `${at}/message`, message: `rule \`${rule.id}\`: ${celProblem(err, 'message')}` });
      }
    }
    if (program) {
      const uses = new Set<string>(variablesOf(program));
      for (const part of message ?? []) if ('program' in part) for (const v of variablesOf(part.program)) uses.add(v);
      compiled.push({ rule, pattern: rule.path === '' ? undefined : compilePattern(rule.path), program, message, uses });
    }
  });
  if (problems.length === 0) compiledByRules.set(rules, compiled);
  return { compiled, problems };
}

function celProblem(err: unknown, field: string): string {
  if (err instanceof CelCompileError) {
    const where = err.position ? ` (at ${err.position.line}:${err.position.column} of the ${field === 'expr' ? 'expression' : 'placeholder'})` : '';
    return `\`${field}\` \`${err.source}\` does not compile${where}: ${err.reason}`;
  }
  if (err instanceof TemplateError) return `\`message\`: ${err.message}`;
  return `\`${field}\`: ${err instanceof Error ? err.message : String(err)}`;
}

class TemplateError extends Error {}

/** `route {{self.name}} points at {{self.pool}}` -> text and compiled parts. `{{` without `}}` is an error. */
function compileTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{{', i);
    if (open < 0) {
      parts.push({ text: template.slice(i) });
      break;
    }
    if (open > i) parts.push({ text: template.slice(i, open) });
    const close = template.indexOf('}}', open + 2);
    if (close < 0) throw new TemplateError(`\`{{\` at offset ${open} has no closing \`}}\``);
    const source = template.slice(open + 2, close).trim();
    parts.push({ program: compileCel(source, { variables: RULE_VARIABLES }) });
    i = close + 2;
  }
  return parts;
}

function variablesOf(program: CelProgram): string[] {
  return celIdentifiers(program) ?? [...RULE_VARIABLES];
}
