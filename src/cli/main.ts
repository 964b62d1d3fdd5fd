/**
 * The confgate command line: parse arguments, load files, call the library, format, return an exit code.
 * `process.exit` is called only in `bin.ts`; everything here takes its streams and environment as inputs.
 *
 * A folder given as --proposed/--current (or to diff) is a config set: every file below it is a member,
validated, diffed and located on its own, and the set is scored, planned and rolled out as one push
(command hooks then get CONFGATE_CONFIG_DIR, a folder holding the members).

Exit codes: 0 allow or warn, 1 block (or a rollout that did not complete), 2 usage error or unreadable input.
 */
import { appendFileSync, existsSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfgateError, InputError, TargetsError } from '../errors.js';
import { createGate } from '../gate.js';
import { loadConfig } from '../load/index.js';
import { markStableDoc } from '../load/stable.js';
import { defaultPolicy, loadPolicy } from '../policy/index.js';
import type { ResolvedPolicy } from '../policy/types.js';
import { formatChanges, formatPlan, formatReport, type ReportFormat } from '../report/index.js';
import { diffConfigs, summarizeChanges } from '../diff/index.js';
import { planRollout } from '../rollout/index.js';
import { normalizeTargets } from '../targets.js';
import type { ConfigDoc, Target } from '../types.js';
import { listWindows } from '../windows/index.js';
import { formatWindows } from './format-windows.js';
import { DEFAULT_JOURNAL, ROLLOUT_OPTIONS, runRolloutCommand } from './rollout.js';
import { CONTROL_OPTIONS, runControlCommand, runStatusCommand } from './control.js';
import { runTestCommand } from './test.js';
import { isFolderArg, readSet, sourcesOf } from './set.js';
import { diffConfigSets } from '../set/diff.js';
import { historyCommand, unlockCommand } from './store.js';
import { VERSION } from '../version.js';
import { createMasker, maskPlan } from '../secrets.js';
import { gateEvent } from '../notify/index.js';
import { cliNotifier, finishNotifier } from './notify.js';

/** Streams and environment of one CLI run (injected for tests). */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  /** True when stdout is a terminal (enables colour unless NO_COLOR is set). */
  isTTY: boolean;
  /** True when stderr is a terminal (enables a live progress display). */
  isErrTTY?: boolean;
  cwd: string;
  /** Current time; only used when `--at` is not given. */
  now: () => Date;
  /** Reads all of standard input (for `-` as the proposed or current file). @default none: `-` is a usage error */
  stdin?: () => string | Uint8Array;
}

