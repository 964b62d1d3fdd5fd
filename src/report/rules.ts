/** The rule catalog: every stable rule id with a title, help text and default severity. */
import type { BuiltinRuleId, Severity } from '../types.js';

/** One entry of the rule catalog. */
export interface RuleInfo {
  /** Short title (SARIF `shortDescription`). */
  title: string;
  /** What the rule checks and what to do about it (SARIF `fullDescription` and `help`). */
  help: string;
  /** Severity the rule's findings have unless the policy says otherwise. */
  severity: Severity;
}

/**
 * The catalog: rule id -> `{ title, help, severity }`, used by SARIF `tool.driver.rules` and the docs.
 * The key order is fixed (it gives SARIF `ruleIndex`).
 */
export const RULES: Readonly<Record<BuiltinRuleId, Readonly<RuleInfo>>> = Object.freeze({
  'parse.error': {
    title: 'Config does not parse',
    help: 'The proposed config is not valid YAML or JSON. Fix the syntax error at the reported line; a config that does not parse is always blocked.',
    severity: 'block',
  },
  'parse.duplicate-key': {
    title: 'Duplicate key in an object',
    help: 'An object has the same key twice. JSON.parse and most loaders silently keep the last value, so one of the two is lost. Remove or rename one of them.',
    severity: 'block',
  },
  'parse.precision-loss': {
    title: 'Number loses precision',
    help: 'A numeric literal cannot be represented exactly as a JavaScript number (for example an integer above 2^53). Quote it as a string if the consumer needs the exact value.',
    severity: 'warn',
  },
  'input.too-large': {
    title: 'Input too large',
    help: 'The input exceeds the loader limits (bytes or nodes after alias expansion). Raise `limits.input` in the policy only if the size is expected.',
    severity: 'block',
  },
  'input.too-deep': {
    title: 'Input nested too deeply',
    help: 'The input nests arrays/objects or YAML aliases beyond the loader limits, a common shape of accidental or hostile input.',
    severity: 'block',
  },
  schema: {
    title: 'JSON Schema violation',
    help: 'The proposed config violates the JSON Schema named by the policy. The ajv keyword and parameters are in the finding detail.',
    severity: 'block',
  },
  'limit.max-bytes': {
    title: 'Config larger than allowed',
    help: 'The proposed document is larger than `limits.maxBytes`. Consumers often have hard size limits; check whether the growth is intended.',
    severity: 'block',
  },
  'limit.growth': {
    title: 'Config or list grew too much',
    help: 'The document or a keyed list grew by more than the allowed ratio against the last known good config (duplicate rows in generated data are a classic cause).',
    severity: 'warn',
  },
  'limit.shrink': {
    title: 'List lost too many entries',
    help: 'A list or the document lost more than the allowed fraction of its entries against the last known good config. Check for a truncated or partial generation.',
    severity: 'warn',
  },
  'limit.max-items': {
    title: 'List has too many entries',
    help: 'A list holds more entries than the `maxItems` check allows; consumers may crash on lists above a hard limit.',
    severity: 'block',
  },
  'limit.min-items': {
    title: 'List has too few entries',
    help: 'A list holds fewer entries than the `minItems` check requires.',
    severity: 'block',
  },
  'limit.unique': {
    title: 'Duplicate entries in a keyed list',
    help: 'Entries of a list are not unique by the configured field. Remove the duplicates.',
    severity: 'block',
  },
  'check.regex': {
    title: 'Unsafe or invalid regular expression',
    help: 'A value declared to be a regular expression does not compile or can backtrack catastrophically (ReDoS). Rewrite it without nested or overlapping quantifiers.',
    severity: 'block',
  },
  'check.expiry': {
    title: 'Value expired or expiring soon',
    help: 'A date-time value (a signature or certificate expiry) is in the past or closer to the evaluation time than the required margin. Renew it before pushing.',
    severity: 'block',
  },
  'check.target-mismatch': {
    title: 'Config does not match its targets',
    help: 'A value that must equal a label of every target (for example the environment) does not. The config may be headed for the wrong environment.',
    severity: 'block',
  },
  'diff.reorder': {
    title: 'Order-sensitive list reordered',
    help: 'Entries of a list whose order matters changed order. Confirm the new order is intended.',
    severity: 'warn',
  },
  'window.freeze': {
    title: 'Change freeze in effect',
    help: 'The evaluation time is inside a freeze window. Wait for the freeze to end, or use a break-glass override with a reason.',
    severity: 'block',
  },
  'window.maintenance': {
    title: 'Targets under maintenance',
    help: 'Some targets of the push are under maintenance; they are kept out of the rollout waves while the window is active.',
    severity: 'warn',
  },
  'window.outside-allowed': {
    title: 'Outside every allowed window',
    help: 'Allow windows are defined and none is active at the evaluation time. Push inside an allowed window.',
    severity: 'block',
  },
  'plane.coupled': {
    title: 'Control and data plane changed together',
    help: 'One push changes both control-plane and data-plane paths. Split it so a failure of one does not take down the other.',
    severity: 'warn',
  },
  'version.not-increasing': {
    title: 'Version did not increase',
    help: 'The config content changed but its semantic version did not increase. Bump the version so consumers and rollbacks can tell the configs apart.',
    severity: 'warn',
  },
  'rollback.lkg-invalid': {
    title: 'Last known good config is invalid',
    help: 'The current (last known good) config itself fails validation, so rolling back to it would not be safe. Fix the LKG or pick another rollback target.',
    severity: 'warn',
  },
  'rollout.no-canary': {
    title: 'Risky change without a canary stage',
    help: 'A risky change would reach every target in a single stage. Add a small first stage with a bake time.',
    severity: 'warn',
  },
  'score.threshold': {
    title: 'Risk score above threshold',
    help: 'The risk score reached the warn or block threshold of the policy. The score factors explain where the points come from.',
    severity: 'warn',
  },
  'override.used': {
    title: 'Break-glass override used',
    help: 'A break-glass override was recorded: freeze findings became warnings. The reason is in the report.',
    severity: 'info',
  },
  'revert.used': {
    title: 'Revert: pushing the last known good back',
    help: 'The push was evaluated as a revert: version, growth, shrink and risk-score findings are reported as warnings and do not block it; parse, schema, regex, expiry and target checks (and windows) still do. The reason is in the report.',
    severity: 'info',
  },
  'internal.error': {
    title: 'Internal error in a check',
    help: 'A check threw an exception. The gate fails closed: the push is blocked. Report the message as a bug.',
    severity: 'block',
  },
  // Config sets (appended: the key order gives SARIF `ruleIndex`).
  'input.unreadable': {
    title: 'Member of a config set cannot be read',
    help: 'A file of the config set cannot be read: permissions, a symlink that leads out of the set\'s folder or in a loop, a FIFO, socket or device. The set is judged as one unit, so a member that cannot be read blocks the push.',
    severity: 'block',
  },
  'input.unknown-type': {
    title: 'Unknown file type in a config set',
    help: 'A file of the config set is not JSON or YAML (.json, .yaml, .yml). If it is not part of the config, list it in `files.ignore` in the policy.',
    severity: 'block',
  },
  'input.missing': {
    title: 'Config set member missing',
    help: 'A member the policy lists in `files.required` is not in the proposed set, or the set holds no config file at all.',
    severity: 'block',
  },
} satisfies Record<BuiltinRuleId, RuleInfo>);
