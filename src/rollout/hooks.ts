/**
 * Hook adapters for the CLI and for scripts: run a command (no shell, in its own process group) or call an HTTP
 * endpoint (Flagger-style webhook, redirects never followed).
 */
import { spawn } from 'node:child_process';
import { chmod, lstat, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { writeConfigSetDir } from './set-files.js';
import { OptionsError } from '../errors.js';
import type { PlannedWave, Target } from '../types.js';
import { parseDuration } from '../units.js';
import type { ApprovalHook, HookContext } from './types.js';

/** Options of {@link commandHook} and {@link commandApprovalHook}. */
export interface CommandHookOptions {
  /** Kill the command's whole process group (SIGKILL) after this long; the hook then fails. @default '5m' */
  timeout?: number | string | undefined;
  /** Extra environment variables (added to the parent's environment). @default {} */
  env?: Record<string, string> | undefined;
  /** Working directory. @default the current directory */
  cwd?: string | undefined;
  /** Keep at most this many bytes of the command's stderr for the error message. @default 2048 */
  maxStderr?: number | undefined;
  /**
   * After the command exits, wait at most this long for its stderr to reach end-of-file (a background child it left
   * behind may hold the pipe open); then stop reading. @default 200
   */
  drainTimeout?: number | string | undefined;
  /**
   * The config is a config set (`{ "<relative path>": document }`): besides `CONFGATE_CONFIG_FILE` (the set as one
   * JSON object) the command gets `CONFGATE_CONFIG_DIR`, a private folder holding each member under its relative path
   * (see `rollout/set-files.ts`). @default false
   */
  configSet?: boolean | undefined;
  /**
   * Directory of each call's private temporary files (`confgate-hook-<pid>-<random>/`, 0700, files 0600, removed after
   * the call); the ones a process killed with SIGKILL left there are removed before this hook's first call. Created
   * (0700) when missing; when it cannot be used, the system's temporary directory is. `confgate rollout` uses
   * `<journal>.hooks/` next to a file journal, so configs stay out of a shared `/tmp`.
   * @default os.tmpdir()
   */
  tempDir?: string | undefined;
}

/**
 * A hook built by {@link commandHook} or {@link httpHook}: usable as `apply`, `rollback`, `verify` or `health` (it
 * resolves `true` on success, so it passes a fail-closed health check; it rejects on failure).
 */
export type AdapterHook = (target: Target, ctx: HookContext) => Promise<true>;

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

/** A hook spec as the CLI takes it: an `http(s)://` URL, a command line split on whitespace, or a JSON argv array. */
export type ParsedHookSpec = { kind: 'http'; url: string } | { kind: 'command'; file: string; args: string[] };

/**
 * Parse a hook spec: `https://...` (an HTTP hook), `["/opt/my hooks/apply", "--fast"]` (a JSON array of strings: the
 * file and its arguments, verbatim; use it for paths with spaces), or `deploy.sh --fast` (split on whitespace).
 * Throws {@link OptionsError} naming the problem.
 */
export function parseHookSpec(spec: string): ParsedHookSpec {
  if (typeof spec !== 'string') throw new OptionsError(`a hook must be a string, got ${JSON.stringify(spec)}`);
  const s = spec.trim();
  if (/^https?:\/\//i.test(s)) return { kind: 'http', url: s };
  if (s.startsWith('[')) {
    let argv: unknown;
    try {
      argv = JSON.parse(s);
    } catch (err) {
      throw new OptionsError(`a hook starting with \`[\` must be a JSON array of strings (file, then arguments): ${(err as Error).message}`, { cause: err });
    }
    if (!Array.isArray(argv) || argv.length === 0 || !argv.every((a) => typeof a === 'string') || argv[0] === '') {
      throw new OptionsError(`a hook given as a JSON array must be a non-empty list of strings with a non-empty file first, got ${s.slice(0, 200)}`);
    }
    const [file, ...args] = argv as string[];
    return { kind: 'command', file: file!, args };
  }
  const [file, ...args] = s.split(/\s+/);
  if (!file) throw new OptionsError('a hook must be a command, a JSON argv array or an http(s):// URL');
  return { kind: 'command', file, args };
}

const TMP_PREFIX = 'confgate-hook-';
/** Legacy temporary dirs (without an owner pid in their name) older than this are removed. */
const LEGACY_STALE_MS = 24 * 3_600_000;
let cleaned: Promise<void> | undefined;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Remove temporary hook dirs left by a confgate process that died without cleaning up (SIGKILL): they hold full
 * configs. A dir is `confgate-hook-<pid>-<random>`; it is stale when it is ours (same uid) and that pid is not alive.
 * Dirs of the older form without a pid are removed after 24 hours. Runs once per process; errors are ignored.
 */
export function cleanStaleHookDirs(dir = tmpdir()): Promise<void> {
  const run = async (): Promise<void> => {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return;
    }
    const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
    await Promise.all(
      names
        .filter((n) => n.startsWith(TMP_PREFIX))
        .map(async (n) => {
          const full = join(dir, n);
          try {
            const st = await lstat(full);
            if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) return;
            const m = /^confgate-hook-(\d+)-/.exec(n);
            const stale = m ? Number(m[1]) !== process.pid && !alive(Number(m[1])) : Date.now() - st.mtimeMs > LEGACY_STALE_MS;
            if (stale) await rm(full, { recursive: true, force: true });
          } catch {
            // another process removed it first, or we may not: leave it
          }
        }),
    );
  };
  if (dir !== tmpdir()) return run();
  cleaned ??= run();
  return cleaned;
}

