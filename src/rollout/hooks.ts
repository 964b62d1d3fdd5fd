/**
 * Hook adapters for the CLI and for scripts: run a command (no shell) or call an HTTP endpoint (Flagger-style webhook).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OptionsError } from '../errors.js';
import type { Target } from '../types.js';
import { parseDuration } from '../units.js';
import type { HookContext } from './types.js';

/** Options of {@link commandHook}. */
export interface CommandHookOptions {
  /** Kill the command (SIGKILL) after this long; the hook then fails. @default '5m' */
  timeout?: number | string;
  /** Extra environment variables (added to the parent's environment). @default {} */
  env?: Record<string, string>;
  /** Working directory. @default the current directory */
  cwd?: string;
  /** Keep at most this many bytes of the command's stderr for the error message. @default 2048 */
  maxStderr?: number;
}

/** A hook built by {@link commandHook} or {@link httpHook}: usable as `apply`, `rollback` or `health`. */
export type AdapterHook = (target: Target, ctx: HookContext) => Promise<void>;

/** Error of a failed command or HTTP hook. */
export class HookError extends Error {
  /** Exit code of the command, or HTTP status. */
  readonly status?: number;
  constructor(message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HookError';
    if (options?.status !== undefined) this.status = options.status;
  }
}

/**
 * A hook that runs `command args...` WITHOUT a shell (`spawn(file, args, { shell: false })`) once per target.
 * Environment: `CONFGATE_TARGET_ID`, `CONFGATE_TARGET_LABELS` (JSON), `CONFGATE_STAGE` (stage name),
 * `CONFGATE_STAGE_INDEX`, `CONFGATE_ROLLOUT_ID`, `CONFGATE_CONFIG_FILE` (a temporary JSON file with `ctx.config`,
 * removed afterwards). Exit code 0 = success; anything else, a spawn error, the hook's signal aborting or `timeout`
 * (the child is killed) = failure, with the tail of stderr in the message.
 */
export function commandHook(command: string, args: string[] = [], opts: CommandHookOptions = {}): AdapterHook {
  if (typeof command !== 'string' || command === '') throw new OptionsError(`\`command\` must be a non-empty string, got ${JSON.stringify(command)}`);
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) throw new OptionsError('`args` must be a list of strings');
  const timeoutMs = parseDuration(opts.timeout ?? '5m', 'timeout');
  const maxStderr = opts.maxStderr ?? 2048;
  return async (target, ctx) => {
    ctx.signal.throwIfAborted();
    const dir = await mkdtemp(join(tmpdir(), 'confgate-hook-'));
    const file = join(dir, 'config.json');
    try {
      await writeFile(file, JSON.stringify(ctx.config ?? null), { mode: 0o600 });
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        ...opts.env,
        CONFGATE_TARGET_ID: target.id,
        CONFGATE_TARGET_LABELS: JSON.stringify(target.labels),
        CONFGATE_STAGE: ctx.stage.name,
        CONFGATE_STAGE_INDEX: String(ctx.stage.index),
        CONFGATE_ROLLOUT_ID: ctx.rolloutId,
        CONFGATE_CONFIG_FILE: file,
      };
      const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]);
      await new Promise<void>((resolve, reject) => {
        let stderr = '';
        let settled = false;
        const done = (err?: Error): void => {
          if (settled) return;
          settled = true;
          if (err) reject(err);
          else resolve();
        };
        const child = spawn(command, args, {
          shell: false,
          env,
          stdio: ['ignore', 'ignore', 'pipe'],
          signal,
          killSignal: 'SIGKILL',
          ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
        });
        child.stderr?.setEncoding('utf8');
        child.stderr?.on('data', (chunk: string) => {
          stderr = (stderr + chunk).slice(-maxStderr);
        });
        child.on('error', (err) => {
          const timedOut = signal.aborted && !ctx.signal.aborted;
          done(
            new HookError(
              timedOut ? `command ${command} for ${target.id} timed out and was killed` : `command ${command} for ${target.id} failed: ${err.message}`,
              { cause: err },
            ),
          );
        });
        child.on('close', (code, sig) => {
          if (code === 0) done();
          else {
            const why = sig ? `was killed by ${sig}` : `exited with code ${code}`;
            const tail = stderr.trim() ? `: ${stderr.trim()}` : '';
            done(new HookError(`command ${command} for ${target.id} ${why}${tail}`, code === null ? undefined : { status: code }));
          }
        });
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}

/** Options of {@link httpHook}. */
export interface HttpHookOptions {
  /** Give up (and fail) after this long. @default '30s' */
  timeout?: number | string;
  /** Extra request headers (for example an authorization token; never echoed in errors). @default {} */
  headers?: Record<string, string>;
  /** HTTP method. @default 'POST' */
  method?: string;
}

/** `url` without credentials, query or fragment, for error messages. */
function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '<invalid url>';
  }
}

/**
 * A hook that sends `{ rolloutId, target, stage: { index, name } }` as JSON to `url` (Flagger webhook semantics):
 * a 2xx answer advances; any other status, a network error, the hook's signal aborting or `timeout` fails.
 * Error messages name the URL without credentials or query and never include request or response bodies.
 */
export function httpHook(url: string, opts: HttpHookOptions = {}): AdapterHook {
  try {
    new URL(url);
  } catch {
    throw new OptionsError(`\`url\` must be an absolute URL, got ${JSON.stringify(safeUrl(String(url)))}`);
  }
  const timeoutMs = parseDuration(opts.timeout ?? '30s', 'timeout');
  const shown = safeUrl(url);
  return async (target, ctx) => {
    ctx.signal.throwIfAborted();
    const body = JSON.stringify({ rolloutId: ctx.rolloutId, target, stage: { index: ctx.stage.index, name: ctx.stage.name } });
    let res: Response;
    try {
      res = await fetch(url, {
        method: opts.method ?? 'POST',
        headers: { 'content-type': 'application/json', ...opts.headers },
        body,
        signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]),
      });
    } catch (err) {
      const name = (err as { name?: string } | null)?.name;
      const why = name === 'TimeoutError' ? `timed out after ${timeoutMs}ms` : name === 'AbortError' ? 'was aborted' : 'failed (network error)';
      throw new HookError(`HTTP hook ${shown} for ${target.id} ${why}`, { cause: err });
    }
    // drain without reading the body into the message
    await res.body?.cancel().catch(() => undefined);
    if (res.status < 200 || res.status > 299) {
      throw new HookError(`HTTP hook ${shown} for ${target.id} answered ${res.status}`, { status: res.status });
    }
  };
}
