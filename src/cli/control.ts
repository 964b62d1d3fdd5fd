/**
 * `confgate control` and `confgate status`: steer and inspect a rollout from another process, through its journal.
 *
 * - `control --journal FILE pause|continue|promote|abort [--reason TEXT]` posts an operator command on the journal's
 *   command channel (`FILE.commands`), addressed to the journal's running (or held) rollout, with the user and host.
 *   The running engine picks it up within one health interval and journals what it did with it.
 * - `status --journal FILE [--format text|json]` prints the last rollout's status (running, held, or its final
 *   status), the stage in progress, per-target states, holds, and every operator command with who asked, from where,
 *   why and what the engine did with it (`pending` while not yet picked up).
 */
import { randomUUID } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { ConfgateError } from '../errors.js';
import { isPostgresUrl } from '../store/postgres.js';
import type { LeasedJournal } from '../store/types.js';
import { cliJournal, journalLocation, scopeOf, showLocation } from './store.js';
import type { AnalysisSummary, JournalRecord, OperatorCommandName, OperatorCommandRecord, SerializedResult, TargetState } from '../rollout/types.js';
import { formatAnalysisFindings } from './rollout.js';
import type { CliIo } from './main.js';
import { UsageError } from './main.js';
import { formatRolloutReport } from '../report/html/rollout.js';
import { VERSION } from '../version.js';

type Values = Record<string, string | boolean | undefined>;

/** Options of `confgate control` / `confgate status` (for `parseArgs`). */
export const CONTROL_OPTIONS = {
  journal: { type: 'string' },
  scope: { type: 'string' },
  reason: { type: 'string' },
  format: { type: 'string' },
} as const;

const COMMANDS: readonly OperatorCommandName[] = ['pause', 'continue', 'promote', 'abort'];

/** Control characters in ids and reasons are shown escaped (they come from other people's input). */
function shown(s: string): string {
  return /[\u0000-\u001f\u007f-\u009f]/.test(s) ? JSON.stringify(s) : s;
}

/** The journal named by `--journal` (a file or a PostgreSQL URL; else `CONFGATE_JOURNAL`, else the default file) and `--scope`. */
function journalOf(values: Values, io: CliIo): { location: string; journal: LeasedJournal } {
  const j = values['journal'];
  const location = journalLocation(typeof j === 'string' && j !== '' ? j : undefined, io);
  const s = values['scope'];
  const scope = scopeOf(typeof s === 'string' ? s : undefined, undefined, undefined);
  if (isPostgresUrl(location) && scope === undefined) throw new UsageError('--scope is required with a PostgreSQL journal');
  return { location, journal: cliJournal(location, io, scope === undefined ? {} : { scope }) };
}

/** What `confgate status` reports. */
export interface RolloutStatusReport {
  journal: string;
  rolloutId: string;
  /** `running` (no end journaled; see `process`), `held`, or the final status. */
  status: string;
  /** The lock holder: `running (pid N)` or `not running` (a crashed or exited process: resume it). */
  process: string;
  /** The stage in progress (or where it stopped). */
  stage?: { index: number; name: string };
  hold?: { kind: string; reason: string; since: string };
  reason?: string;
  counts: Record<string, number>;
  targets: Record<string, TargetState>;
  commands: Array<{
    seq: number;
    ts: string;
    command: string;
    user: string;
    host: string;
    reason?: string;
    /** `applied` / `ignored` once the engine picked it up, `pending` before. */
    action: string;
    note?: string;
  }>;
  /** With analysis: measurements journaled, and what it found (metric, target, value, condition) and judged. */
  analysis?: AnalysisSummary & { measurements: number };
}

/** Who runs the rollout, from the scope's lease: `running (pid N on HOST, token T)` or `not running (...)`. */
async function lockHolder(journal: LeasedJournal): Promise<string> {
  let lease;
  try {
    lease = await journal.lockInfo();
  } catch {
    return 'unknown (the lock cannot be read)';
  }
  if (!lease || lease.state !== 'held') return 'not running';
  const h = lease.holder;
  if (Date.parse(lease.expiresAt) <= Date.now()) return `not running (the lease of pid ${h.pid} on ${h.host} expired at ${lease.expiresAt})`;
  return `running (pid ${h.pid} on ${h.host}, token ${lease.token})`;
}

