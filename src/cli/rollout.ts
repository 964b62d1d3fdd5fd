/**
 * `confgate rollout`: gate the push, plan it, and run it with hooks given as commands or HTTP endpoints.
 *
 * - Hooks: an `http(s)://` URL (POST, Flagger webhook semantics: a 2xx advances, anything else or a timeout fails) or a
 *   command split on whitespace into a file and fixed arguments, run WITHOUT a shell. Target data reaches a command only
 *   through environment variables (`CONFGATE_TARGET_ID`...), never through the command string.
 * - Progress goes to stderr: a live status line per stage on a TTY, one plain line per event otherwise (CI logs).
 *   The result goes to stdout (text summary, or `--format json`: the RolloutResult with errors serialised).
 * - Exit codes: 0 completed; 1 blocked by the gate, rolled back, aborted, failed, held or incomplete; 2 usage or
 *   unreadable input.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfgateError, InputError, OptionsError } from '../errors.js';
import { createGate } from '../gate.js';
import type { AnalysisFinding } from '../analysis/monitor.js';
import type { ResolvedPolicy } from '../policy/types.js';
import { formatReport, formatRolloutReport, type TimedRolloutEvent } from '../report/index.js';
import { safeText } from '../report/util.js';
import {
  commandApprovalHook,
  commandHook,
  httpApprovalHook,
  httpHook,
  parseHookSpec,
  resumeRollout,
  rolloutOptionsFromPolicy,
  runRollout,
  serializeResult,
  type AdapterHook,
  type ApprovalHook,
  type ParsedHookSpec,
  type PromoteHook,
  type RolloutEvent,
  type RolloutResult,
  type RunOptions,
} from '../rollout/index.js';
import type { Change, ConfigDoc, ConfigSet, GateReport, JsonValue, Target } from '../types.js';
import type { JournalRecord } from '../rollout/types.js';
import { cleanStaleHookDirs } from '../rollout/hooks.js';
import { VERSION } from '../version.js';
import { gateEvent, type Notifier } from '../notify/index.js';
import { cliNotifier, finishNotifier } from './notify.js';
import { auditFromEnv, isPostgresUrl, JOURNAL_KEY_ENV, openJournal } from '../store/index.js';
import type { FileJournalOptions, LeasedJournal, PostgresJournalOptions, StoreOptions, SuppliedDocuments } from '../store/index.js';
import { leaseTiming } from '../store/file.js';
import { envStoreOptions, journalLocation, scopeOf, showLocation } from './store.js';
import { formatDuration, tryParseDuration } from '../units.js';
import type { CliIo } from './main.js';
import { UsageError } from './main.js';
import { isFolderArg, maskerOf, nameOf, readSet, sourcesOf, usableValue } from './set.js';

type Values = Record<string, string | boolean | undefined>;

/** Helpers of `main.ts` (argument access and file loading), passed in to keep one implementation. */
export interface Helpers {
  requireStr(values: Values, key: string): string;
  str(values: Values, key: string): string | undefined;
  formatOf<T extends string>(values: Values, allowed: readonly T[]): T;
  atOf(values: Values, io: CliIo): Date;
  policyOf(io: CliIo, file: string | undefined): ResolvedPolicy;
  readDoc(io: CliIo, file: string, policy: ResolvedPolicy): ConfigDoc;
  readTargets(io: CliIo, file: string): Target[];
  resolveFile(io: CliIo, file: string): string;
}

/** Options of `confgate rollout` (for `parseArgs`; `main.ts` adds the options it shares with `check`). */
export const ROLLOUT_OPTIONS = {
  apply: { type: 'string' },
  health: { type: 'string' },
  rollback: { type: 'string' },
  approval: { type: 'string' },
  promote: { type: 'string' },
  verify: { type: 'string' },
  'approval-timeout': { type: 'string' },
  'on-approval-denied': { type: 'string' },
  'hold-timeout': { type: 'string' },
  events: { type: 'string' },
  journal: { type: 'string' },
  resume: { type: 'boolean' },
  forward: { type: 'boolean' },
  concurrency: { type: 'string' },
  'hook-timeout': { type: 'string' },
  'health-interval': { type: 'string' },
  scope: { type: 'string' },
  actor: { type: 'string' },
  reason: { type: 'string' },
  'lease-ttl': { type: 'string' },
  heartbeat: { type: 'string' },
  report: { type: 'string' },
} as const;

/** Default journal file, in the working directory. */
export const DEFAULT_JOURNAL = 'confgate-rollout.journal';

/** Environment variable whose value is sent as the `Authorization` header of every HTTP hook (never echoed). */
export const AUTH_ENV = 'CONFGATE_HOOK_AUTHORIZATION';

/** Settings of {@link hookFrom}. */
export interface HookSpecOptions {
  /** Timeout of one call of the hook. @default the adapter's (command 5m, HTTP 30s) */
  timeout?: number;
  /** Extra environment for commands. @default {} */
  env?: Record<string, string>;
  /** Headers for HTTP hooks. @default {} */
  headers?: Record<string, string>;
  /** The config is a config set: commands also get `CONFGATE_CONFIG_DIR` (README "Config sets"). @default false */
  configSet?: boolean;
  /** Directory of the commands' private temporary files (`<journal>.hooks` with a file journal). @default os.tmpdir() */
  tempDir?: string;
}