/** Directories already cleaned by this process (see {@link cleanStaleHookDirs}), other than the system's. */
const cleanedDirs = new Map<string, Promise<void>>();

/** `base` made ready for temporary dirs (created 0700, cleaned once per process), or the system's when it cannot be. */
async function tempBase(base: string | undefined): Promise<string> {
  if (base === undefined || base === tmpdir()) {
    await cleanStaleHookDirs();
    return tmpdir();
  }
  let ready = cleanedDirs.get(base);
  if (!ready) {
    ready = mkdir(base, { recursive: true, mode: 0o700 }).then(() => cleanStaleHookDirs(base));
    cleanedDirs.set(base, ready);
  }
  try {
    await ready;
    return base;
  } catch {
    await cleanStaleHookDirs();
    return tmpdir();
  }
}

/** A private temporary dir (0700) under `base` with `files` written 0600; `remove` deletes it. */
async function privateFiles(files: Record<string, string | Uint8Array>, base?: string): Promise<{ paths: Record<string, string>; remove: () => Promise<void> }> {
  const parent = await tempBase(base);
  const dir = await mkdtemp(join(parent, `${TMP_PREFIX}${process.pid}-`)).catch((err: unknown) => {
    if (parent === tmpdir()) throw err;
    return mkdtemp(join(tmpdir(), `${TMP_PREFIX}${process.pid}-`)); // the journal's directory turned unusable
  });
  const remove = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    await chmod(dir, 0o700);
    const paths: Record<string, string> = {};
    for (const [name, text] of Object.entries(files)) {
      const p = join(dir, name);
      await writeFile(p, text, { mode: 0o600, flag: 'wx' });
      paths[name] = p;
    }
    return { paths, remove };
  } catch (err) {
    await remove();
    throw err;
  }
}

