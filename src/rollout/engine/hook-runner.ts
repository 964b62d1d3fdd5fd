/**
 * Hook calls with timeouts at a low cost per call (see {@link HookRunner}), the worker pool and an abortable sleep.
 * Internal to the engine.
 */
import { readdirSync, readFileSync } from 'node:fs';
import pLimit from 'p-limit';
import { formatDuration } from '../../units.js';
import type { Change, PlannedWave, Target } from '../../types.js';
import type { HookContext, Journal, SpawnInfo } from '../types.js';

/** A hook call outlived its timeout (its outcome is unknown until it settles). */
export class TimeoutError extends Error {
  override name = 'TimeoutError';
}

export const MAX_TIMER = 2_147_483_647;
/** Wait `ms`, waking immediately (rejecting with the abort reason) when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, Math.min(Math.max(0, ms), MAX_TIMER));
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** What every hook context of a rollout shares. */
export interface CtxBase {
  lkg: unknown;
  changes: Change[];
  rolloutId: string;
  /** Told when a command hook spawned a process group for a target (the engine journals it). */
  spawned?: ((targetId: string, generation: number, info: SpawnInfo) => void) | undefined;
  /**
   * The journal's lease check (a store with leases, see `Journal.guard`): run before EVERY hook call; when the lease was
   * lost the call fails with the journal's `E_FENCED` error and the hook is not called. Hooks get it as
   * `ctx.confirmLease` (command hooks run it again right before and right after their spawn).
   */
  guard?: (() => Promise<void> | undefined) | undefined;
  /** The lease's fencing token (`ctx.fence`), read at each call. */
  fence?: (() => number | undefined) | undefined;
}

/** The lease hooks of a journal for {@link CtxBase}: none for a journal without a lease. */
export function leaseHooks(journal: Journal): Pick<CtxBase, 'guard' | 'fence'> {
  if (typeof journal.guard !== 'function') return {};
  return { guard: () => journal.guard!(), fence: () => journal.fence };
}

/**
 * Whether a process group has a live member. `kill(-pgid, 0)` alone also counts zombies: a hook that exited while its
 * parent cannot reap it (the parent confgate is stopped with SIGSTOP, or hung) would look alive for ever. On Linux the
 * members' states are read from /proc; a group whose members are all zombies has finished. Anything unreadable counts
 * as alive (the caller then waits, which is the safe side).
 */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (process.platform !== 'linux') return true;
  // common case first: the leader itself runs
  const leader = procState(pgid);
  if (leader != null && leader.pgrp === pgid && leader.state !== 'Z' && leader.state !== 'X') return true;
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return true;
  }
  for (const n of names) {
    if (n.charCodeAt(0) < 48 || n.charCodeAt(0) > 57) continue;
    const st = procState(Number(n));
    if (st === null) return true; // a process we may not inspect: it could be a member
    if (st !== undefined && st.pgrp === pgid && st.state !== 'Z' && st.state !== 'X') return true;
  }
  return false;
}

/** State and process group of a process from /proc: undefined when it is gone, null when it cannot be read. */
function procState(pid: number): { state: string; pgrp: number } | undefined | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ESRCH' ? undefined : null;
  }
  // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so split after the last ')'
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: rest[0] ?? '', pgrp: Number(rest[2]) };
}

export function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function';
}

export const ignore = (): void => undefined;

/**
 * One hook call. Its `AbortController` is created only when the hook reads `ctx.signal` (most hooks never do); a
 * signal read after the call timed out or was aborted is created already aborted.
 */
class HookCall {
  /** Monotonic deadline (`performance.now()` ms), set when the hook returned a promise. */
  deadline = 0;
  settled = false;
  /** True when the call ended by timeout or abort; `reason` is the signal's abort reason. */
  aborted = false;
  reason: unknown = undefined;
  ctrl: AbortController | undefined = undefined;
  /** True when the call timed out while its hook was still running: its late settle is reported (`onLate`). */
  late = false;
  /** The next call started after this one (the runner's FIFO of calls in flight). */
  next: HookCall | undefined = undefined;
  resolve: (v: unknown) => void = ignore;
  reject: (e: unknown) => void = ignore;

  constructor(readonly id: string) {}

  get signal(): AbortSignal {
    let c = this.ctrl;
    if (c === undefined) {
      c = this.ctrl = new AbortController();
      if (this.aborted) c.abort(this.reason);
    }
    return c.signal;
  }
}

/**
 * Runs hook calls of one kind (apply, health, rollback...) with one timeout and one parent signal.
 *
 * Same guarantees as one `AbortController` + `setTimeout` + abort listener + `Promise.race` per call, at a fraction of
 * the cost: a call that outlives `timeoutMs` fails with a `TimeoutError` and its signal is aborted with it; when
 * `parent` aborts, every call in flight fails at once and its signal is aborted with the parent's reason. All calls
 * share one timeout, so their deadlines are in start order: the calls in flight are a FIFO, watched by ONE timer armed
 * for the oldest deadline, and the runner registers ONE abort listener on `parent` for its whole life (not one per
 * call). A hook that returns synchronously (or throws) costs no timer, no promise and no signal unless it reads
 * `ctx.signal`.
 *
 * With `waitOnAbort` (apply calls), the parent's abort only aborts the calls' signals: each call still settles when its
 * hook settles or at its own deadline, never earlier, so that the engine never rolls a target back while the apply it
 * started for it may still land. A call that reached its deadline while its hook still ran is `late`: when that hook
 * settles at last, `onLate(id, ok)` is called.
 */
