/**
 * `confgate rollout`: gate the push, plan it, and run it with hooks given as commands or HTTP endpoints.
 * Progress goes to stderr (one plain line per event in CI; the same lines on a TTY), the result to stdout.
 */
import path from 'node:path';
import { createGate } from '../gate.js';
import type { ResolvedPolicy } from '../policy/types.js';
import { formatReport } from '../report/index.js';
import {
  commandHook,
  httpHook,
  resumeRollout,
  runRollout,
  type RolloutEvent,
  type RolloutResult,
} from '../rollout/index.js';
import type { ConfigDoc, Target } from '../types.js';
import type { CliIo } from './main.js';
import { UsageError } from './main.js';

type Values = Record<string, string | boolean | undefined>;

interface Helpers {
  requireStr(values: Values, key: string): string;
  str(values: Values, key: string): string | undefined;
  formatOf<T extends string>(values: Values, allowed: readonly T[]): T;
  atOf(values: Values, io: CliIo): Date;
  policyOf(io: CliIo, file: string | undefined): ResolvedPolicy;
  readDoc(io: CliIo, file: string, policy: ResolvedPolicy): ConfigDoc;
  readTargets(io: CliIo, file: string): Target[];
  resolveFile(io: CliIo, file: string): string;
}

/** Default journal file, in the working directory. */
export const DEFAULT_JOURNAL = 'confgate-rollout.journal';