function killGroup(pgid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

interface RunSpec {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string | undefined;
  timeoutMs: number;
  drainMs: number;
  maxStderr: number;
  signal: AbortSignal;
  /** `command X for T`: names the call in messages. */
  label: string;
  onSpawn: ((info: { pid: number; pgid: number }) => void) | undefined;
  /** `ctx.confirmLease`: run again right after the spawn (see {@link runCommand}). */
  confirmLease: (() => Promise<void> | undefined) | undefined;
}

/**
 * Run one command in a new process group (`detached`: the child leads its own group) and settle when it EXITS: stderr
 * is drained for at most `drainMs` after the exit. On timeout or abort, the whole group is SIGKILLed and the call
 * settles once the child is gone. Whatever the outcome, anything the command left in its group is killed when it
 * settles, so no grandchild keeps acting on the target after the hook has returned.
 */
function runCommand(r: RunSpec): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let stderr = '';
    let settled = false;
    let exited = false;
    let failure: HookError | undefined;
    let pgid: number | undefined;
    let drainTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => stop(new HookError(`${r.label} timed out after ${r.timeoutMs}ms and was killed (with its process group)`)), r.timeoutMs);
    const onAbort = (): void => stop(new HookError(`${r.label} was aborted and killed (with its process group)`, { cause: r.signal.reason }));
    const cleanup = (): void => {
      clearTimeout(timer);
      if (drainTimer) clearTimeout(drainTimer);
      r.signal.removeEventListener('abort', onAbort);
    };
    const finish = (err?: Error): void => {
      if (settled) return;
      settled = true;
      cleanup();
      if (pgid !== undefined) killGroup(pgid);
      child.stderr?.destroy();
      if (err) reject(err);
      else resolve();
    };
    /** Timeout or abort: kill the group, settle when the child has exited. */
    const stop = (err: HookError): void => {
      // once the command has exited its exit code decides; only the bounded drain is left
      if (settled || failure || exited) return;
      failure = err;
      if (pgid !== undefined) killGroup(pgid);
      if (exited || pgid === undefined) finish(err);
    };
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(r.command, r.args, {
        shell: false,
        detached: true,
        env: r.env,
        stdio: ['ignore', 'ignore', 'pipe'],
        ...(r.cwd === undefined ? {} : { cwd: r.cwd }),
      });
    } catch (err) {
      // invalid arguments (a NUL byte...): nothing was started
      settled = true;
      cleanup();
      reject(new HookError(`${r.label} could not be started: ${(err as Error).message}`, { cause: err }));
      return;
    }
    if (child.pid !== undefined) {
      pgid = child.pid;
      try {
        r.onSpawn?.({ pid: child.pid, pgid });
      } catch (err) {
        stop(new HookError(`${r.label}: recording its process failed, so it was killed: ${(err as Error).message}`, { cause: err }));
      }
      // Fencing, after the spawn: a process paused between the lease check and the spawn (SIGSTOP, a long GC) may have
      // lost its lease meanwhile. When the lease is not surely fresh, the new group is frozen (SIGSTOP) before it can
      // act, until the lease is confirmed (SIGCONT) or found lost (SIGKILL; the call fails with the E_FENCED cause).
      const confirming = r.confirmLease?.();
      if (confirming !== undefined) {
        const group = pgid;
        killGroup(group, 'SIGSTOP');
        confirming.then(
          () => killGroup(group, 'SIGCONT'),
          (err: unknown) => stop(new HookError(`${r.label} was killed as it started: ${(err as Error).message ?? String(err)}`, { cause: err })),
        );
      }
    }
    r.signal.addEventListener('abort', onAbort, { once: true });
    if (r.signal.aborted) onAbort();
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-r.maxStderr);
    });
    child.stderr?.on('error', () => undefined);
    child.on('error', (err) => {
      // spawn failed (ENOENT, EACCES...): there is no process to wait for
      exited = true;
      if (failure) finish(failure);
      else finish(new HookError(`${r.label} failed: ${err.message}`, { cause: err }));
    });
    child.on('exit', (code, sig) => {
      exited = true;
      if (failure) return finish(failure);
      const settle = (): void => {
        if (code === 0) return finish();
        const why = sig ? `was killed by ${sig}` : `exited with code ${code}`;
        const tail = stderr.trim() ? `: ${stderr.trim()}` : '';
        finish(new HookError(`${r.label} ${why}${tail}`, code === null ? undefined : { status: code }));
      };
      // bounded drain: a background child may keep stderr open long after the command itself exited
      if (!child.stderr || child.stderr.readableEnded || child.stderr.destroyed) return settle();
      child.stderr.once('close', settle);
      child.stderr.once('end', settle);
      drainTimer = setTimeout(settle, r.drainMs);
    });
  });
}