/** A usage error: exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const HELP = `confgate ${VERSION}: stop bad configuration pushes before they take a fleet down

Usage:
  confgate check   --proposed FILE|DIR|- [--current FILE|DIR|-] [--policy FILE] [--targets FILE]
                   [--at ISO-8601] [--format text|json|markdown|sarif|github|junit|gitlab|html]
                   [--output FORMAT=FILE]... [--fail-on warn|block] [--override "reason"]
                   [--revert "reason"] [--stdin-name NAME] [--sarif-root DIR]
                   [--color auto|always|never] [--quiet]
  confgate diff    CURRENT PROPOSED (files or folders) [--policy FILE] [--format text|json] [--exit-code]
                   [--color auto|always|never]
  confgate plan    --targets FILE [--policy FILE] [--at ISO-8601] [--format text|json] [--revert "reason"]
  confgate windows --policy FILE [--at ISO-8601] [--days N] [--format text|json]
  confgate rollout --proposed FILE|DIR --current FILE|DIR --targets FILE --apply HOOK --rollback HOOK
                   [--health HOOK] [--approval HOOK] [--policy FILE] [--journal FILE|URL] [--resume]
                   [--concurrency N] [--hook-timeout DURATION] [--health-interval DURATION]
                   [--scope NAME] [--actor WHO] [--reason TEXT] [--lease-ttl DURATION] [--heartbeat DURATION]
                   [--at ISO-8601] [--override "reason"] [--revert "reason"] [--format text|json]
                   [--promote HOOK] [--verify HOOK] [--approval-timeout DURATION] [--events FILE|-]
                   [--report FILE.html]
                   [--on-approval-denied hold|rollback] [--hold-timeout DURATION]
  confgate rollout --resume --forward --apply HOOK --rollback HOOK [--health HOOK] [--policy FILE] ...
  confgate rollout --resume --rollback HOOK [--journal FILE|URL] [--current FILE] [--format text|json]
  confgate control pause|continue|promote|abort [--journal FILE|URL] [--scope NAME] [--reason TEXT]
  confgate status  [--journal FILE|URL] [--scope NAME] [--format text|json|html]
  confgate unlock  [--journal FILE|URL] [--scope NAME] [--force ROLLOUT-ID] [--format text|json]
  confgate history [--journal FILE|URL] [--scope NAME] [--limit N] [--rollout ID] [--format text|json|ndjson]
  confgate test    [DIR] [--policy FILE] [--format text|json|junit]   (policy unit tests; DIR
                   defaults to confgate-tests/ next to the policy)
  confgate --version | --help

A HOOK is a command (run without a shell; the target is passed in CONFGATE_TARGET_ID,
CONFGATE_TARGET_LABELS, CONFGATE_STAGE and CONFGATE_CONFIG_FILE) or an http(s):// URL
(POST; a 2xx answer advances, anything else or a timeout fails; the value of
CONFGATE_HOOK_AUTHORIZATION, if set, is sent as the Authorization header). Hooks may be
retried on a later run or --resume: apply and rollback must be idempotent. The journal
(default ./confgate-rollout.journal) records every step; after a crash, --resume rolls back.

Without --policy (or CONFGATE_POLICY), the policy is the first confgate.yaml, confgate.yml or
.confgate.yaml found from the working directory up to the repository root (the folder holding .git);
without one, the built-in defaults (every report says which). Environment variables stand in for
flags that are not given: CONFGATE_POLICY, CONFGATE_TARGETS, CONFGATE_AT, CONFGATE_FORMAT (check only),
CONFGATE_FAIL_ON, CONFGATE_COLOR, CONFGATE_SARIF_ROOT. Colour: --color, else FORCE_COLOR, else NO_COLOR,
else colour on a terminal.

Exit codes: 0 allow or warn (warn is 1 with --fail-on warn), 1 block (or rollout not completed;
diff --exit-code: changes found), 2 usage error or unreadable input.
`;

const CHECK_FORMATS = ['text', 'json', 'markdown', 'sarif', 'github', 'junit', 'gitlab', 'html'] as const;

/**
 * Environment variables that stand in for flags that are not given on the command line (flag wins). A variable
 * that is set but empty counts as not set. `CONFGATE_FORMAT` applies to `check` only (other commands have fewer
 * formats).
 */
export const ENV_FLAGS: Readonly<Record<string, string>> = Object.freeze({
  policy: 'CONFGATE_POLICY',
  targets: 'CONFGATE_TARGETS',
  at: 'CONFGATE_AT',
  'fail-on': 'CONFGATE_FAIL_ON',
  color: 'CONFGATE_COLOR',
  'sarif-root': 'CONFGATE_SARIF_ROOT',
});

/** Policy file names looked for, in this order, in each folder from the working directory up to the repository root. */
export const POLICY_FILE_NAMES: readonly string[] = Object.freeze(['confgate.yaml', 'confgate.yml', '.confgate.yaml', '.confgate.yml']);