/** Build the status of the journal's last rollout. Throws a ConfgateError when the journal holds none. */
export async function rolloutStatus(file: string, opened?: LeasedJournal): Promise<RolloutStatusReport> {
  const journal = opened ?? cliJournal(file, { env: process.env, cwd: process.cwd() } as CliIo, {});
  const records = await journal.read();
  let start = -1;
  for (let i = records.length - 1; i >= 0; i--) {
    if (records[i]!.type === 'rollout.started') {
      start = i;
      break;
    }
  }
  if (start < 0) throw new ConfgateError('E_JOURNAL', `${file} holds no rollout`);
  const started = records[start] as Extract<JournalRecord, { type: 'rollout.started' }>;
  const targets: Record<string, TargetState> = {};
  for (const w of started.plan.waves) for (const t of w.targets) targets[t.id] = { status: 'pending' };
  let finished: SerializedResult | undefined;
  let stage: { index: number; name: string } | undefined;
  let hold: RolloutStatusReport['hold'];
  const commands: RolloutStatusReport['commands'] = [];
  const journaledSeqs = new Set<number>();
  const analysis: NonNullable<RolloutStatusReport['analysis']> = { measurements: 0, findings: [], judgements: [] };
  for (const r of records.slice(start + 1)) {
    switch (r.type) {
      case 'measurement':
        analysis.measurements++;
        break;
      case 'analysis.finding':
        analysis.findings.push(r.finding);
        break;
      case 'analysis.judgement':
        analysis.judgements.push(r.judgement);
        break;
      case 'target':
        targets[r.targetId] = r.state;
        break;
      case 'stage': {
        const w = started.plan.waves.find((x) => x.index === r.stage);
        stage = { index: r.stage, name: w?.name ?? `stage ${r.stage}` };
        break;
      }
      case 'hold': {
        hold = { kind: r.kind, reason: r.reason, since: r.ts };
        const w = started.plan.waves.find((x) => x.index === r.stage);
        stage = { index: r.stage, name: w?.name ?? `stage ${r.stage}` }; // held before a stage started: that stage
        break;
      }
      case 'release':
      case 'resume.started':
        hold = undefined;
        break;
      case 'command': {
        journaledSeqs.add(r.seq);
        const c: RolloutStatusReport['commands'][number] = { seq: r.seq, ts: r.ts, command: r.command, user: r.user, host: r.host, action: r.action };
        if (r.reason !== undefined) c.reason = r.reason;
        if (r.note !== undefined) c.note = r.note;
        commands.push(c);
        break;
      }
      case 'rollout.finished':
        finished = r.result;
        break;
      default:
        break;
    }
  }
  if (finished) Object.assign(targets, finished.targets);
  let posted: OperatorCommandRecord[] = [];
  try {
    posted = await journal.readCommands(0);
  } catch {
    /* no channel readable: only journaled commands are shown */
  }
  if (!finished) {
    for (const c of posted) {
      if (journaledSeqs.has(c.seq) || (c.rolloutId !== undefined && c.rolloutId !== started.id) || c.ts < started.ts) continue;
      const p: RolloutStatusReport['commands'][number] = { seq: c.seq, ts: c.ts, command: c.command, user: c.user, host: c.host, action: 'pending' };
      if (c.reason !== undefined) p.reason = c.reason;
      commands.push(p);
    }
  }
  commands.sort((a, b) => a.seq - b.seq);
  const counts: Record<string, number> = {};
  for (const s of Object.values(targets)) counts[s.status] = (counts[s.status] ?? 0) + 1;
  const proc = finished ? 'finished' : await lockHolder(journal);
  const report: RolloutStatusReport = {
    journal: file,
    rolloutId: started.id,
    status: finished ? finished.status : hold ? 'held' : 'running',
    process: proc,
    counts,
    targets,
    commands,
  };
  if (stage) report.stage = stage;
  if (hold && !finished) report.hold = hold;
  if (finished?.reason !== undefined) report.reason = finished.reason;
  if (analysis.measurements > 0 || analysis.findings.length > 0 || analysis.judgements.length > 0) report.analysis = analysis;
  return report;
}