function commandBase(command: string, args: string[], opts: CommandHookOptions): { timeoutMs: number; drainMs: number; maxStderr: number } {
  if (typeof command !== 'string' || command === '') throw new OptionsError(`\`command\` must be a non-empty string, got ${JSON.stringify(command)}`);
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) throw new OptionsError('`args` must be a list of strings');
  const maxStderr = opts.maxStderr ?? 2048;
  if (!Number.isSafeInteger(maxStderr) || maxStderr < 0) throw new OptionsError(`\`maxStderr\` must be a whole number >= 0, got ${JSON.stringify(opts.maxStderr)}`);
  return { timeoutMs: parseDuration(opts.timeout ?? '5m', 'timeout'), drainMs: parseDuration(opts.drainTimeout ?? 200, 'drainTimeout'), maxStderr };
}

/** `ctx.generation` (a per-target fencing number; required by the types, tolerated missing from plain JavaScript callers). */
function generationOf(ctx: HookContext): number | undefined {
  const g = (ctx as HookContext & { generation?: unknown }).generation;
  return typeof g === 'number' ? g : undefined;
}

/**
 * A hook that runs `command args...` WITHOUT a shell (`spawn(file, args, { shell: false })`) once per target.
 * Environment: `CONFGATE_TARGET_ID`, `CONFGATE_TARGET_LABELS` (JSON), `CONFGATE_STAGE` (stage name),
 * `CONFGATE_STAGE_INDEX`, `CONFGATE_ROLLOUT_ID`, `CONFGATE_ATTEMPT`, `CONFGATE_GENERATION` (the per-target fencing
 * number, when the engine gives one), `CONFGATE_FENCE` (the lease's fencing token, when the journal has a lease), `CONFGATE_CONFIG_FILE` (a private temporary JSON file with `ctx.config`, removed
 * afterwards). Exit code 0 = success; anything else, a spawn error, the hook's signal aborting or `timeout` = failure,
 * with the tail of stderr in the message.
 *
 * The command runs in its own process group. On timeout or abort the whole group is killed (grandchildren too) and the
 * call settles once the command is gone; when the command exits, anything it left running in its group is killed
 * too. The call settles on the command's exit: a background child holding stderr open delays it by at most
 * `drainTimeout`. `ctx.onSpawn` is told the pid and process group right after the spawn.
 */