/** Run the CLI. Never throws: every outcome is an exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const [command, ...rest] = argv;
    switch (command) {
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.stdout(HELP);
        return command === undefined ? 2 : 0;
      case '-v':
      case '--version':
        io.stdout(`${VERSION}\n`);
        return 0;
      case 'check':
        return await check(rest, io);
      case 'diff':
        return diff(rest, io);
      case 'plan':
        return plan(rest, io);
      case 'windows':
        return windows(rest, io);
      case 'rollout':
        return await rollout(rest, io);
      case 'test': {
        const { values, positionals } = parse(rest, { policy: { type: 'string' }, format: { type: 'string' } }, 1);
        return runTestCommand(values, positionals, io, { str, formatOf });
      }
      case 'control': {
        const { values, positionals } = parse(rest, CONTROL_OPTIONS, 1);
        return await runControlCommand(positionals, values, io, DEFAULT_JOURNAL);
      }
      case 'status':
        return await runStatusCommand(parse(rest, CONTROL_OPTIONS).values, io, DEFAULT_JOURNAL);
      case 'unlock':
        return await unlockCommand(rest, io);
      case 'history':
        return await historyCommand(rest, io);
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)} (expected check, diff, plan, windows, rollout, control, status, test, unlock or history)`);
    }
  } catch (err) {
    return fail(err, io);
  }
}

function fail(err: unknown, io: CliIo): number {
  if (err instanceof UsageError) {
    io.stderr(`confgate: ${err.message}\nRun \`confgate --help\` for usage.\n`);
    return 2;
  }
  if (err instanceof ConfgateError) {
    const problems = (err as { problems?: readonly string[] }).problems;
    // PolicyError messages may already list their problems: do not repeat them.
    const text = problems && problems.length > 1 && !err.message.includes(problems[0]!) ? `${err.message}: ${problems.join('; ')}` : err.message;
    io.stderr(`confgate: ${oneLine(text)}\n`);
    return 2;
  }
  // Anything else is a bug: fail closed (never exit 0), one line, no stack trace.
  const message = err instanceof Error ? err.message : String(err);
  io.stderr(`confgate: internal error, failing closed: ${oneLine(message)}\n`);
  return 1;
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, '; ');
}

type Options = NonNullable<ParseArgsConfig['options']>;

function parse(args: readonly string[], options: Options, positionals = 0, env?: CliIo['env']) {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: positionals > 0, strict: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message.replace(/\. To specify.*$/s, '') : String(err));
  }
  if (parsed.positionals.length > positionals) {
    throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[positionals])}`);
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (env) {
    for (const [flag, name] of Object.entries(ENV_FLAGS)) {
      const v = env[name];
      if (flag in options && values[flag] === undefined && v !== undefined && v !== '') values[flag] = v;
    }
  }
  return parsed as { values: Record<string, string | boolean | undefined>; positionals: string[] };
}

/** The nearest folder from `start` upwards that holds `.git` (a folder, or a file in worktrees and submodules). */
export function findGitRoot(start: string): string | undefined {
  let dir = path.resolve(start);
  for (;;) {
    if (existsSync(path.join(dir, '.git'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/**
 * The policy file found by discovery: the first of {@link POLICY_FILE_NAMES} in the working directory, then in each
 * parent folder up to the repository root (only the working directory when it is in no repository).
 */
export function discoverPolicy(cwd: string): string | undefined {
  const root = findGitRoot(cwd);
  let dir = path.resolve(cwd);
  for (;;) {
    for (const name of POLICY_FILE_NAMES) {
      const candidate = path.join(dir, name);
      try {
        if (statSync(candidate).isFile()) return candidate;
      } catch {
        // not there
      }
    }
    if (root === undefined || dir === root) return undefined;
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/** `--color auto|always|never` (or CONFGATE_COLOR), then FORCE_COLOR, then NO_COLOR, then whether stdout is a terminal. */
function colorOf(values: Record<string, string | boolean | undefined>, io: CliIo): boolean {
  const mode = str(values, 'color') ?? 'auto';
  if (mode === 'always') return true;
  if (mode === 'never') return false;
  if (mode !== 'auto') throw new UsageError(`--color must be auto, always or never, got ${JSON.stringify(mode)}`);
  const force = io.env['FORCE_COLOR'];
  if (force !== undefined && force !== '') return force !== '0' && force !== 'false';
  if (io.env['NO_COLOR']) return false;
  return io.isTTY;
}

function str(values: Record<string, string | boolean | undefined>, key: string): string | undefined {
  const v = values[key];
  return typeof v === 'string' ? v : undefined;
}

function requireStr(values: Record<string, string | boolean | undefined>, key: string): string {
  const v = str(values, key);
  if (v === undefined || v === '') throw new UsageError(`--${key} is required`);
  return v;
}

function formatOf<T extends string>(values: Record<string, string | boolean | undefined>, allowed: readonly T[]): T {
  const f = str(values, 'format') ?? 'text';
  if (!(allowed as readonly string[]).includes(f)) {
    throw new UsageError(`--format must be one of ${allowed.join(', ')}, got ${JSON.stringify(f)}`);
  }
  return f as T;
}

function atOf(values: Record<string, string | boolean | undefined>, io: CliIo): Date {
  const raw = str(values, 'at');
  if (raw === undefined) return io.now();
  // Require a date with a time zone or a plain date; reject free text that Date() would half-understand.
  // A date-time without `Z` or an offset would be read in the machine's local zone (a different report per
  // machine), and Date() rolls impossible days over (2025-02-30 -> 2025-03-02): both are usage errors.
  const m = /^(\d{4})-(\d{2})-(\d{2})(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}))?$/.exec(raw);
  const d = m ? new Date(raw) : new Date(Number.NaN);
  const day = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
  const realDay = day !== undefined && day.getUTCMonth() === Number(m?.[2]) - 1 && day.getUTCDate() === Number(m?.[3]);
  if (Number.isNaN(d.getTime()) || !realDay) {
    const hint = /T[\d:.]+$/.test(raw) ? ' (add `Z` or an offset such as +01:00: a time without a zone is ambiguous)' : '';
    throw new UsageError(`--at must be an ISO-8601 date-time like 2025-11-18T11:20:00Z, got ${JSON.stringify(raw)}${hint}`);
  }
  return d;
}

function resolveFile(io: CliIo, file: string): string {
  return path.resolve(io.cwd, file);
}

/** Load a file that must be readable; unreadable -> exit 2 (InputError). */
function readDoc(io: CliIo, file: string, policy: ResolvedPolicy, display = file): ConfigDoc {
  const doc = loadConfig({ path: resolveFile(io, file) }, { file: display, limits: policy.limits.input });
  return doc;
}

function policyOf(io: CliIo, given: string | undefined): ResolvedPolicy {
  const found = given ?? discoverPolicy(io.cwd);
  if (found === undefined) return defaultPolicy();
  // A discovered policy is reported relative to the working directory (`../../confgate.yaml`).
  const file = given ?? path.relative(io.cwd, found);
  // Report the policy file as the user named it; relative paths inside it still resolve against its folder.
  const full = resolveFile(io, file);
  const policy = loadPolicy({ path: full });
  const windows = policy.windows.map((w) => (w.source === full ? { ...w, source: file } : w));
  return { ...policy, file, windows };
}

/** Targets file: `targets: [{ id, labels }]`, YAML or JSON. Any problem is exit 2 with its location. */
export function readTargets(io: CliIo, file: string): Target[] {
  const doc = loadConfig({ path: resolveFile(io, file) }, { file });
  const bad = doc.findings.find((f) => f.severity === 'block');
  if (bad || doc.value === undefined) {
    const loc = bad?.location ? `${bad.location.file}:${bad.location.line}:${bad.location.column}: ` : `${file}: `;
    // Exit 2 with one line (a content problem, not a usage problem: no help hint).
    throw new TargetsError(`invalid targets file: ${loc}${bad?.message ?? 'could not be loaded'}`);
  }
  return normalizeTargets(doc.value, file);
}

const CHECK_OPTIONS: Options = {
  proposed: { type: 'string' },
  current: { type: 'string' },
  policy: { type: 'string' },
  targets: { type: 'string' },
  at: { type: 'string' },
  format: { type: 'string' },
  override: { type: 'string' },
};

/** Options of `check` only (not shared with `rollout`). */
const CHECK_ONLY_OPTIONS: Options = {
  revert: { type: 'string' },
  output: { type: 'string', multiple: true },
  'fail-on': { type: 'string' },
  'stdin-name': { type: 'string' },
  'sarif-root': { type: 'string' },
  color: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
};

/** `--fail-on warn|block` (default block). */
function failOnOf(values: Record<string, string | boolean | undefined>): 'warn' | 'block' {
  const v = str(values, 'fail-on') ?? 'block';
  if (v !== 'warn' && v !== 'block') throw new UsageError(`--fail-on must be warn or block, got ${JSON.stringify(v)}`);
  return v;
}

/** A reason flag (`--override`, `--revert`): absent, or a non-empty reason. */
function reasonOf(values: Record<string, string | boolean | undefined>, key: string): string | undefined {
  const v = str(values, key);
  if (v !== undefined && v.trim() === '') throw new UsageError(`--${key} needs a reason`);
  return v;
}

/** `--output FORMAT=FILE`, repeatable. */
function outputsOf(raw: unknown): Array<{ format: ReportFormat; file: string }> {
  const list = Array.isArray(raw) ? (raw as string[]) : [];
  return list.map((o) => {
    const eq = o.indexOf('=');
    const format = eq > 0 ? o.slice(0, eq) : '';
    const file = eq > 0 ? o.slice(eq + 1) : '';
    if (!(CHECK_FORMATS as readonly string[]).includes(format) || file === '') {
      throw new UsageError(`--output must be FORMAT=FILE with FORMAT one of ${CHECK_FORMATS.join(', ')}, got ${JSON.stringify(o)}`);
    }
    return { format: format as ReportFormat, file };
  });
}

/**
 * Read `-` (standard input) or a file, as a config document named as the user named it. Nothing else holds the
 * document, and `check` never changes it: it is marked stable (load/stable.ts), so the gate may reuse what the
 * loader found (the key lists of large maps).
 */
function readInput(io: CliIo, file: string, policy: ResolvedPolicy, stdinName: string): ConfigDoc {
  const doc = readInputDoc(io, file, policy, stdinName);
  markStableDoc(doc);
  return doc;
}

function readInputDoc(io: CliIo, file: string, policy: ResolvedPolicy, stdinName: string): ConfigDoc {
  if (file !== '-') return readDoc(io, file, policy);
  if (!io.stdin) throw new UsageError('`-` (standard input) is not available here');
  let text: string | Uint8Array;
  try {
    text = io.stdin();
  } catch (err) {
    throw new InputError(`cannot read standard input (${err instanceof Error ? err.message : String(err)})`, { location: { file: stdinName } });
  }
  return loadConfig({ text, file: stdinName }, { file: stdinName, limits: policy.limits.input });
}

async function check(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parse(args, { ...CHECK_OPTIONS, ...CHECK_ONLY_OPTIONS }, 0, io.env);
  if (values['format'] === undefined && io.env['CONFGATE_FORMAT']) values['format'] = io.env['CONFGATE_FORMAT'];
  const format = formatOf<ReportFormat>(values, CHECK_FORMATS);
  const outputs = outputsOf((values as Record<string, unknown>)['output']);
  const failOn = failOnOf(values);
  const color = colorOf(values, io);
  const proposedFile = requireStr(values, 'proposed');
  const currentFile = str(values, 'current');
  if (proposedFile === '-' && currentFile === '-') throw new UsageError('only one of --proposed and --current can be `-` (standard input)');
  const stdinName = str(values, 'stdin-name') ?? '<stdin>';
  if (stdinName === '') throw new UsageError('--stdin-name needs a name');
  const at = atOf(values, io);
  const override = reasonOf(values, 'override');
  const revert = reasonOf(values, 'revert');
  const policy = policyOf(io, str(values, 'policy'));
  const targetsFile = str(values, 'targets');
  const targets = targetsFile ? readTargets(io, targetsFile) : undefined;
  // A folder is a config set (README "Config sets"): both sides must then be folders.
  const setMode = isFolderArg(io.cwd, proposedFile);
  if (currentFile !== undefined && isFolderArg(io.cwd, currentFile) !== setMode) {
    throw new InputError('--proposed and --current must both be folders (a config set) or both be files', { location: { file: currentFile } });
  }
  const proposed = setMode ? readSet(io.cwd, proposedFile, policy) : readInput(io, proposedFile, policy, stdinName);
  const current = currentFile ? (setMode ? readSet(io.cwd, currentFile, policy) : readInput(io, currentFile, policy, stdinName)) : undefined;
  const sarifRootRaw = str(values, 'sarif-root');
  const root = sarifRootRaw !== undefined ? resolveFile(io, sarifRootRaw) : (findGitRoot(io.cwd) ?? io.cwd);

  const notifier = cliNotifier(policy, io); // before evaluating: a bad `notify` entry is exit 2
  const gate = createGate(policy);
  const report = gate.evaluate({
    proposed,
    ...(current ? { current } : {}),
    ...(targets ? { targets } : {}),
    at,
    ...(override ? { override } : {}),
    ...(revert ? { revert } : {}),
  });
  const code = report.verdict === 'block' || (failOn === 'warn' && report.verdict === 'warn') ? 1 : 0;
  // html: the masked source lines around each located finding, and the policy's thresholds on the score chart
  const wantsHtml = format === 'html' || outputs.some((o) => o.format === 'html');
  const options = { toolVersion: VERSION, baseDir: io.cwd, root, failOn, ...(wantsHtml ? { sources: sourcesOf(report, [proposed, current], policy), scoring: policy.scoring } : {}) };
  // --quiet: nothing on stdout when the check passes (the exit code says it); the report when it fails.
  if (!(values['quiet'] === true && code === 0)) {
    io.stdout(formatReport(report, format, { ...options, color: format === 'text' && color }));
  }
  let writeFailed = false;
  for (const o of outputs) {
    try {
      writeFileSync(resolveFile(io, o.file), formatReport(report, o.format, options));
    } catch (err) {
      writeFailed = true;
      io.stderr(`confgate: could not write --output ${o.format}=${o.file} (${err instanceof Error ? err.message : String(err)})\n`);
    }
  }
  const summary = io.env['GITHUB_STEP_SUMMARY'];
  if (format === 'github' && summary) {
    try {
      appendFileSync(summary, formatReport(report, 'markdown', options));
    } catch (err) {
      io.stderr(`confgate: could not write $GITHUB_STEP_SUMMARY (${err instanceof Error ? err.message : String(err)})\n`);
    }
  }
  notifier?.notify(gateEvent(report));
  await finishNotifier(notifier, io);
  // An output that could not be written is an error (exit 2) unless the push is blocked anyway (exit 1).
  return writeFailed && code === 0 ? 2 : code;
}

function diff(args: readonly string[], io: CliIo): number {
  const { values, positionals } = parse(
    args,
    { policy: { type: 'string' }, format: { type: 'string' }, 'exit-code': { type: 'boolean' }, color: { type: 'string' } },
    2,
    io.env,
  );
  if (positionals.length !== 2) throw new UsageError('diff needs two files: confgate diff CURRENT PROPOSED');
  const format = formatOf(values, ['text', 'json'] as const);
  const policy = policyOf(io, str(values, 'policy'));
  const folders = positionals.map((f) => isFolderArg(io.cwd, f));
  if (folders[0] !== folders[1]) throw new InputError('diff needs two files or two folders (config sets): confgate diff CURRENT PROPOSED', { location: { file: positionals[1]! } });
  if (folders[0]) {
    const sets = positionals.map((f) => readSet(io.cwd, f, policy));
    const changes = diffConfigSets(sets[0]!, sets[1]!, { policy });
    io.stdout(formatChanges(changes, format, { color: colorOf(values, io) }));
    return values['exit-code'] === true && changes.total > 0 ? 1 : 0;
  }
  const docs = positionals.map((f) => readDoc(io, f, policy));
  for (const doc of docs) {
    const bad = doc.findings.find((f) => f.severity === 'block');
    if (bad || doc.failed) {
      const loc = bad?.location ? `${bad.location.file}:${bad.location.line}:${bad.location.column}` : doc.file;
      throw new InputError(`cannot diff ${doc.file}: ${loc}: ${bad?.rule ?? 'parse.error'} ${bad?.message ?? 'could not be loaded'}`);
    }
  }
  const raw = summarizeChanges(diffConfigs(docs[0]!.value, docs[1]!.value, { keys: policy.keys, ordered: policy.ordered }));
  const changes = { ...raw, changes: createMasker(policy, docs).changes(raw.changes) };
  io.stdout(formatChanges(changes, format, { color: colorOf(values, io) }));
  // --exit-code (like `git diff --exit-code`): 1 when there are changes.
  return values['exit-code'] === true && changes.total > 0 ? 1 : 0;
}

function plan(args: readonly string[], io: CliIo): number {
  const { values } = parse(args, {
    targets: { type: 'string' },
    policy: { type: 'string' },
    at: { type: 'string' },
    format: { type: 'string' },
    revert: { type: 'string' },
    color: { type: 'string' },
  }, 0, io.env);
  const format = formatOf(values, ['text', 'json'] as const);
  const targets = readTargets(io, requireStr(values, 'targets'));
  const policy = policyOf(io, str(values, 'policy'));
  const at = atOf(values, io);
  // A revert is planned with `rollout.revert.stages` when the policy gives them.
  const revert = reasonOf(values, 'revert');
  const chosen = revert !== undefined && policy.rollout.revertStages ? policy.rollout.revertStages : policy.rollout.stages;
  const stages = chosen.length > 0 ? chosen : [{ name: 'all', percent: 100 }];
  const result = planRollout({
    targets,
    stages,
    windows: policy.windows,
    at,
    ...(policy.rollout.failureDomain ? { failureDomain: policy.rollout.failureDomain } : {}),
    ...(policy.rollout.redundancy ? { redundancy: policy.rollout.redundancy } : {}),
  });
  if (chosen.length === 0) {
    result.warnings.push('the policy defines no rollout.stages: every target would change at once (add a small canary stage)');
  }
  io.stdout(formatPlan(maskPlan(result, policy), format, { color: colorOf(values, io) }));
  return 0;
}

function windows(args: readonly string[], io: CliIo): number {
  const { values } = parse(args, {
    policy: { type: 'string' },
    at: { type: 'string' },
    days: { type: 'string' },
    format: { type: 'string' },
  }, 0, io.env);
  const format = formatOf(values, ['text', 'json'] as const);
  const policy = policyOf(io, str(values, 'policy'));
  if (policy.file === undefined) throw new UsageError('--policy is required (no confgate.yaml found from here up to the repository root)');
  const at = atOf(values, io);
  const daysRaw = str(values, 'days') ?? '7';
  const days = Number(daysRaw);
  if (!Number.isFinite(days) || days <= 0 || days > 366) throw new UsageError(`--days must be a number of days from 1 to 366, got ${JSON.stringify(daysRaw)}`);
  const listing = listWindows(policy.windows, at, days);
  io.stdout(formatWindows(listing, format, at, days));
  return 0;
}

async function rollout(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parse(args, {
    ...CHECK_OPTIONS,
    ...ROLLOUT_OPTIONS,
    // a revert is planned with rollout.revert.stages and its version/size/score findings do not block
    revert: { type: 'string' },
  }, 0, io.env);
  return runRolloutCommand(values, io, { requireStr, str, formatOf, atOf, policyOf, readDoc, readTargets, resolveFile });
}