export class HookRunner {
  #head: HookCall | undefined = undefined;
  #tail: HookCall | undefined = undefined;
  #live = 0;
  #timer: ReturnType<typeof setTimeout> | undefined = undefined;
  readonly #onAbort: (() => void) | undefined;

  /**
   * @param prefix names a call in errors: `${prefix}${target id}` ("apply on t1 timed out after 40ms").
   * @param parent aborting it fails every call in flight (none for rollbacks: they are never aborted).
   */
  constructor(
    readonly timeoutMs: number,
    readonly parent: AbortSignal | undefined,
    readonly prefix: string,
    readonly base: CtxBase,
    readonly opts: { waitOnAbort?: boolean; onLate?: (id: string, ok: boolean, value: unknown) => void } = {},
  ) {
    if (parent !== undefined && !parent.aborted) {
      this.#onAbort = () => this.#abortAll();
      parent.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  /** Remove the abort listener. Calls still in flight keep their timeout. */
  dispose(): void {
    if (this.#onAbort !== undefined) this.parent!.removeEventListener('abort', this.#onAbort);
  }

  /**
   * Call `hook(target, ctx)`. Returns the hook's value when it returned synchronously, a promise when it returned a
   * promise (settled by the hook, its timeout or the parent's abort); throws what the hook threw synchronously.
   */
  call(
    hook: (target: Target, ctx: HookContext) => unknown,
    target: Target,
    config: unknown,
    stage: PlannedWave,
    attempt: number,
    generation: number,
  ): unknown {
    // Fencing: a holder that lost its lease calls no hook (a sync check while the lease is fresh, else a renewal)
    const g = this.base.guard?.();
    if (g !== undefined) return g.then(() => this.#call(hook, target, config, stage, attempt, generation));
    return this.#call(hook, target, config, stage, attempt, generation);
  }

  #call(
    hook: (target: Target, ctx: HookContext) => unknown,
    target: Target,
    config: unknown,
    stage: PlannedWave,
    attempt: number,
    generation: number,
  ): unknown {
    const c = new HookCall(target.id);
    if (this.parent?.aborted) throw this.#abortedBeforeStart(c);
    const b = this.base;
    const ctx: HookContext = {
      config,
      lkg: b.lkg,
      changes: b.changes,
      stage,
      attempt,
      generation,
      get signal(): AbortSignal {
        return c.signal;
      },
      rolloutId: b.rolloutId,
    };
    if (b.guard !== undefined) {
      ctx.confirmLease = b.guard;
      const fence = b.fence?.();
      if (fence !== undefined) ctx.fence = fence;
    }
    const spawned = b.spawned;
    if (spawned !== undefined) ctx.onSpawn = (info: SpawnInfo): void => spawned(target.id, generation, info);
    let r: unknown;
    try {
      r = hook(target, ctx);
    } catch (err) {
      throw this.#threw(c, err);
    }
    return this.#returned(c, r);
  }

  /** Like {@link call} for hooks with another shape (approval, promote): `invoke` gets the call's signal. */
  run(invoke: (signal: AbortSignal) => unknown): unknown {
    const g = this.base.guard?.();
    if (g !== undefined) return g.then(() => this.#run(invoke));
    return this.#run(invoke);
  }

  #run(invoke: (signal: AbortSignal) => unknown): unknown {
    const c = new HookCall('');
    if (this.parent?.aborted) throw this.#abortedBeforeStart(c);
    let r: unknown;
    try {
      r = invoke(c.signal);
    } catch (err) {
      throw this.#threw(c, err);
    }
    return this.#returned(c, r);
  }

  #abortError(c: HookCall): Error {
    const reason: unknown = this.parent!.reason;
    return reason instanceof Error ? reason : new Error(`${this.prefix}${c.id} aborted`);
  }

  #abortedBeforeStart(c: HookCall): Error {
    c.settled = true;
    c.aborted = true;
    c.reason = this.parent!.reason;
    return this.#abortError(c);
  }

  /** The hook threw synchronously: its error, unless the parent aborted meanwhile (the abort wins, as in a race). */
  #threw(c: HookCall, err: unknown): unknown {
    c.settled = true;
    if (this.parent?.aborted) return this.#abortedBeforeStart(c);
    return err;
  }