export function commandHook(command: string, args: string[] = [], opts: CommandHookOptions = {}): AdapterHook {
  const base = commandBase(command, args, opts);
  // One rollout hands the same config to every target: serialise it once per rollout, not once per call (a 20 MB
  // config to 20 targets was 400 MB of JSON text and seconds of garbage collection). Keyed by rollout and object.
  let last: { rolloutId: string; config: unknown; bytes: Uint8Array } | undefined;
  const configBytes = (ctx: { rolloutId: string; config?: unknown }): Uint8Array => {
    const config = ctx.config ?? null;
    if (last && last.rolloutId === ctx.rolloutId && last.config === config) return last.bytes;
    const bytes = Buffer.from(JSON.stringify(config), 'utf8');
    if (config !== null && typeof config === 'object') last = { rolloutId: ctx.rolloutId, config, bytes };
    return bytes;
  };
  return async (target, ctx) => {
    ctx.signal.throwIfAborted();
    const files = await privateFiles({ 'config.json': configBytes(ctx) }, opts.tempDir);
    try {
      const setDir = opts.configSet ? await writeConfigSetDir(join(dirname(files.paths['config.json']!), 'config'), ctx.config).catch((err: unknown) => {
        throw new HookError(`command ${command} for ${target.id}: cannot deliver the config set: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }) : undefined;
      const generation = generationOf(ctx);
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        ...opts.env,
        CONFGATE_TARGET_ID: target.id,
        CONFGATE_TARGET_LABELS: JSON.stringify(target.labels),
        CONFGATE_STAGE: ctx.stage.name,
        CONFGATE_STAGE_INDEX: String(ctx.stage.index),
        CONFGATE_ROLLOUT_ID: ctx.rolloutId,
        CONFGATE_ATTEMPT: String(ctx.attempt),
        CONFGATE_CONFIG_FILE: files.paths['config.json'],
        ...(setDir === undefined ? {} : { CONFGATE_CONFIG_DIR: setDir }),
        ...(ctx.fence === undefined ? {} : { CONFGATE_FENCE: String(ctx.fence) }),
      };
      if (setDir === undefined) delete env['CONFGATE_CONFIG_DIR'];
      if (generation !== undefined) env['CONFGATE_GENERATION'] = String(generation);
      else delete env['CONFGATE_GENERATION'];
      // Fencing, right before the spawn (the engine checked before the call; writing the config file took time)
      const confirming = ctx.confirmLease?.();
      if (confirming !== undefined) await confirming;
      await runCommand({
        command,
        args,
        env,
        cwd: opts.cwd,
        ...base,
        signal: ctx.signal,
        label: `command ${command} for ${target.id}`,
        onSpawn: ctx.onSpawn,
        confirmLease: ctx.confirmLease,
      });
    } finally {
      await files.remove();
    }
    return true;
  };
}

/** Context the engine gives an approval hook. */
type ApprovalContext = Parameters<ApprovalHook>[1];

/**
 * An approval hook that runs `command args...` (no shell, own process group, like {@link commandHook}) before a stage
 * that needs approval. Exit 0 approves; anything else (or a timeout) denies. Environment: `CONFGATE_APPROVAL=1`,
 * `CONFGATE_STAGE`, `CONFGATE_STAGE_INDEX`, `CONFGATE_STAGE_TARGETS` (count), `CONFGATE_ROLLOUT_ID`,
 * `CONFGATE_STAGE_FILE` (a private temporary JSON file `{ index, name, targets: [{ id, labels }] }`), and the stage as
 * a synthetic target so one script can serve every hook: `CONFGATE_TARGET_ID=stage:<name>`,
 * `CONFGATE_TARGET_LABELS={"stage":"<name>"}`.
 */
export function commandApprovalHook(command: string, args: string[] = [], opts: CommandHookOptions = {}): ApprovalHook {
  const base = commandBase(command, args, opts);
  return async (stage, ctx) => {
    ctx.signal.throwIfAborted();
    const files = await privateFiles({ 'stage.json': JSON.stringify({ index: stage.index, name: stage.name, targets: stage.targets }) }, opts.tempDir);
    try {
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        ...opts.env,
        CONFGATE_APPROVAL: '1',
        CONFGATE_TARGET_ID: `stage:${stage.name}`,
        CONFGATE_TARGET_LABELS: JSON.stringify({ stage: stage.name }),
        CONFGATE_STAGE: stage.name,
        CONFGATE_STAGE_INDEX: String(stage.index),
        CONFGATE_STAGE_TARGETS: String(stage.targets.length),
        CONFGATE_ROLLOUT_ID: ctx.rolloutId,
        CONFGATE_STAGE_FILE: files.paths['stage.json'],
      };
      await runCommand({
        command,
        args,
        env,
        cwd: opts.cwd,
        ...base,
        signal: ctx.signal,
        label: `command ${command} for stage ${stage.name}`,
        onSpawn: (ctx as ApprovalContext & { onSpawn?: HookContext['onSpawn'] }).onSpawn,
        confirmLease: undefined, // the engine confirmed the lease before the call
      });
      return true;
    } finally {
      await files.remove();
    }
  };
}

/** Options of {@link httpHook} and {@link httpApprovalHook}. */
export interface HttpHookOptions {
  /** Give up (and fail) after this long. @default '30s' */
  timeout?: number | string | undefined;
  /** Extra request headers (for example an authorization token; never echoed in errors). @default {} */
  headers?: Record<string, string> | undefined;
  /** HTTP method. @default 'POST' */
  method?: string | undefined;
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

function httpBase(url: string, opts: HttpHookOptions): { timeoutMs: number; shown: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new OptionsError(`\`url\` must be an absolute URL, got ${JSON.stringify(safeUrl(String(url)))}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new OptionsError(`\`url\` must be an http(s) URL, got ${JSON.stringify(safeUrl(url))}`);
  return { timeoutMs: parseDuration(opts.timeout ?? '30s', 'timeout'), shown: safeUrl(url) };
}

/**
 * POST `body` to `url` and succeed on a 2xx. Redirects are NEVER followed (`redirect: 'manual'`): a 3xx is a failure
 * naming the `Location` host, so the configured URL is the only one ever called.
 */
async function postJson(url: string, shown: string, opts: HttpHookOptions, timeoutMs: number, body: unknown, signal: AbortSignal, what: string): Promise<void> {
  signal.throwIfAborted();
  let res: Response;
  try {
    res = await fetch(url, {
      method: opts.method ?? 'POST',
      headers: { 'content-type': 'application/json', ...opts.headers },
      body: JSON.stringify(body),
      redirect: 'manual',
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
    });
  } catch (err) {
    const name = (err as { name?: string } | null)?.name;
    const why = name === 'TimeoutError' ? `timed out after ${timeoutMs}ms` : name === 'AbortError' ? 'was aborted' : 'failed (network error)';
    throw new HookError(`HTTP hook ${shown} for ${what} ${why}`, { cause: err });
  }
  // drain without reading the body into the message
  await res.body?.cancel().catch(() => undefined);
  if (res.status >= 300 && res.status <= 399) {
    const location = res.headers.get('location');
    let host = 'no Location';
    if (location !== null) {
      try {
        host = `Location host ${new URL(location, url).host}`;
      } catch {
        host = 'an invalid Location';
      }
    }
    throw new HookError(`HTTP hook ${shown} for ${what} answered ${res.status}, a redirect (${host}); redirects are never followed`, { status: res.status });
  }
  if (res.status < 200 || res.status > 299) {
    throw new HookError(`HTTP hook ${shown} for ${what} answered ${res.status}`, { status: res.status });
  }
}

/**
 * A hook that POSTs JSON to `url` once per target (Flagger webhook semantics):
 * `{ rolloutId, target: { id, labels }, stage: { index, name }, attempt, generation }` (`generation` is left out only
 * when a caller outside the engine, in plain JavaScript, gives none). A 2xx answer advances; any other status (a 3xx included: redirects are never followed, the error names
 * the `Location` host), a network error, the hook's signal aborting or `timeout` fails. Error messages name the URL
 * without credentials or query and never include request or response bodies.
 */
export function httpHook(url: string, opts: HttpHookOptions = {}): AdapterHook {
  const { timeoutMs, shown } = httpBase(url, opts);
  return async (target, ctx) => {
    const generation = generationOf(ctx);
    const body = {
      rolloutId: ctx.rolloutId,
      target: { id: target.id, labels: target.labels },
      stage: { index: ctx.stage.index, name: ctx.stage.name },
      attempt: ctx.attempt,
      ...(generation === undefined ? {} : { generation }),
      ...(ctx.fence === undefined ? {} : { fence: ctx.fence }),
    };
    await postJson(url, shown, opts, timeoutMs, body, ctx.signal, target.id);
    return true;
  };
}

/**
 * An approval hook that POSTs `{ type: 'approval', rolloutId, target: { id: 'stage:<name>', labels: { stage: <name> } },
 * stage: { index, name, targets: [id...] } }` to `url`
 * before a stage that needs approval. A 2xx approves; anything else (a 3xx included), a network error or `timeout`
 * denies.
 */
export function httpApprovalHook(url: string, opts: HttpHookOptions = {}): ApprovalHook {
  const { timeoutMs, shown } = httpBase(url, opts);
  return async (stage: PlannedWave, ctx) => {
    const body = {
      type: 'approval',
      rolloutId: ctx.rolloutId,
      target: { id: `stage:${stage.name}`, labels: { stage: stage.name } },
      stage: { index: stage.index, name: stage.name, targets: stage.targets.map((t) => t.id) },
    };
    await postJson(url, shown, opts, timeoutMs, body, ctx.signal, `stage ${stage.name}`);
    return true;
  };
}