export function formatStatus(s: RolloutStatusReport): string {
  const lines = [`Rollout ${s.rolloutId}: ${s.status.toUpperCase()}${s.reason ? `: ${shown(s.reason)}` : ''}`];
  const orphan = (s.status === 'running' || s.status === 'held') && !s.process.startsWith('running');
  lines.push(`  process: ${s.process}${orphan ? ' (continue with `confgate rollout --resume --forward`, or roll back with `--resume`)' : ''}`);
  if (orphan && s.commands.some((c) => c.action === 'pending')) lines.push('  pending commands are acted on by the next `confgate rollout --resume` (abort rolls back; continue/promote go forward)');
  if (s.stage) lines.push(`  stage: ${s.stage.index} ${shown(s.stage.name)}`);
  if (s.hold) lines.push(`  held since ${s.hold.since} (${s.hold.kind}): ${shown(s.hold.reason)}`);
  lines.push(
    '  targets: ' +
      Object.entries(s.counts)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, n]) => `${n} ${k}`)
        .join(', '),
  );
  const notable = Object.entries(s.targets).filter(([, t]) => t.status !== 'healthy' && t.status !== 'applied' && t.status !== 'pending');
  for (const [id, t] of notable.slice(0, 20)) {
    const why = 'error' in t && t.error ? `: ${shown(t.error)}` : 'reason' in t && t.reason ? `: ${shown(t.reason)}` : '';
    lines.push(`  ${t.status}: ${shown(id)}${why}`);
  }
  if (notable.length > 20) lines.push(`  ... and ${notable.length - 20} more`);
  if (s.analysis) {
    const j = s.analysis.judgements;
    lines.push(`  analysis: ${s.analysis.measurements} measurements, ${s.analysis.findings.length} findings, ${j.length} judgements${j.length > 0 ? ` (last: stage ${shown(j[j.length - 1]!.stageName)} ${shown(j[j.length - 1]!.metric)} ${j[j.length - 1]!.outcome})` : ''}`);
    lines.push(...formatAnalysisFindings(s.analysis.findings, '    '));
  }
  if (s.commands.length > 0) lines.push('  operator commands:');
  for (const c of s.commands) {
    lines.push(`    #${c.seq} ${c.ts} ${c.command} by ${shown(c.user)}@${shown(c.host)}${c.reason ? ` (${shown(c.reason)})` : ''}: ${c.action}${c.note ? ` (${shown(c.note)})` : ''}`);
  }
  return lines.join('\n') + '\n';
}

/** `confgate status`. Exit 0 when the journal holds a rollout; 2 when it holds none or cannot be read. */
export async function runStatusCommand(values: Values, io: CliIo, defaultJournal: string): Promise<number> {
  const format = values['format'] ?? 'text';
  if (format !== 'text' && format !== 'json' && format !== 'html') throw new UsageError(`--format must be text, json or html, got ${JSON.stringify(format)}`);
  void defaultJournal;
  const { location, journal } = journalOf(values, io);
  let report: RolloutStatusReport;
  let html: string | undefined;
  try {
    report = await rolloutStatus(isPostgresUrl(location) ? showLocation(location, io) : location, journal);
    if (format === 'html') {
      // the journal's records (times, holds, commands, audit) plus what only the status knows: the lock holder, pending commands
      const pending = report.commands.filter((c) => c.action === 'pending').map((c) => `pending command #${c.seq}: ${c.command} by ${c.user}@${c.host}${c.reason ? ` (${c.reason})` : ''}, posted ${c.ts}`);
      html = formatRolloutReport({ records: await journal.read(), notes: [`process: ${report.process}`, ...pending] }, { toolVersion: VERSION });
    }
  } finally {
    await (journal as { close?: () => Promise<void> }).close?.();
  }
  io.stdout(html ?? (format === 'json' ? JSON.stringify(report, null, 2) + '\n' : formatStatus(report)));
  return 0;
}