/** A hook given on the command line: an http(s) URL or a command run without a shell. */
export function hookFrom(spec: string, io: CliIo) {
  if (/^https?:\/\//i.test(spec)) return httpHook(spec);
  // Split on whitespace: the command and its fixed arguments. Target data never enters this string;
  // it is passed in environment variables.
  const [file, ...args] = spec.trim().split(/\s+/);
  if (!file) throw new UsageError('a hook must be a command or an http(s):// URL');
  return commandHook(file, args, { cwd: io.cwd });
}

function progressLine(e: RolloutEvent): string | undefined {
  const r = e as unknown as Record<string, unknown>;
  const target = r['target'] && typeof r['target'] === 'object' ? (r['target'] as { id?: string }).id : (r['targetId'] as string | undefined);
  const stage = r['stage'] && typeof r['stage'] === 'object' ? (r['stage'] as { name?: string }).name : (r['stage'] as string | undefined);
  const bits = [e.type, stage ? `stage=${stage}` : '', target ? `target=${target}` : ''];
  if (typeof r['healthy'] === 'boolean') bits.push(r['healthy'] ? 'healthy' : 'UNHEALTHY');
  if (typeof r['status'] === 'string') bits.push(`status=${r['status']}`);
  if (typeof r['reason'] === 'string') bits.push(`reason=${JSON.stringify(r['reason'])}`);
  if (r['error'] instanceof Error) bits.push(`error=${JSON.stringify((r['error'] as Error).message)}`);
  else if (typeof r['error'] === 'string') bits.push(`error=${JSON.stringify(r['error'])}`);
  return `confgate: ${bits.filter(Boolean).join(' ')}\n`;
}

/** Summarise a rollout result for people. */
export function formatRolloutResult(result: RolloutResult): string {
  const counts = new Map<string, number>();
  for (const state of Object.values(result.targets)) counts.set(state.status, (counts.get(state.status) ?? 0) + 1);
  const lines = [`Rollout ${result.id}: ${result.status.toUpperCase()}${result.reason ? ` (${result.reason})` : ''}`];
  lines.push(
    '  targets: ' +
      [...counts.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([s, n]) => `${n} ${s}`)
        .join(', '),
  );
  for (const err of result.errors) lines.push(`  error: ${err instanceof Error ? err.message : String(err)}`);
  return lines.join('\n') + '\n';
}

/** Run `confgate rollout`. Exit 0 when completed, 1 when blocked, rolled back, aborted or failed, 2 for usage. */
export async function runRolloutCommand(values: Values, io: CliIo, h: Helpers): Promise<number> {
  const format = h.formatOf(values, ['text', 'json'] as const);
  const journal = h.resolveFile(io, h.str(values, 'journal') ?? DEFAULT_JOURNAL);
  const apply = hookFrom(h.requireStr(values, 'apply'), io);
  const rollback = hookFrom(h.requireStr(values, 'rollback'), io);
  const healthSpec = h.str(values, 'health');
  const health = healthSpec ? hookFrom(healthSpec, io) : undefined;
  const approvalSpec = h.str(values, 'approval');
  const approvalHook = approvalSpec ? hookFrom(approvalSpec, io) : undefined;
  const concurrencyRaw = h.str(values, 'concurrency');
  const concurrency = concurrencyRaw === undefined ? undefined : Number(concurrencyRaw);
  if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1)) {
    throw new UsageError(`--concurrency must be a whole number >= 1, got ${JSON.stringify(concurrencyRaw)}`);
  }

  const controller = new AbortController();
  const onSignal = () => controller.abort(new Error('interrupted (SIGINT/SIGTERM)'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const onEvent = (e: RolloutEvent) => {
    const line = progressLine(e);
    if (line) io.stderr(line);
  };
  try {
    let result: RolloutResult;
    if (values['resume'] === true) {
      result = await resumeRollout(journal, { rollback, onEvent });
    } else {
      const policy = h.policyOf(io, h.str(values, 'policy'));
      const targets = h.readTargets(io, h.requireStr(values, 'targets'));
      const proposed = h.readDoc(io, h.requireStr(values, 'proposed'), policy);
      const current = h.readDoc(io, h.requireStr(values, 'current'), policy);
      const override = h.str(values, 'override');
      const report = createGate(policy).evaluate({
        proposed,
        current,
        targets,
        at: h.atOf(values, io),
        ...(override ? { override } : {}),
      });
      io.stderr(formatReport(report, 'text', { color: Boolean(io.isErrTTY) && !io.env['NO_COLOR'] }));
      if (report.verdict === 'block') {
        io.stderr('confgate: the gate blocked this push; nothing was changed\n');
        if (format === 'json') io.stdout(JSON.stringify({ status: 'blocked', verdict: report.verdict, findings: report.findings }, null, 2) + '\n');
        return 1;
      }
      if (current.value === undefined || current.failed) {
        throw new UsageError(`--current ${current.file} must be a valid config: it is the rollback target`);
      }
      if (!report.plan) throw new UsageError('no rollout plan could be made (are --targets given?)');
      const hc = policy.rollout.health;
      result = await runRollout({
        plan: report.plan,
        proposed: proposed.value,
        lkg: current.value,
        changes: report.changes.changes,
        apply,
        rollback,
        ...(health ? { health } : {}),
        ...(approvalHook
          ? {
              approval: async (stage, ctx) => {
                try {
                  await approvalHook({ id: `stage:${stage.name}`, labels: {} }, {
                    config: proposed.value,
                    lkg: current.value,
                    changes: report.changes.changes,
                    stage,
                    attempt: 1,
                    signal: ctx.signal,
                    rolloutId: ctx.rolloutId,
                  });
                  return true;
                } catch {
                  return false;
                }
              },
            }
          : {}),
        healthOptions: { interval: hc.intervalMs, timeout: hc.timeoutMs, failureLimit: hc.failureLimit, successes: hc.successes },
        ...(concurrency ? { concurrency } : {}),
        journal,
        signal: controller.signal,
        onEvent,
      });
    }
    io.stdout(format === 'json' ? JSON.stringify(result, errorReplacer, 2) + '\n' : formatRolloutResult(result));
    io.stderr(`confgate: journal at ${path.relative(io.cwd, journal) || journal}\n`);
    return result.status === 'completed' ? 0 : 1;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}
