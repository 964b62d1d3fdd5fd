/**
 * Check plugins: TypeScript functions passed to `createGate(policy, { checks })`. Registration is validated when the
 * gate is built (misuse throws `OptionsError`); on every evaluation each check runs on the documents, changes, targets
 * and time, and anything that goes wrong in it is an `internal.error` block finding, never a silent pass.
 */
import { OptionsError } from '../errors.js';
import { RULES } from '../report/rules.js';
import type { Finding, JsonValue, RuleId, Severity } from '../types.js';
import type { CheckFinding, CheckInput, CheckPlugin, CheckRuleInfo } from './types.js';

/** Plugin rule ids are namespaced: `acme.weights-sum`, `acme.routes/pool-exists`. */
const ID = /^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_/-]*)+$/;
const SEVERITIES = new Set<Severity>(['block', 'warn', 'info']);

/** Registered checks with their rule metadata. */
export interface RegisteredChecks {
  readonly checks: readonly CheckPlugin[];
  /** Rule id -> metadata, for every id a check registered. */
  readonly rules: ReadonlyMap<string, Readonly<Required<CheckRuleInfo>>>;
}

/** Validates the plugin list given to `createGate`; throws `OptionsError` naming the field on misuse. */
export function registerChecks(checks: unknown): RegisteredChecks {
  if (checks === undefined) return { checks: [], rules: new Map() };
  if (!Array.isArray(checks)) throw new OptionsError(`\`checks\` must be a list of check plugins, got ${typeof checks}`);
  const rules = new Map<string, Required<CheckRuleInfo>>();
  const list: CheckPlugin[] = [];
  checks.forEach((c: unknown, i) => {
    const at = `checks[${i}]`;
    if (c === null || typeof c !== 'object') throw new OptionsError(`\`${at}\` must be an object { name, rules, check }, got ${c === null ? 'null' : typeof c}`);
    const p = c as Partial<CheckPlugin>;
    if (typeof p.name !== 'string' || p.name === '') throw new OptionsError(`\`${at}.name\` must be a non-empty string`);
    if (typeof p.check !== 'function') throw new OptionsError(`\`${at}.check\` (${p.name}) must be a function`);
    if (p.rules === null || typeof p.rules !== 'object' || Object.keys(p.rules).length === 0) {
      throw new OptionsError(`\`${at}.rules\` (${p.name}) must register at least one rule id, e.g. { 'acme.weights-sum': { title: '...' } }`);
    }
    for (const [id, info] of Object.entries(p.rules)) {
      if (!ID.test(id)) throw new OptionsError(`\`${at}.rules\` (${p.name}): rule id \`${id}\` must be namespaced like \`acme.weights-sum\` (lowercase letters, digits, \`_\`, \`/\`, \`-\`, at least one \`.\`)`);
      if (Object.prototype.hasOwnProperty.call(RULES, id) || id.startsWith('rule.')) {
        throw new OptionsError(`\`${at}.rules\` (${p.name}): rule id \`${id}\` is reserved (a built-in id or a policy rule's \`rule.*\`); use your own prefix`);
      }
      if (rules.has(id)) throw new OptionsError(`\`${at}.rules\` (${p.name}): rule id \`${id}\` is registered twice`);
      if (info === null || typeof info !== 'object' || typeof info.title !== 'string' || info.title === '') {
        throw new OptionsError(`\`${at}.rules['${id}'].title\` (${p.name}) must be a non-empty string`);
      }
      if (info.severity !== undefined && !SEVERITIES.has(info.severity)) {
        throw new OptionsError(`\`${at}.rules['${id}'].severity\` (${p.name}) must be block, warn or info, got ${String(info.severity)}`);
      }
      rules.set(id, { title: info.title, help: info.help ?? info.title, severity: info.severity ?? 'block' });
    }
    list.push(p as CheckPlugin);
  });
  return { checks: list, rules };
}

/** Runs every check; each failure of a check is an `internal.error` finding naming it. */
export function pluginFindings(registered: RegisteredChecks, input: CheckInput): Finding[] {
  const out: Finding[] = [];
  for (const plugin of registered.checks) {
    const own = new Set(Object.keys(plugin.rules));
    const fail = (why: string): void => {
      out.push({
        rule: 'internal.error',
        severity: 'block',
        message: `check \`${plugin.name}\` ${why}; the gate fails closed`,
        detail: { stage: 'checks', check: plugin.name },
      });
    };
    let result: unknown;
    try {
      result = plugin.check(input);
    } catch (err) {
      fail(`threw: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    if (result === undefined) continue;
    if (result instanceof Promise || (result !== null && typeof (result as { then?: unknown }).then === 'function')) {
      void Promise.resolve(result).catch(() => undefined);
      fail('returned a promise; checks must be synchronous');
      continue;
    }
    if (!Array.isArray(result)) {
      fail(`returned ${typeof result}, not a list of findings`);
      continue;
    }
    for (const raw of result as unknown[]) {
      const f = raw as Partial<CheckFinding> | null;
      if (f === null || typeof f !== 'object' || typeof f.rule !== 'string' || typeof f.message !== 'string') {
        fail('returned a finding without a string `rule` and `message`');
        continue;
      }
      if (!own.has(f.rule)) {
        fail(`reported rule id \`${f.rule}\`, which it did not register (registered: ${[...own].join(', ')})`);
        continue;
      }
      const severity = f.severity ?? registered.rules.get(f.rule)!.severity;
      if (!SEVERITIES.has(severity)) {
        fail(`reported severity \`${String(severity)}\` for \`${f.rule}\``);
        continue;
      }
      const finding: Finding = { rule: f.rule as RuleId, severity, message: f.message };
      if (typeof f.path === 'string') {
        finding.path = f.path;
        const loc = input.proposed.locate(f.path);
        if (loc) finding.location = loc;
      }
      if (f.detail !== undefined) finding.detail = f.detail as Record<string, JsonValue>;
      out.push(finding);
    }
  }
  return out;
}
