/**
 * Invariants the built-in checks cannot express: the policy's CEL `rules` and TypeScript check plugins.
 * The gate builds one {@link RuleEngine} per gate (rules compiled once per policy) and runs it after the diff.
 */
import { PolicyError } from '../errors.js';
import type { ResolvedPolicy } from '../policy/types.js';
import { isCustomRule } from './ids.js';
import type { Change, ConfigDoc, Finding, RuleInfoMap, Target } from '../types.js';
import { compileKeys, type KeyedLists } from '../validate/limits.js';
import { compileRules, type CompiledRule } from './compile.js';
import { ruleFindings, type FilesBinding } from './evaluate.js';
import { pluginFindings, registerChecks, type RegisteredChecks } from './plugins.js';
import type { GateOptions } from './types.js';

export { compileRules, RULE_VARIABLES } from './compile.js';
export { isCustomRule } from './ids.js';
export type { FilesBinding } from './evaluate.js';
export type { CheckFinding, CheckInput, CheckPlugin, CheckRuleInfo, GateOptions, ResolvedRule, RuleSpec } from './types.js';

/** A policy's rules and a gate's check plugins, ready to run. */
export interface RuleEngine {
  readonly compiled: readonly CompiledRule[];
  readonly checks: RegisteredChecks;
  readonly keyed: KeyedLists;
}

/** Compiles the policy's rules (cached per policy) and registers the plugins (throws `OptionsError` on misuse). */
export function createRuleEngine(policy: ResolvedPolicy, options?: GateOptions): RuleEngine {
  const { compiled, problems } = compileRules(policy.rules ?? []);
  if (problems.length > 0) {
    // A ResolvedPolicy built by hand (resolvePolicy reports these with file and line).
    const lines = problems.map((p) => `${p.pointer}: ${p.message}`);
    throw new PolicyError(`invalid policy rules: ${lines.length} problem${lines.length === 1 ? '' : 's'}\n${lines.map((l) => `  ${l}`).join('\n')}`, { problems: lines });
  }
  return { compiled, checks: registerChecks(options?.checks), keyed: compileKeys(policy.keys) };
}

/** Inputs of one run. */
export interface RuleRun {
  policy: ResolvedPolicy;
  proposed: ConfigDoc;
  current: ConfigDoc | undefined;
  changes: readonly Change[];
  targets: readonly Target[] | undefined;
  at: Date;
  /** Config sets: the member being checked (relative path), and every member of each side. */
  set?: {
    file: string;
    files: ReadonlyMap<string, ConfigDoc>;
    currentFiles: ReadonlyMap<string, ConfigDoc>;
    binding: FilesBinding;
  } | undefined;
}

/** Findings of the policy's rules and of the check plugins on one push. */
export function runRules(engine: RuleEngine, run: RuleRun): Finding[] {
  const out = ruleFindings({
    rules: engine.compiled,
    proposed: run.proposed,
    current: run.current,
    targets: run.targets,
    at: run.at,
    keyed: engine.keyed,
    ...(run.set ? { files: run.set.binding } : {}),
  });
  if (engine.checks.checks.length > 0) {
    const input = {
      proposed: run.proposed,
      ...(run.current ? { current: run.current } : {}),
      changes: run.changes,
      targets: run.targets ?? [],
      at: new Date(run.at.getTime()),
      policy: run.policy,
      ...(run.set ? { file: run.set.file, files: run.set.files, currentFiles: run.set.currentFiles } : {}),
    };
    for (const f of pluginFindings(engine.checks, input)) out.push(f);
  }
  return out;
}


/** Metadata of the custom rule ids that appear in the findings (for SARIF `tool.driver.rules`), or undefined. */
export function customRuleInfo(engine: RuleEngine, findings: readonly Finding[]): RuleInfoMap | undefined {
  let out: RuleInfoMap | undefined;
  for (const f of findings) {
    if (!isCustomRule(f.rule) || out?.[f.rule]) continue;
    let info: RuleInfoMap[string] | undefined;
    if (f.rule.startsWith('rule.')) {
      const r = engine.compiled.find((c) => `rule.${c.rule.id}` === f.rule)?.rule;
      if (r) {
        const where = r.path === '' ? 'the whole document' : `each value at \`${r.path}\``;
        info = {
          title: r.description ?? `Policy rule ${r.id}`,
          help: `${r.description ? `${r.description} ` : ''}CEL rule \`${r.id}\` from the policy, evaluated on ${where}: \`${r.expr}\` must be true.`,
          severity: r.severity,
        };
      }
    } else {
      const reg = engine.checks.rules.get(f.rule);
      if (reg) info = { title: reg.title, help: reg.help, severity: reg.severity };
    }
    if (info) (out ??= {})[f.rule] = info;
  }
  return out;
}