/**
 * What `control` tells the user when no live process holds the rollout (the lease is free or expired: the rollout is
 * held and its process exited, or it crashed): the command is pending and only a resume acts on it.
 */
function notRunning(command: OperatorCommandName, status: RolloutStatusReport, file: string): string {
  const j = `--journal ${JSON.stringify(file)}`;
  const forward = `confgate rollout --resume --forward ${j} --proposed FILE --current FILE --apply HOOK --rollback HOOK [--health HOOK] [--policy FILE]`;
  const back = `confgate rollout --resume ${j} --current FILE --rollback HOOK`;
  const what: Record<OperatorCommandName, string> = {
    abort: `run \`${back}\` (or a \`--resume --forward\`): it rolls every changed target back (status aborted) and journals that it honoured your abort`,
    continue: `run \`${forward}\`: it re-checks the health of every changed target, then continues (a plain \`--resume\` refuses to roll back against your continue)`,
    promote: `run \`${forward}\`: it re-checks the health of every changed target, then runs the remaining stages without their bakes`,
    pause: `nothing advances until someone resumes it; a \`--resume --forward\` will hold at once, and \`${back}\` rolls it back`,
  };
  const holder = status.process.startsWith('unknown') ? `cannot tell whether a live process holds rollout ${status.rolloutId}` : `no live process holds rollout ${status.rolloutId}`;
  return (
    `confgate: ${holder} (${status.process}); it is ${status.status}${status.hold ? ` (${status.hold.kind}: ${shown(status.hold.reason)})` : ''}.\n` +
    `confgate: your ${command} is pending: a running engine acts on it within one health interval${status.process.startsWith('unknown') ? ' (if one runs)' : ', but none runs'}. To act on it, ${what[command]}.\n`
  );
}

/** `confgate control ACTION`. Exit 0 when posted; 2 for usage, or when the journal holds no running rollout. */
export async function runControlCommand(positionals: string[], values: Values, io: CliIo, defaultJournal: string): Promise<number> {
  if (positionals.length !== 1 || !COMMANDS.includes(positionals[0] as OperatorCommandName)) {
    throw new UsageError(`control needs one of ${COMMANDS.join(', ')}, got ${JSON.stringify(positionals.join(' '))}`);
  }
  const command = positionals[0] as OperatorCommandName;
  const reason = values['reason'];
  if (reason !== undefined && (typeof reason !== 'string' || reason.trim() === '')) throw new UsageError('--reason needs a text');
  void defaultJournal;
  const { location, journal } = journalOf(values, io);
  const file = showLocation(location, io);
  try {
  const status = await rolloutStatus(file, journal);
  if (status.status !== 'running' && status.status !== 'held') {
    throw new ConfgateError('E_JOURNAL', `rollout ${status.rolloutId} in ${file} has already finished (${status.status}): nothing to ${command}`);
  }
  let user = io.env['USER'] ?? io.env['LOGNAME'];
  if (!user) {
    try {
      user = userInfo().username;
    } catch {
      user = 'unknown';
    }
  }
  await journal.postCommand!({
    command,
    id: randomUUID(),
    rolloutId: status.rolloutId,
    user,
    host: hostname(),
    ts: new Date().toISOString(),
    ...(typeof reason === 'string' ? { reason } : {}),
  });
  const live = status.process.startsWith('running');
  const pendingNote = status.process.startsWith('unknown') ? ': pending (the lock cannot be read: a live process may or may not pick it up)' : ': pending (no live process holds this rollout)';
  io.stdout(`posted ${command} for rollout ${status.rolloutId}${live ? '' : pendingNote}\n`);
  if (!live) io.stderr(notRunning(command, status, file));
  return 0;
  } finally {
    await (journal as { close?: () => Promise<void> }).close?.();
  }
}
