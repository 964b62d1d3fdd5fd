/**
 * The confgate command line: parse arguments, load files, call the library, format, return an exit code.
 * `process.exit` is called only in `bin.ts`; everything here takes its streams and environment as inputs.
 *
 * Exit codes: 0 allow or warn, 1 block (or a rollout that did not complete), 2 usage error or unreadable input.
 */
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfgateError, InputError, TargetsError } from '../errors.js';
import { createGate } from '../gate.js';
import { loadConfig } from '../load/index.js';
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
import { VERSION } from '../version.js';
import { createMasker } from '../secrets.js';

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
  confgate check   --proposed FILE [--current FILE] [--policy FILE] [--targets FILE]
                   [--at ISO-8601] [--format text|json|markdown|sarif|github] [--override "reason"]
  confgate diff    CURRENT PROPOSED [--policy FILE] [--format text|json]
  confgate plan    --targets FILE [--policy FILE] [--at ISO-8601] [--format text|json]
  confgate windows --policy FILE [--at ISO-8601] [--days N] [--format text|json]
  confgate rollout --proposed FILE --current FILE --targets FILE --apply HOOK --rollback HOOK
                   [--health HOOK] [--approval HOOK] [--policy FILE] [--journal FILE] [--resume]
                   [--concurrency N] [--hook-timeout DURATION] [--health-interval DURATION]
                   [--at ISO-8601] [--override "reason"] [--format text|json]
                   [--promote HOOK] [--verify HOOK] [--approval-timeout DURATION] [--events FILE|-]
  confgate rollout --resume --rollback HOOK [--journal FILE] [--format text|json]
  confgate rollout --resume --forward --apply HOOK --rollback HOOK [--health HOOK] [--policy FILE] ...
  confgate control pause|continue|promote|abort [--journal FILE] [--reason TEXT]
  confgate status  [--journal FILE] [--format text|json]
  confgate test    [DIR] [--policy FILE] [--format text|json|junit]   (policy unit tests; DIR
                   defaults to confgate-tests/ next to the policy)
  confgate --version | --help

A HOOK is a command (run without a shell; the target is passed in CONFGATE_TARGET_ID,
CONFGATE_TARGET_LABELS, CONFGATE_STAGE and CONFGATE_CONFIG_FILE) or an http(s):// URL
(POST; a 2xx answer advances, anything else or a timeout fails; the value of
CONFGATE_HOOK_AUTHORIZATION, if set, is sent as the Authorization header). Hooks may be
retried on a later run or --resume: apply and rollback must be idempotent. The journal
(default ./confgate-rollout.journal) records every step; after a crash, --resume rolls back.

Exit codes: 0 allow or warn, 1 block (or rollout not completed), 2 usage error or unreadable input.
`;

const CHECK_FORMATS = ['text', 'json', 'markdown', 'sarif', 'github'] as const;

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
        return check(rest, io);
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
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)} (expected check, diff, plan, windows, rollout, control, status or test)`);
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

function parse(args: readonly string[], options: Options, positionals = 0) {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: positionals > 0, strict: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message.replace(/\. To specify.*$/s, '') : String(err));
  }
  if (parsed.positionals.length > positionals) {
    throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[positionals])}`);
  }
  return parsed as { values: Record<string, string | boolean | undefined>; positionals: string[] };
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

function policyOf(io: CliIo, file: string | undefined): ResolvedPolicy {
  if (file === undefined) return defaultPolicy();
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

function check(args: readonly string[], io: CliIo): number {
  const { values } = parse(args, CHECK_OPTIONS);
  const format = formatOf<ReportFormat>(values, CHECK_FORMATS);
  const proposedFile = requireStr(values, 'proposed');
  const at = atOf(values, io);
  const override = str(values, 'override');
  if (override !== undefined && override.trim() === '') throw new UsageError('--override needs a reason');
  const policy = policyOf(io, str(values, 'policy'));
  const targetsFile = str(values, 'targets');
  const targets = targetsFile ? readTargets(io, targetsFile) : undefined;
  const proposed = readDoc(io, proposedFile, policy);
  const currentFile = str(values, 'current');
  const current = currentFile ? readDoc(io, currentFile, policy) : undefined;

  const gate = createGate(policy);
  const report = gate.evaluate({
    proposed,
    ...(current ? { current } : {}),
    ...(targets ? { targets } : {}),
    at,
    ...(override ? { override } : {}),
  });
  const color = format === 'text' && io.isTTY && !io.env['NO_COLOR'];
  io.stdout(formatReport(report, format, { color, toolVersion: VERSION, baseDir: io.cwd }));
  const summary = io.env['GITHUB_STEP_SUMMARY'];
  if (format === 'github' && summary) {
    try {
      appendFileSync(summary, formatReport(report, 'markdown', { toolVersion: VERSION, baseDir: io.cwd }));
    } catch (err) {
      io.stderr(`confgate: could not write $GITHUB_STEP_SUMMARY (${err instanceof Error ? err.message : String(err)})\n`);
    }
  }
  return report.verdict === 'block' ? 1 : 0;
}

function diff(args: readonly string[], io: CliIo): number {
  const { values, positionals } = parse(args, { policy: { type: 'string' }, format: { type: 'string' } }, 2);
  if (positionals.length !== 2) throw new UsageError('diff needs two files: confgate diff CURRENT PROPOSED');
  const format = formatOf(values, ['text', 'json'] as const);
  const policy = policyOf(io, str(values, 'policy'));
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
  io.stdout(formatChanges(changes, format, { color: io.isTTY && !io.env['NO_COLOR'] }));
  return 0;
}

function plan(args: readonly string[], io: CliIo): number {
  const { values } = parse(args, {
    targets: { type: 'string' },
    policy: { type: 'string' },
    at: { type: 'string' },
    format: { type: 'string' },
  });
  const format = formatOf(values, ['text', 'json'] as const);
  const targets = readTargets(io, requireStr(values, 'targets'));
  const policy = policyOf(io, str(values, 'policy'));
  const at = atOf(values, io);
  const stages = policy.rollout.stages.length > 0 ? policy.rollout.stages : [{ name: 'all', percent: 100 }];
  const result = planRollout({
    targets,
    stages,
    windows: policy.windows,
    at,
    ...(policy.rollout.failureDomain ? { failureDomain: policy.rollout.failureDomain } : {}),
    ...(policy.rollout.redundancy ? { redundancy: policy.rollout.redundancy } : {}),
  });
  if (policy.rollout.stages.length === 0) {
    result.warnings.push('the policy defines no rollout.stages: every target would change at once (add a small canary stage)');
  }
  io.stdout(formatPlan(result, format, { color: io.isTTY && !io.env['NO_COLOR'] }));
  return 0;
}

function windows(args: readonly string[], io: CliIo): number {
  const { values } = parse(args, {
    policy: { type: 'string' },
    at: { type: 'string' },
    days: { type: 'string' },
    format: { type: 'string' },
  });
  const format = formatOf(values, ['text', 'json'] as const);
  const policy = policyOf(io, requireStr(values, 'policy'));
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
  });
  return runRolloutCommand(values, io, { requireStr, str, formatOf, atOf, policyOf, readDoc, readTargets, resolveFile });
}