/** A hook given on the command line: an http(s) URL, or a command (file and fixed arguments) run without a shell. */
export function hookFrom(spec: string, io: CliIo, opts: HookSpecOptions = {}): AdapterHook {
  // An http(s) URL, a JSON argv array, or a command split on whitespace. Target data never enters this string;
  // it is passed in environment variables.
  const p = hookSpecOf(spec);
  if (p.kind === 'http') return httpHook(p.url, { timeout: opts.timeout, headers: opts.headers });
  return commandHook(p.file, p.args, { cwd: io.cwd, timeout: opts.timeout, env: opts.env, configSet: opts.configSet, tempDir: opts.tempDir });
}

/** An approval hook given on the command line (same spec forms as {@link hookFrom}); exit 0 / a 2xx approves. */
export function approvalHookFrom(spec: string, io: CliIo, opts: HookSpecOptions = {}): ApprovalHook {
  const p = hookSpecOf(spec);
  if (p.kind === 'http') return httpApprovalHook(p.url, { timeout: opts.timeout, headers: opts.headers });
  return commandApprovalHook(p.file, p.args, { cwd: io.cwd, timeout: opts.timeout, env: opts.env, tempDir: opts.tempDir });
}

function hookSpecOf(spec: string): ParsedHookSpec {
  try {
    return parseHookSpec(spec);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function durationOption(h: Helpers, values: Values, key: string): number | undefined {
  const raw = h.str(values, key);
  if (raw === undefined) return undefined;
  const ms = tryParseDuration(raw);
  if (ms === undefined || ms <= 0) throw new UsageError(`--${key} must be a duration like 30s or 500ms, got ${JSON.stringify(raw)}`);
  return ms;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Ids and messages on one terminal line: control characters (a target id, hook stderr) are made visible (`\u001b`). */
const shown = (s: string): string => safeText(s, true);

/**
 * Renders rollout events on stderr. Not a TTY: one plain line per event (without `target.applying` and healthy
 * health results, which would flood CI logs; `stage.baked` counts them). TTY: a compact status line per stage
 * (`[canary] 3/4 applied, 0 failed`) rewritten in place, a final line when the stage ends, and failures printed above it.
 */
export class RolloutProgress {
  readonly #io: CliIo;
  readonly #tty: boolean;
  readonly #names = new Map<number, string>();
  #live: { label: string; total: number; done: number; failed: number; verb: string; rounds: number; unhealthy: number } | undefined;
  #open = false;
  #last = 0;

  constructor(io: CliIo, tty: boolean) {
    this.#io = io;
    this.#tty = tty;
  }

  #stage(index: number, name?: string): string {
    if (name !== undefined) this.#names.set(index, name);
    return `[${shown(this.#names.get(index) ?? `stage ${index}`)}]`;
  }

  /** A full line: above the live status line on a TTY. */
  #line(text: string): void {
    if (this.#tty) {
      this.#io.stderr(`${this.#open ? '\r\x1b[K' : ''}${text}\n`);
      this.#open = false;
      this.#render(true);
    } else this.#io.stderr(`confgate: ${text}\n`);
  }

  #status(): string {
    const l = this.#live!;
    let s = `${l.label} ${l.done}/${l.total} ${l.verb}, ${l.failed} failed`;
    if (l.rounds > 0) s += `, health round ${l.rounds}: ${l.unhealthy} unhealthy`;
    return s;
  }

  #render(force = false): void {
    if (!this.#tty || !this.#live) return;
    const now = Date.now();
    if (!force && this.#open && now - this.#last < 100) return;
    this.#last = now;
    this.#io.stderr(`\r${this.#status()}\x1b[K`);
    this.#open = true;
  }

  /** End the live line with `suffix` and a newline. */
  #finish(suffix: string): void {
    if (!this.#live) return;
    this.#io.stderr(`\r${this.#status()}${suffix}\x1b[K\n`);
    this.#live = undefined;
    this.#open = false;
  }

  /** Render one event. */
  event(e: RolloutEvent): void {
    const tty = this.#tty;
    switch (e.type) {
      case 'rollout.started':
        this.#line(`rollout ${shown(e.id)} started: ${plural(e.targets, 'target')} in ${plural(e.waves, 'stage')}`);
        return;
      case 'stage.started': {
        const label = this.#stage(e.stage, e.name);
        if (tty) {
          this.#finish('');
          this.#live = { label, total: e.targets, done: 0, failed: 0, verb: 'applied', rounds: 0, unhealthy: 0 };
          this.#render(true);
        } else this.#line(`${label} started: ${plural(e.targets, 'target')}`);
        return;
      }
      case 'target.applying':
        return;
      case 'target.applied':
        if (tty && this.#live) {
          this.#live.done++;
          this.#render();
        } else if (!tty) this.#line(`${this.#stage(e.stage)} applied ${shown(e.targetId)}`);
        return;
      case 'target.apply-failed':
        if (this.#live) this.#live.failed++;
        this.#line(`${this.#stage(e.stage)} apply FAILED on ${shown(e.targetId)}: ${shown(e.error)}`);
        return;
      case 'health.result':
        if (tty && this.#live && !e.baseline) {
          if (e.round !== this.#live.rounds) {
            this.#live.rounds = e.round;
            this.#live.unhealthy = 0;
          }
          if (!e.healthy && !e.pending) this.#live.unhealthy++;
        }
        if (!e.healthy && !e.pending) {
          this.#line(`${this.#stage(e.stage)} ${e.baseline ? 'baseline ' : ''}${e.inconclusive ? 'INCONCLUSIVE' : 'UNHEALTHY'} ${shown(e.targetId)} (round ${e.round})${e.error ? `: ${shown(e.error)}` : ''}`);
        } else this.#render();
        return;
      case 'analysis.measurement':
        // Successful measurements are counted by the health rounds; the others are shown as they happen.
        if (e.phase !== 'Successful') {
          const v = e.value === undefined ? '' : ` (value ${JSON.stringify(e.value)})`;
          this.#line(`${this.#stage(e.stage)} measurement ${shown(e.metric)} on ${shown(e.targetId)}${e.role === 'canary' ? '' : ` (${e.role})`}: ${e.phase}${e.dryRun ? ' (dry run)' : ''}: ${shown(e.message ?? '')}${v}`);
        } else this.#render();
        return;
      case 'analysis.finding':
        this.#line(`${this.#stage(e.stage, e.stageName)} analysis ${e.kind === 'failed' ? 'FAILED' : 'INCONCLUSIVE'}: ${shown(e.message)}`);
        return;
      case 'analysis.judgement':
        this.#line(`${this.#stage(e.stage, e.stageName)} judge ${e.dryRun ? '(dry run) ' : ''}${e.outcome.toUpperCase()}: ${shown(e.reason)}`);
        return;
      case 'stage.baked':
        if (!tty) this.#line(`${this.#stage(e.stage, e.name)} baked: ${plural(e.rounds, 'health round')}, ${plural(e.failures, 'failed check')}`);
        return;
      case 'stage.passed':
        if (tty && this.#live) this.#finish(': passed');
        else this.#line(`${this.#stage(e.stage, e.name)} passed`);
        return;
      case 'stage.failed':
        if (tty && this.#live) this.#finish(`: FAILED (${shown(e.reason)})`);
        else this.#line(`${this.#stage(e.stage, e.name)} FAILED: ${shown(e.reason)}`);
        return;
      case 'approval':
        this.#line(`${this.#stage(e.stage, e.name)} approval ${e.approved ? 'granted' : 'DENIED'}${e.error ? ` (${shown(e.error)})` : ''}`);
        return;
      case 'rollback.started':
        if (tty) {
          this.#finish('');
          this.#line(`rolling back ${plural(e.targets, 'target')}: ${shown(e.reason)}`);
          this.#live = { label: '[rollback]', total: e.targets, done: 0, failed: 0, verb: 'rolled back', rounds: 0, unhealthy: 0 };
          this.#render(true);
        } else this.#line(`rolling back ${plural(e.targets, 'target')}: ${shown(e.reason)}`);
        return;
      case 'target.rolled-back':
        if (tty && this.#live) {
          this.#live.done++;
          if (this.#live.done + this.#live.failed >= this.#live.total) this.#finish('');
          else this.#render();
        } else if (!tty) this.#line(`rolled back ${shown(e.targetId)}`);
        return;
      case 'target.rollback-failed':
        if (this.#live) this.#live.failed++;
        this.#line(`rollback FAILED on ${shown(e.targetId)}: ${shown(e.error)}`);
        if (tty && this.#live && this.#live.done + this.#live.failed >= this.#live.total) this.#finish('');
        return;
      case 'target.apply-timed-out':
        if (this.#live) this.#live.failed++;
        this.#line(`${this.#stage(e.stage)} apply TIMED OUT on ${shown(e.targetId)} (outcome unknown until it settles): ${shown(e.error)}`);
        return;
      case 'target.apply-settled':
        this.#line(`late apply on ${shown(e.targetId)} settled (${e.ok ? 'succeeded' : `failed: ${shown(e.error ?? '')}`})`);
        return;
      case 'target.deferred':
        this.#line(`${this.#stage(e.stage)} deferred ${shown(e.targetId)}: ${shown(e.reason)}`);
        return;
      case 'rollout.held':
        this.#finish('');
        this.#line(`${this.#stage(e.stage)} HELD (${e.kind}): ${shown(e.reason)}; waiting for \`confgate control continue|promote|abort\``);
        return;
      case 'rollout.released':
        this.#line(`${this.#stage(e.stage)} released by ${shown(e.by)}`);
        return;
      case 'command':
        this.#line(`operator ${shown(e.user)}@${shown(e.host)}: ${e.command}${e.reason ? ` (${shown(e.reason)})` : ''}: ${e.action}${e.note ? `, ${shown(e.note)}` : ''}`);
        return;
      case 'promote.failed':
        this.#line(`promote FAILED (attempt ${e.attempt}): ${shown(e.error)}${e.retryInMs !== undefined ? `; retrying in ${e.retryInMs}ms` : ''}`);
        return;
      case 'warning':
        this.#line(`warning: ${shown(e.message)}`);
        return;
      case 'rollout.finished':
        this.#finish('');
        this.#line(`rollout ${shown(e.id)} ${e.status.toUpperCase()}${e.reason ? `: ${shown(e.reason)}` : ''}`);
        return;
    }
  }

  /** Close a live line left open (an exception before `rollout.finished`). */
  close(): void {
    if (this.#tty && this.#open) this.#io.stderr('\n');
    this.#open = false;
    this.#live = undefined;
  }
}

/** Summarise a rollout result for people: status, stages, targets not in their expected state, errors. */
export function formatRolloutResult(result: RolloutResult): string {
  const lines = [`Rollout ${shown(result.id)}: ${result.status.toUpperCase()}${result.resumed ? ' (resumed)' : ''}${result.reason ? `: ${shown(result.reason)}` : ''}`];
  for (const s of result.stages) {
    const health = s.healthRounds > 0 ? `, ${s.healthRounds} health rounds, ${s.healthFailures} failed checks` : '';
    lines.push(`  stage ${s.index} ${shown(s.name)}: ${s.status} (${s.applied}/${s.targets} applied, ${s.applyFailures} apply failures${health})${s.reason && s.status !== 'passed' ? `: ${shown(s.reason)}` : ''}`);
  }
  const counts = new Map<string, number>();
  for (const state of Object.values(result.targets)) counts.set(state.status, (counts.get(state.status) ?? 0) + 1);
  lines.push(
    '  targets: ' +
      [...counts.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([s, n]) => `${n} ${s}`)
        .join(', '),
  );
  for (const r of (result.remaining ?? []).slice(0, 20)) lines.push(`  still on the LKG: ${shown(r.targetId)}: ${shown(r.reason)}`);
  lines.push(...formatAnalysisFindings(result.analysis?.findings ?? [], '  '));
  if ((result.remaining?.length ?? 0) > 20) lines.push(`  ... and ${result.remaining!.length - 20} more still on the LKG`);
  const notable = Object.entries(result.targets).filter(([, s]) => s.status === 'rollback-failed' || s.status === 'failed' || s.status === 'apply-timed-out');
  for (const [id, s] of notable.slice(0, 20)) lines.push(`  ${s.status}: ${shown(id)}${'error' in s ? `: ${shown(s.error ?? '')}` : ''}`);
  if (notable.length > 20) lines.push(`  ... and ${notable.length - 20} more`);
  for (const err of serializeResult(result).errors) lines.push(`  error (${err.phase}): ${shown(err.message)}`);
  return lines.join('\n') + '\n';
}

/**
 * Analysis findings for people, one line each: kind, metric, target(s), value and condition (the first 20, then a
 * count). Used by `confgate rollout` and `confgate status`.
 */
export function formatAnalysisFindings(findings: readonly AnalysisFinding[], indent: string): string[] {
  const lines: string[] = [];
  for (const f of findings.slice(0, 20)) {
    const who = f.targetId !== undefined ? `on ${shown(f.targetId)}` : `on ${(f.targets ?? []).slice(0, 5).map(shown).join(', ')}${(f.targets?.length ?? 0) > 5 ? ` and ${f.targets!.length - 5} more` : ''}${f.domain !== undefined ? ` (${shown(f.domain)})` : ''}`;
    const value = f.value === undefined ? '' : `, value ${JSON.stringify(f.value)}${f.baseline !== undefined ? ` vs baseline ${JSON.stringify(f.baseline)}` : ''}`;
    const cond = f.condition === undefined ? '' : `, condition \`${shown(f.condition)}\``;
    lines.push(`${indent}analysis ${f.kind} (${f.source}, stage ${shown(f.stageName)}): metric ${shown(f.metric)} ${who}${value}${cond}: ${shown(f.message)}`);
  }
  if (findings.length > 20) lines.push(`${indent}... and ${findings.length - 20} more analysis findings`);
  return lines;
}

function definedEnv(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** The promote hook of the CLI: called once after the last bake, with `CONFGATE_TARGET_ID=promote`. */
function promoteFrom(hook: AdapterHook, lkg: unknown, changes: Change[]): PromoteHook {
  return async (ctx) => {
    const last = ctx.plan.waves[ctx.plan.waves.length - 1] ?? { index: 0, name: 'promote', targets: [], bakeMs: 0, approval: false };
    await hook({ id: 'promote', labels: {} }, { config: ctx.proposed, lkg, changes, stage: last, attempt: 1, generation: 0, signal: ctx.signal, rolloutId: ctx.rolloutId });
  };
}

/** The documents a resume may need: `--current` (the LKG, to roll back) and `--proposed` (to go forward), when given. */
function resumeDocuments(values: Values, io: CliIo, h: Helpers, seen: Array<ConfigDoc | ConfigSet> = []): SuppliedDocuments {
  const docs: SuppliedDocuments = {};
  const cur = h.str(values, 'current');
  const prop = h.str(values, 'proposed');
  if (cur === undefined && prop === undefined) return docs;
  const policy = h.policyOf(io, h.str(values, 'policy'));
  // A folder is a config set: the journal holds (the hash of) the set as one value, `{ "<relative path>": value }`.
  // Every document read goes into `seen`: the resume's events are masked with their secrets.
  const read = (f: string) => {
    const d = isFolderArg(io.cwd, f) ? readSet(io.cwd, f, policy) : h.readDoc(io, f, policy);
    seen.push(d);
    return d;
  };
  if (cur !== undefined) {
    const d = read(cur);
    const v = usableValue(d);
    if (v === undefined) throw new UsageError(`--current ${nameOf(d)} must be a valid config: it is the rollback target`);
    docs.lkg = v;
  }
  if (prop !== undefined) {
    const v = usableValue(read(prop));
    if (v !== undefined) docs.proposed = v;
  }
  return docs;
}

/** Before a resume: say which rollout it is, how old its LKG is, and whether the journal is damaged. */
async function reportResume(journal: LeasedJournal, io: CliIo): Promise<void> {
  let out;
  try {
    out = await journal.readChecked();
  } catch {
    return; // the resume reports it
  }
  const started = [...out.records].reverse().find((r) => r.type === 'rollout.started');
  if (started && started.type === 'rollout.started') {
    const ageMs = io.now().getTime() - Date.parse(started.ts);
    let version = '';
    try {
      const v = (started.lkg as { version?: unknown } | null | undefined)?.version;
      if (typeof v === 'string' || typeof v === 'number') version = ` version ${String(v)}`;
    } catch {
      /* the LKG was not supplied: the resume says so */
    }
    const age = Number.isFinite(ageMs) && ageMs >= 0 ? ` ${formatDuration(ageMs)} ago` : '';
    io.stderr(`confgate: resuming rollout ${started.id}, started ${started.ts}${age}; its LKG${version} is the rollback target\n`);
  }
  if (out.problems.length > 0) {
    const list = out.problems.slice(0, 3).map((p) => `at ${p.at}: ${p.message}`).join('; ');
    io.stderr(`confgate: warning: the journal is damaged (${out.problems.length} problem${out.problems.length === 1 ? '' : 's'}: ${list}): every target of every stage that may have started is rolled back\n`);
  }
  if (out.fencedOut > 0) io.stderr(`confgate: note: ${out.fencedOut} journal record${out.fencedOut === 1 ? '' : 's'} from a holder that had lost its lease were ignored\n`);
}

/** Write an HTML report; a failure is a line on stderr (the rollout's outcome is already decided). */
function writeReport(io: CliIo, file: string, html: () => string): void {
  try {
    writeFileSync(file, html());
    io.stderr(`confgate: report at ${file}\n`);
  } catch (err) {
    io.stderr(`confgate: could not write --report ${file} (${err instanceof Error ? err.message : String(err)})\n`);
  }
}

/** Run `confgate rollout`. Exit 0 when completed, 1 when blocked, rolled back, aborted, failed, held or incomplete, 2 for usage. */
export async function runRolloutCommand(values: Values, io: CliIo, h: Helpers): Promise<number> {
  const format = h.formatOf(values, ['text', 'json'] as const);
  const resume = values['resume'] === true;
  const forwardResume = values['forward'] === true;
  if (forwardResume && !resume) throw new UsageError('--forward goes with --resume (it continues an interrupted or held rollout)');
  // --journal FILE|postgres://…, else CONFGATE_JOURNAL, else ./confgate-rollout.journal (src/cli/store.ts)
  const journal = journalLocation(h.str(values, 'journal'), io);
  const leaseTtl = durationOption(h, values, 'lease-ttl');
  const heartbeat = durationOption(h, values, 'heartbeat');
  try {
    leaseTiming({ ...(leaseTtl === undefined ? {} : { leaseTtl }), ...(heartbeat === undefined ? {} : { heartbeat }) });
  } catch (err) {
    throw new UsageError(`${(err as Error).message.replace('`heartbeat`', '--heartbeat').replace('`leaseTtl`', '--lease-ttl')}`);
  }
  const storeOptions = (scope: string | undefined, extra: Partial<StoreOptions> = {}): FileJournalOptions & PostgresJournalOptions => ({
    ...(scope === undefined ? {} : { scope }),
    ...envStoreOptions(io),
    ...(leaseTtl === undefined ? {} : { leaseTtl }),
    ...(heartbeat === undefined ? {} : { heartbeat }),
    ...extra,
  });
  const audit = { ...(h.str(values, 'actor') ? { actor: h.str(values, 'actor')! } : {}), ...(h.str(values, 'reason') ? { reason: h.str(values, 'reason')! } : {}) };
  const resumeScope = (): string | undefined => {
    const scope = scopeOf(h.str(values, 'scope'), undefined, undefined);
    if (isPostgresUrl(journal) && scope === undefined) throw new UsageError('--resume with a PostgreSQL journal needs --scope (the scope of the rollout to resume)');
    return scope;
  };
  const hookTimeout = durationOption(h, values, 'hook-timeout');
  const healthInterval = durationOption(h, values, 'health-interval');
  const approvalTimeout = durationOption(h, values, 'approval-timeout');
  // a held rollout waits for an operator; --hold-timeout makes this process exit (status held, exit 1) after that long,
  // leaving the rollout resumable (`--resume --forward`, or `--resume` to roll back)
  const holdTimeout = durationOption(h, values, 'hold-timeout');
  const deniedRaw = h.str(values, 'on-approval-denied');
  if (deniedRaw !== undefined && deniedRaw !== 'hold' && deniedRaw !== 'rollback') {
    throw new UsageError(`--on-approval-denied must be hold or rollback, got ${JSON.stringify(deniedRaw)}`);
  }
  const onApprovalDenied: 'hold' | 'rollback' | undefined = deniedRaw;
  const concurrencyRaw = h.str(values, 'concurrency');
  const concurrency = concurrencyRaw === undefined ? undefined : Number(concurrencyRaw);
  if (concurrency !== undefined && (!/^\d+$/.test(concurrencyRaw!) || !Number.isSafeInteger(concurrency) || concurrency < 1)) {
    throw new UsageError(`--concurrency must be a whole number >= 1, got ${JSON.stringify(concurrencyRaw)}`);
  }
  const override = h.str(values, 'override');
  if (override !== undefined && override.trim() === '') throw new UsageError('--override needs a reason');
  const revert = h.str(values, 'revert');
  if (revert !== undefined && revert.trim() === '') throw new UsageError('--revert needs a reason');
  const eventsSpec = h.str(values, 'events');
  if (eventsSpec === '') throw new UsageError('--events needs a file, or - for stdout');
  // --report FILE.html: the rollout's HTML report (the gate's when the gate blocks), written when the command ends
  const reportFile = h.str(values, 'report');
  if (reportFile === '') throw new UsageError('--report needs a file name (FILE.html)');
  const timed: TimedRolloutEvent[] = [];
  let maskText = (s: string): string => s;
  let gateReport: GateReport | undefined;
  let notifier: Notifier | undefined;

  const env = definedEnv(io.env);
  const auth = env[AUTH_ENV];
  const headers = auth ? { authorization: auth } : undefined;
  const configSet = isFolderArg(io.cwd, h.str(values, 'proposed')) || isFolderArg(io.cwd, h.str(values, 'current'));
  // a file journal's directory holds the hooks' temporary config files (out of a shared /tmp); what a killed run
  // left there (and in /tmp) is removed now
  const tempDir = isPostgresUrl(journal) ? undefined : `${journal}.hooks`;
  await Promise.all([cleanStaleHookDirs(), ...(tempDir !== undefined ? [cleanStaleHookDirs(tempDir)] : [])]);
  const hookOpts = (timeout?: number): HookSpecOptions => ({
    env,
    ...(tempDir !== undefined ? { tempDir } : {}),
    ...(configSet ? { configSet } : {}),
    ...(headers ? { headers } : {}),
    ...(timeout === undefined ? {} : { timeout }),
  });
  // Fencing is the engine's: before every hook call it confirms the journal's lease (a holder that lost it calls no
  // hook) and gives the token as ctx.fence (CONFGATE_FENCE). Only the promote hook, called through the CLI's own
  // context, gets the token here.
  let leased: LeasedJournal | undefined;
  const fenced = (hook: AdapterHook): AdapterHook => (target, ctx) => {
    const fence = leased?.fence;
    return hook(target, fence === undefined || ctx.fence !== undefined ? ctx : Object.assign(ctx, { fence }));
  };
  const rollback = hookFrom(h.requireStr(values, 'rollback'), io, hookOpts(hookTimeout));
  const verifySpec = h.str(values, 'verify');
  const verify = verifySpec ? hookFrom(verifySpec, io, hookOpts(hookTimeout)) : undefined;
  const promoteSpec = h.str(values, 'promote');
  const promoteHook = promoteSpec ? fenced(hookFrom(promoteSpec, io, hookOpts(hookTimeout))) : undefined;
  const approvalSpec = h.str(values, 'approval');
  const approval = approvalSpec ? approvalHookFrom(approvalSpec, io, hookOpts(approvalTimeout)) : undefined;
  const timeouts = hookTimeout === undefined ? {} : { applyTimeout: hookTimeout, rollbackTimeout: hookTimeout };

  // --events: every event as one JSON line with `v` and `ts`, secrets masked (values known once the configs are read)
  let mask: (e: RolloutEvent) => unknown = (e) => e;
  let eventsFile: string | undefined;
  if (eventsSpec !== undefined && eventsSpec !== '-') {
    eventsFile = h.resolveFile(io, eventsSpec);
    try {
      appendFileSync(eventsFile, '');
    } catch (err) {
      throw new UsageError(`--events ${eventsSpec} cannot be written: ${(err as Error).message}`);
    }
  }
  // the same line is kept in the store (`confgate history --rollout ID --format ndjson` gives the stream back)
  const writeEvent = (e: RolloutEvent): void => {
    const line = `${JSON.stringify({ v: 1, ts: new Date().toISOString(), ...(mask(e) as object) })}\n`;
    if (eventsFile !== undefined) appendFileSync(eventsFile, line);
    else if (eventsSpec !== undefined) io.stdout(line);
    leased?.recordEvent(line.slice(0, -1));
  };

  const progress = new RolloutProgress(io, Boolean(io.isErrTTY));
  const onEvent = (e: RolloutEvent): void => {
    progress.event(e);
    writeEvent(e);
    if (reportFile !== undefined) timed.push({ ts: new Date().toISOString(), ...(mask(e) as RolloutEvent) });
    notifier?.notify(e);
  };
  // the policy's `notify:` entries (payloads masked like --events; a failed delivery is a line on stderr and an event)
  const notifierFor = (policy: ResolvedPolicy): Notifier | undefined =>
    cliNotifier(policy, io, {
      mask: (v) => mask(v as unknown as RolloutEvent) as JsonValue,
      onFailure: (f) => {
        if (eventsSpec !== undefined) writeEvent(f as unknown as RolloutEvent);
      },
      ...(reportFile !== undefined ? { reportUrl: h.resolveFile(io, reportFile) } : {}),
    });
  const controller = new AbortController();
  const onSignal = (): void => controller.abort(new Error('interrupted (SIGINT/SIGTERM)'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    let result: RolloutResult;
    if (resume && !forwardResume) {
      // The journal keeps documents as hashes (or encrypted with CONFGATE_JOURNAL_KEY): --current supplies the LKG.
      // salvage: a damaged journal is resumed in doubt (every target of every started stage is rolled back) and a
      // journal that cannot be written (read-only, full) does not stop the rollback; both are reported
      // notifications of the policy (given or discovered), when it loads: a policy problem never stops a rollback
      try {
        notifier = notifierFor(h.policyOf(io, h.str(values, 'policy')));
      } catch (err) {
        io.stderr(`confgate: warning: no notifications for this resume (${err instanceof Error ? err.message : String(err)})\n`);
      }
      // the events (--events, and the stream kept in the store) masked with the secrets of the documents given
      const seen: Array<ConfigDoc | ConfigSet> = [];
      const documents = resumeDocuments(values, io, h, seen);
      if (seen.length > 0) {
        const masker = maskerOf(h.policyOf(io, h.str(values, 'policy')), seen);
        mask = (e) => masker.value(e as unknown as JsonValue);
        maskText = masker.text;
      }
      leased = openJournal(journal, storeOptions(resumeScope(), { documents, audit: auditFromEnv(audit, io.env), salvage: true }));
      await reportResume(leased, io);
      try {
        result = await resumeRollout(leased, {
          rollback,
          onEvent,
          ...(verify ? { verify } : {}),
          ...(concurrency ? { rollbackConcurrency: concurrency } : {}),
          ...(hookTimeout === undefined ? {} : { rollbackTimeout: hookTimeout }),
        });
      } catch (err) {
        // e.g. an operator's pending `continue` asks to go forward, which this resume (no --apply) cannot do
        if (err instanceof OptionsError) throw new UsageError(err.message);
        throw err;
      }
    } else {
      const apply = hookFrom(h.requireStr(values, 'apply'), io, hookOpts(hookTimeout));
      const policy = h.policyOf(io, h.str(values, 'policy'));
      notifier = notifierFor(policy);
      const hc = policy.rollout.health;
      // a zero health timeout would fail every check (and runRollout rejects it under its own option name)
      if (!(hc.timeoutMs > 0)) throw new UsageError(`the policy's \`rollout.health.timeout\` must be greater than 0, got ${hc.timeoutMs}ms`);
      const healthSpec = h.str(values, 'health');
      // The engine times health calls out after the policy's health.timeout; the adapter gets the same limit.
      const healthHook = healthSpec ? hookFrom(healthSpec, io, hookOpts(hc.timeoutMs)) : undefined;
      // The policy's metrics (rollout.analysis) are a health check of their own, run by the engine exactly as for a
      // library caller (rolloutOptionsFromPolicy): no --health hook needed; with one, both must pass. `env:NAME`
      // header values come from this process's environment.
      const fromPolicy = rolloutOptionsFromPolicy(policy);
      const common = {
        apply,
        rollback,
        ...(healthHook ? { health: healthHook } : {}),
        ...(verify ? { verify } : {}),
        ...(approval ? { approval } : {}),
        ...(approvalTimeout === undefined ? {} : { approvalTimeout }),
        ...(holdTimeout === undefined ? {} : { holdTimeout }),
        ...fromPolicy,
        ...(onApprovalDenied === undefined ? {} : { onApprovalDenied }),
        ...(fromPolicy.analysis ? { analysis: { ...fromPolicy.analysis, env } } : {}),
        healthOptions: { ...fromPolicy.healthOptions, ...(healthInterval === undefined ? {} : { interval: healthInterval }) },
        ...(concurrency ? { concurrency } : {}),
        ...timeouts,
        windows: policy.windows,
        now: io.now,
        signal: controller.signal,
        onEvent,
      };
      if (resume) {
        // going forward needs the proposed config (--proposed) unless the journal was written with CONFGATE_JOURNAL_KEY
        const seen: Array<ConfigDoc | ConfigSet> = [];
        const documents = resumeDocuments(values, io, h, seen);
        const masker = maskerOf(policy, seen);
        mask = (e) => masker.value(e as unknown as JsonValue);
        maskText = masker.text;
        if (documents.proposed === undefined && !io.env[JOURNAL_KEY_ENV]) {
          throw new UsageError('--resume --forward needs --proposed FILE and --current FILE: the journal keeps only their hashes (or set CONFGATE_JOURNAL_KEY to the key the rollout used)');
        }
        leased = openJournal(journal, storeOptions(resumeScope(), { documents, audit: auditFromEnv(audit, io.env) }));
        await reportResume(leased, io);
        result = await resumeRollout(leased, {
          ...common,
          forward: true,
          ...(promoteHook ? { promote: promoteFrom(promoteHook, undefined, []) } : {}),
        });
      } else {
        const targetsFile = h.requireStr(values, 'targets');
        const targets = h.readTargets(io, targetsFile);
        const proposedFile = h.requireStr(values, 'proposed');
        const currentFile = h.requireStr(values, 'current');
        if (isFolderArg(io.cwd, proposedFile) !== isFolderArg(io.cwd, currentFile)) throw new InputError('--proposed and --current must both be folders (a config set) or both be files', { location: { file: currentFile } });
        const proposed = configSet ? readSet(io.cwd, proposedFile, policy) : h.readDoc(io, proposedFile, policy);
        const current = configSet ? readSet(io.cwd, currentFile, policy) : h.readDoc(io, currentFile, policy);
        const masker = maskerOf(policy, [proposed, current]);
        mask = (e) => masker.value(e as unknown as JsonValue);
        maskText = masker.text;
        const report = (gateReport = createGate(policy).evaluate({ proposed, current, targets, at: h.atOf(values, io), ...(override ? { override } : {}), ...(revert ? { revert } : {}) }));
        notifier?.notify(gateEvent(report));
        io.stderr(formatReport(report, 'text', { color: Boolean(io.isErrTTY) && !io.env['NO_COLOR'] }));
        if (report.verdict === 'block') {
          io.stderr('confgate: the gate blocked this push; no hook was called, nothing was changed\n');
          if (reportFile !== undefined) writeReport(io, h.resolveFile(io, reportFile), () => formatReport(report, 'html', { toolVersion: VERSION, sources: sourcesOf(report, [proposed, current], policy), scoring: policy.scoring }));
          if (format === 'json') io.stdout(JSON.stringify({ status: 'blocked', verdict: report.verdict, score: report.score, findings: report.findings }, null, 2) + '\n');
          return 1;
        }
        if (usableValue(current) === undefined) {
          throw new UsageError(`--current ${nameOf(current)} must be a valid config: it is the rollback target`);
        }
        if (!report.plan) throw new UsageError('no rollout plan could be made (are --targets given?)');
        const changes = report.changes.changes;
        const options: RunOptions = {
          ...common,
          plan: report.plan,
          proposed: proposed.value,
          lkg: current.value,
          changes,
          targets,
          ...(promoteHook ? { promote: promoteFrom(promoteHook, current.value, changes) } : {}),
          journal: (leased = openJournal(
            journal,
            storeOptions(scopeOf(h.str(values, 'scope'), policy.rollout.scope, targetsFile), {
              audit: auditFromEnv({ ...audit, verdict: report.verdict, score: report.score }, io.env),
            }),
          )),
        };
        try {
          result = await runRollout(options);
        } catch (err) {
          if (err instanceof ConfgateError && err.code === 'E_JOURNAL_UNFINISHED') {
            throw new ConfgateError(
              'E_JOURNAL_UNFINISHED',
              `${showLocation(journal, io)} holds an unfinished rollout (the process stopped, or it was held): roll it back with \`confgate rollout --resume --rollback HOOK\`, or continue it with \`confgate rollout --resume --forward ...\`, before starting another`,
              { cause: err },
            );
          }
          if (err instanceof OptionsError) throw new UsageError(err.message);
          throw err;
        }
      }
    }
    progress.close();
    io.stdout(format === 'json' ? JSON.stringify(serializeResult(result), null, 2) + '\n' : formatRolloutResult(result));
    if (result.status === 'completed' && result.errors.some((e) => (e as { phase?: string }).phase === 'journal')) {
      io.stderr('confgate: warning: the rollout completed but its end could not be journaled; do not --resume this journal (it would roll back)\n');
    }
    if (result.status === 'held') {
      io.stderr('confgate: the rollout is held and no operator decided within --hold-timeout; nothing was rolled back. Continue it with `confgate rollout --resume --forward ...` or roll it back with `confgate rollout --resume ...` (a `confgate control` command posted meanwhile is honoured by the resume)\n');
    }
    if (leased && leased.writeErrors.length > 0) {
      io.stderr(`confgate: warning: the journal could not be written during the resume (${leased.writeErrors[0]!.message}); the rollback ran anyway: check the result above\n`);
    }
    if (leased?.lost) {
      io.stderr(`confgate: this process lost its lease on scope ${leased.scope} (another process took the rollout over, or it was unlocked by force): it called no further hook and wrote nothing more\n`);
    }
    io.stderr(`confgate: journal at ${showLocation(journal, io)}\n`);
    if (reportFile !== undefined) {
      let records: JournalRecord[] | undefined;
      try {
        records = await leased?.read();
      } catch {
        /* a journal that cannot be read back: the report is made from the result and the events */
      }
      const html = (): string => formatRolloutReport({ records, result, events: timed, gate: gateReport }, { mask: maskText, toolVersion: VERSION });
      writeReport(io, h.resolveFile(io, reportFile), html);
    }
    return result.status === 'completed' ? 0 : 1;
  } finally {
    progress.close();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await finishNotifier(notifier, io);
  }
}