  #returned(c: HookCall, r: unknown): unknown {
    if (this.parent?.aborted && !(this.opts.waitOnAbort && isThenable(r))) {
      if (isThenable(r)) Promise.resolve(r).then(ignore, ignore);
      throw this.#abortedBeforeStart(c);
    }
    if (!isThenable(r)) {
      c.settled = true;
      return r;
    }
    if (this.parent?.aborted) {
      // waitOnAbort: the hook started and runs on; its signal is aborted, its outcome awaited (bounded by the timeout)
      c.aborted = true;
      c.reason = this.parent.reason;
    }
    c.deadline = performance.now() + this.timeoutMs;
    if (this.#tail === undefined) this.#head = c;
    else this.#tail.next = c;
    this.#tail = c;
    this.#live++;
    if (this.#timer === undefined) this.#arm(this.timeoutMs);
    const out = new Promise<unknown>((resolve, reject) => {
      c.resolve = resolve;
      c.reject = reject;
    });
    Promise.resolve(r).then(
      (v) => {
        if (c.settled) {
          if (c.late) this.#late(c, true, v);
          return;
        }
        const resolve = c.resolve;
        this.#settle(c);
        resolve(v);
      },
      (e: unknown) => {
        if (c.settled) {
          if (c.late) this.#late(c, false, e);
          return;
        }
        const reject = c.reject;
        this.#settle(c);
        reject(e);
      },
    );
    return out;
  }

  #late(c: HookCall, ok: boolean, value: unknown): void {
    c.late = false;
    try {
      this.opts.onLate?.(c.id, ok, value);
    } catch {
      /* the engine's own callback: never breaks the hook's promise chain */
    }
  }

  /** Mark a call in flight settled (it may stay in the FIFO a while: drop what it holds). */
  #settle(c: HookCall): void {
    c.settled = true;
    c.resolve = c.reject = ignore;
    this.#done();
  }

  /** A call in flight settled: forget it (the FIFO drops settled calls from its head; empty = no timer). */
  #done(): void {
    if (--this.#live === 0) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#head = this.#tail = undefined;
      return;
    }
    while (this.#head !== undefined && this.#head.settled) this.#head = this.#head.next;
  }

  #arm(ms: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = setTimeout(this.#onTimer, Math.min(Math.max(1, Math.ceil(ms)), MAX_TIMER));
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    const now = performance.now();
    for (;;) {
      const c = this.#head;
      if (c === undefined) {
        this.#tail = undefined;
        return;
      }
      if (c.settled) {
        this.#head = c.next;
        continue;
      }
      if (c.deadline > now) {
        this.#arm(c.deadline - now); // never early: timers may fire before the monotonic deadline
        return;
      }
      this.#head = c.next;
      if (this.#head === undefined) this.#tail = undefined;
      const e = new TimeoutError(`${this.prefix}${c.id} timed out after ${formatDuration(this.timeoutMs)}`);
      const reject = c.reject;
      c.settled = true;
      c.late = true;
      const wasAborted = c.aborted;
      c.aborted = true;
      if (!wasAborted) c.reason = e; // aborted first (waitOnAbort): its signal keeps the abort's reason
      c.resolve = c.reject = ignore;
      if (--this.#live === 0) this.#tail = this.#head = undefined;
      if (!wasAborted) c.ctrl?.abort(e);
      reject(e);
    }
  };

  /** The parent aborted: every call in flight fails now, its signal aborted with the parent's reason. */
  #abortAll(): void {
    if (this.opts.waitOnAbort) {
      // abort the signals only: each call settles with its hook or at its own deadline
      const reason: unknown = this.parent!.reason;
      for (let c = this.#head; c !== undefined; c = c.next) {
        if (c.settled || c.aborted) continue;
        c.aborted = true;
        c.reason = reason;
        c.ctrl?.abort(reason);
      }
      return;
    }
    let c = this.#head;
    this.#head = this.#tail = undefined;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#live = 0;
    const reason: unknown = this.parent!.reason;
    while (c !== undefined) {
      const next = c.next;
      if (!c.settled) {
        const reject = c.reject;
        c.settled = true;
        c.aborted = true;
        c.reason = reason;
        c.resolve = c.reject = ignore;
        c.ctrl?.abort(reason);
        reject(this.#abortError(c));
      }
      c = next;
    }
  }
}

/**
 * Run one hook call (approval, promote) with its own signal, aborted on timeout or when `parent` aborts. With `lease`
 * (the engine's {@link CtxBase}), the lease is confirmed first, as for every other hook.
 */
export async function callHook<T>(
  invoke: (signal: AbortSignal) => T | Promise<T>,
  timeoutMs: number,
  parent: AbortSignal,
  what: string,
  lease?: Pick<CtxBase, 'guard'>,
): Promise<T> {
  const runner = new HookRunner(timeoutMs, parent, what, { lkg: undefined, changes: [], rolloutId: '', guard: lease?.guard });
  try {
    return (await runner.run(invoke)) as T;
  } finally {
    runner.dispose();
  }
}

/**
 * Run `task(0..n-1)` with at most `concurrency` tasks in flight, started in index order (p-limit).
 * Tasks handle their own errors; a rejection is not expected and would surface here.
 */
export async function pool(n: number, concurrency: number, task: (i: number) => Promise<void> | undefined): Promise<void> {
  if (n <= 0) return;
  const limit = pLimit(Math.max(1, Math.min(concurrency, n)));
  const all: Promise<void>[] = new Array(n);
  for (let i = 0; i < n; i++) all[i] = limit(() => task(i));
  await Promise.all(all);
}
