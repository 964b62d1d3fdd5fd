/**
 * What the engine does while it waits: health rounds at the health interval over every changed target, operator
 * commands read from the journal's command channel, holds, and the run-time window checks before each stage.
 */
import { formatDuration } from '../../units.js';
import type { PlannedWave, Target, WindowSpec } from '../../types.js';
import { matchesSelector } from '../../targets.js';
import { activeAt, targetsUnderMaintenance } from '../../windows/index.js';
import { describeError } from '../errors.js';
import type { HoldKind, OperatorCommandRecord, StageOutcome } from '../types.js';
import { MAX_TIMER, sleep } from './hook-runner.js';
import type { HealthWatch } from './health.js';
import type { Resolved } from './options.js';
import { PENDING, Stop, type Engine } from './state.js';

/** The hold outlived `holdTimeout`: `runRollout` returns `held` (nothing is rolled back). */
export class HeldOut extends Error {}

/** The reason an operator's `abort` aborts the rollout's signal with. */
export class OperatorAbort extends Error {
  override name = 'OperatorAbort';
}

const now = (): string => new Date().toISOString();

function who(c: OperatorCommandRecord): string {
  return `${c.user}@${c.host}${c.reason ? ` (${c.reason})` : ''}`;
}

/** Resolves after `ms` or when `p` settles, whichever is first; true when `p` settled. */
function settledWithin(p: Promise<unknown>, ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise<boolean>((resolve, reject) => {
    let done = false;
    const finish = (v: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(v);
    };
    const onAbort = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => finish(false), Math.min(Math.max(1, ms), MAX_TIMER));
    p.then(
      () => finish(true),
      () => finish(true),
    );
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Commands posted while no process ran the rollout, and what a resume does with them (see {@link decidePending}). */
export interface PendingDecision {
  /** The direction the commands ask for: `abort` rolls back, `forward` continues; undefined when none asks. */
  direction: 'abort' | 'forward' | undefined;
  /** The command that decided it. */
  by: OperatorCommandRecord | undefined;
  /** A `promote` among them: skip the remaining bakes. */
  promoteAll: boolean;
  /** A `pause` not cancelled by a later `continue`/`promote`: a forward resume holds at once. */
  pause: OperatorCommandRecord | undefined;
  /** Every pending command in order, with what was done with it (journaled by the resume). */
  handled: Array<{ c: OperatorCommandRecord; action: 'applied' | 'ignored'; note: string }>;
  /** The highest seq of the channel (a forward resume's runtime reads after it); undefined when it could not be read. */
  lastSeq: number | undefined;
}

/** `alice@ops-1 (reason)`: who posted a command. */
export function postedBy(c: OperatorCommandRecord): string {
  return who(c);
}

/**
 * The commands of a journal's channel that no process has picked up for rollout `rolloutId` (started at `startedTs`):
 * later than every command the journal shows as handled, posted after the rollout started, addressed to it (or to
 * none). Returns them with the highest seq of the channel.
 */
export async function pendingCommands(
  journal: { readCommands?: (afterSeq: number) => Promise<OperatorCommandRecord[]> },
  records: readonly { type: string; seq?: number }[],
  rolloutId: string,
  startedTs: string,
): Promise<{ pending: OperatorCommandRecord[]; lastSeq: number }> {
  if (typeof journal.readCommands !== 'function') return { pending: [], lastSeq: 0 };
  let handled = 0;
  for (const r of records) if (r.type === 'command' && typeof r.seq === 'number') handled = Math.max(handled, r.seq);
  const all = await journal.readCommands(0);
  const lastSeq = all.length > 0 ? all[all.length - 1]!.seq : 0;
  const pending = all.filter((c) => c.seq > handled && c.ts >= startedTs && (c.rolloutId === undefined || c.rolloutId === rolloutId));
  return { pending, lastSeq };
}

/**
 * What pending commands ask of a resume, in the order they were posted, as the live engine would have read them: the
 * first `abort` wins (later commands are ignored); `continue` and `promote` ask to go forward (`promote` also skips
 * the remaining bakes) and cancel an earlier `pause`; a `pause` makes a forward resume hold at once.
 * `forward` is the resume's own choice (`true`, `false`, or undefined: follow the commands).
 */
export function decidePending(pending: OperatorCommandRecord[], lastSeq: number | undefined, forward: boolean | undefined): PendingDecision {
  const d: PendingDecision = { direction: undefined, by: undefined, promoteAll: false, pause: undefined, handled: [], lastSeq };
  for (const c of pending) {
    if (d.direction === 'abort') {
      d.handled.push({ c, action: 'ignored', note: `the rollout was aborted by an earlier command (${who(d.by!)})` });
      continue;
    }
    switch (c.command) {
      case 'abort':
        d.direction = 'abort';
        d.by = c;
        d.pause = undefined;
        d.handled.push({ c, action: 'applied', note: 'posted while no process ran the rollout: the resume rolls every changed target back' });
        break;
      case 'continue':
      case 'promote':
        if (forward === false) {
          d.handled.push({ c, action: 'ignored', note: 'the resume was asked to roll back (forward: false)' });
          break;
        }
        d.direction = 'forward';
        d.by = c;
        d.pause = undefined;
        if (c.command === 'promote') d.promoteAll = true;
        d.handled.push({ c, action: 'applied', note: `posted while no process ran the rollout: the resume continues it${c.command === 'promote' ? ' and skips the remaining bakes' : ''}` });
        break;
      case 'pause':
        d.pause = c;
        d.handled.push({ c, action: 'applied', note: 'posted while no process ran the rollout: a forward resume holds at once' });
        break;
    }
  }
  for (const h of d.handled) {
    if (h.c.command === 'pause' && h.action === 'applied' && h.c !== d.pause) {
      h.action = 'ignored';
      h.note = `cancelled by a later command (${who(d.by!)})`;
    }
  }
  if (d.pause && !(forward === true || d.direction === 'forward')) {
    const i = d.handled.findIndex((h) => h.c === d.pause);
    d.handled[i] = { c: d.pause, action: 'ignored', note: d.direction === 'abort' ? 'the rollout is aborted' : 'the resume rolls the rollout back' };
    d.pause = undefined;
  }
  return d;
}

export interface RuntimeInit {
  engine: Engine;
  s: Resolved;
  /** The rollout's internal signal (the caller's signal and an operator's abort both abort it). */
  signal: AbortSignal;
  /** Abort the rollout (an operator's `abort`). */
  abort: (reason: Error) => void;
  watch: HealthWatch | undefined;
  windows: WindowSpec[];
  now: () => Date;
}

export class Runtime {
  /** True while held. */
  held = false;
  /** An operator asked for a pause not yet honoured. */
  pauseRequested: OperatorCommandRecord | undefined;
  /** An operator asked to skip the remaining bakes. */
  promoteAll = false;
  #afterSeq = 0;
  readonly #channel: boolean;
  readonly tickMs: number;
  #warnedNoChannel = false;

  constructor(readonly r: RuntimeInit) {
    const j = r.engine.init.journal;
    this.#channel = typeof j.readCommands === 'function';
    this.tickMs = Math.max(10, r.s.intervalMs);
  }

  /**
   * A hold the rollout was in when its process stopped, released by an operator's `continue`/`promote` posted while no
   * process ran it (see `resumeRollout`): when the resumed rollout enters the same hold (same stage and kind), it is
   * released at once, as the live engine would have done. Consumed (or dropped) by the next hold.
   */
  preRelease: { stage: number; kind: HoldKind; by: string } | undefined;

  /**
   * Commands posted before this process started are not for it: start reading after them (or after `afterSeq`, the
   * last command a resume has already handled).
   */
  async init(afterSeq?: number): Promise<void> {
    if (afterSeq !== undefined) {
      this.#afterSeq = afterSeq;
      return;
    }
    if (!this.#channel) return;
    try {
      const old = await this.r.engine.init.journal.readCommands!(0);
      this.#afterSeq = old.length > 0 ? old[old.length - 1]!.seq : 0;
    } catch (err) {
      this.r.engine.emit({ type: 'warning', message: `cannot read operator commands: ${describeError(err)}` });
    }
  }

  #journalCommand(c: OperatorCommandRecord, action: 'applied' | 'ignored', note?: string): void {
    const e = this.r.engine;
    const rec = { type: 'command' as const, ts: now(), seq: c.seq, command: c.command, user: c.user, host: c.host, action };
    e.queue({ ...rec, ...(c.reason !== undefined ? { reason: c.reason } : {}), ...(note !== undefined ? { note } : {}) });
    e.emit({
      type: 'command',
      command: c.command,
      user: c.user,
      host: c.host,
      action,
      ...(c.reason !== undefined ? { reason: c.reason } : {}),
      ...(note !== undefined ? { note } : {}),
    });
  }

  /**
   * Read new operator commands and act: `abort` aborts the rollout's signal, `promote` skips the remaining bakes,
   * `pause` asks for a hold, `continue` (and `promote`) release one. Returns true when a hold should be released.
   */
  async poll(): Promise<boolean> {
    if (!this.#channel) return false;
    const e = this.r.engine;
    let cmds: OperatorCommandRecord[];
    try {
      cmds = await e.init.journal.readCommands!(this.#afterSeq);
    } catch (err) {
      e.emit({ type: 'warning', message: `cannot read operator commands: ${describeError(err)}` });
      return false;
    }
    let release = false;
    for (const c of cmds) {
      this.#afterSeq = Math.max(this.#afterSeq, c.seq);
      if (c.rolloutId !== undefined && c.rolloutId !== e.init.id) {
        this.#journalCommand(c, 'ignored', `for rollout ${c.rolloutId}, not ${e.init.id}`);
        continue;
      }
      switch (c.command) {
        case 'abort':
          this.#journalCommand(c, 'applied');
          await e.writeBestEffort();
          this.r.abort(new OperatorAbort(`aborted by operator ${who(c)}`));
          return false;
        case 'promote':
          this.promoteAll = true;
          this.pauseRequested = undefined;
          release = true;
          this.#journalCommand(c, 'applied', 'remaining bakes skipped');
          break;
        case 'pause':
          if (this.held) this.#journalCommand(c, 'ignored', 'already held');
          else {
            this.pauseRequested = c;
            this.#journalCommand(c, 'applied', 'no new apply starts; the rollout holds once the applies in flight have settled');
          }
          break;
        case 'continue':
          if (this.held) {
            release = true;
            this.#journalCommand(c, 'applied', 'hold released');
          } else if (this.pauseRequested) {
            this.pauseRequested = undefined;
            this.#journalCommand(c, 'applied', 'pending pause cancelled');
          } else this.#journalCommand(c, 'ignored', 'not held');
          break;
      }
    }
    if (cmds.length > 0) await e.write();
    return release;
  }

  /** One health round during a wait (when there is anything to check); over the limit it throws Stop('gate'). */
  async healthTick(wave: PlannedWave, outcome: StageOutcome, why: string): Promise<void> {
    const w = this.r.watch;
    if (!w || w.checkedTargets().length === 0) return;
    const sum = await w.round(wave, outcome, false);
    if (outcome.healthFailures > this.r.s.failureLimit) {
      throw new Stop('gate', `stage "${wave.name}": ${outcome.healthFailures} failed health checks exceed the limit of ${this.r.s.failureLimit} ${why} (first: ${sum.firstFailure})`);
    }
  }

  /**
   * Wait for `p` while watching: every tick, read operator commands and run a health round. A health stop is handed
   * to `onStop` (the wait goes on until `p` settles: applies in flight are never abandoned) or thrown when no `onStop`.
   */
  async waitWhile(p: Promise<unknown>, wave: PlannedWave, outcome: StageOutcome, why: string, onStop?: (stop: Stop) => void): Promise<void> {
    let stopped = false;
    for (;;) {
      if (await settledWithin(p, this.tickMs, onStop ? new AbortController().signal : this.r.signal)) return;
      if (this.r.signal.aborted) {
        if (onStop) continue; // applies in flight: keep waiting for them
        this.r.signal.throwIfAborted();
      }
      await this.poll();
      if (stopped || this.r.signal.aborted) continue;
      try {
        await this.healthTick(wave, outcome, why);
      } catch (err) {
        if (!onStop || !(err instanceof Stop)) throw err;
        stopped = true;
        onStop(err);
      }
    }
  }

  /** Sleep `ms` in ticks, reading commands (and checking health) meanwhile. Stops early when `promoteAll` is set. */
  async sleepWatching(ms: number, wave: PlannedWave, outcome: StageOutcome, why: string, stopOnPromote: boolean): Promise<void> {
    const end = Date.now() + ms;
    for (;;) {
      const left = end - Date.now();
      if (left <= 0 || (stopOnPromote && this.promoteAll)) return;
      await sleep(Math.min(left, this.tickMs), this.r.signal);
      await this.poll();
      await this.healthTick(wave, outcome, why);
    }
  }

  /**
   * Hold: journal it, stop advancing, keep checking health at the interval and reading commands, until an operator's
   * `continue`/`promote` (or `until()` becoming true, e.g. the freeze ended). `abort` or failing health ends it the
   * usual way; `holdTimeout` throws {@link HeldOut}.
   */
  async hold(kind: HoldKind, reason: string, wave: PlannedWave, outcome: StageOutcome, until?: () => boolean): Promise<'operator' | 'window'> {
    const e = this.r.engine;
    this.held = true;
    this.pauseRequested = undefined;
    // journaled first: whoever sees the event (or runs `confgate status` on seeing it) finds the hold in the journal
    await e.write([{ type: 'hold', ts: now(), stage: wave.index, kind, reason }]);
    e.emit({ type: 'rollout.held', stage: wave.index, kind, reason });
    const pre = this.preRelease;
    this.preRelease = undefined;
    if (pre && pre.stage === wave.index && pre.kind === kind) {
      const why = `${reason} (released by ${pre.by}, posted while no process ran the rollout)`;
      await e.write([{ type: 'release', ts: now(), stage: wave.index, by: 'operator', reason: why }]);
      e.emit({ type: 'rollout.released', stage: wave.index, by: 'operator', reason: why });
      this.held = false;
      return 'operator';
    }
    if (!this.#channel && !this.#warnedNoChannel) {
      this.#warnedNoChannel = true;
      e.emit({ type: 'warning', message: 'the journal has no operator-command channel: this hold can only end by its condition, the signal or holdTimeout' });
    }
    const start = Date.now();
    try {
      for (;;) {
        const left = this.r.s.holdTimeoutMs - (Date.now() - start);
        if (left <= 0) throw new HeldOut(`held (${kind}) for ${formatDuration(this.r.s.holdTimeoutMs)} with no operator decision: ${reason}`);
        await sleep(Math.min(this.tickMs, left), this.r.signal);
        const release = await this.poll();
        await this.healthTick(wave, outcome, 'while held');
        let by: 'operator' | 'window' | undefined;
        if (release) by = 'operator';
        else if (until?.()) by = 'window';
        if (by) {
          await e.write([{ type: 'release', ts: now(), stage: wave.index, by, reason }]);
          e.emit({ type: 'rollout.released', stage: wave.index, by, reason });
          return by;
        }
      }
    } finally {
      this.held = false;
    }
  }

  /** Honour a pending `pause` (at a step boundary). */
  async pauseIfAsked(wave: PlannedWave, outcome: StageOutcome): Promise<void> {
    const p = this.pauseRequested;
    if (!p) return;
    await this.hold('operator', `paused by operator ${who(p)}`, wave, outcome);
  }

  /** Freeze windows (or, where allow windows exist, being outside all of them) that block `targets` at `at`. */
  #blockers(targets: Target[], at: Date): string[] {
    const ws = this.r.windows;
    if (ws.length === 0) return [];
    const active = activeAt(ws, at);
    const out: string[] = [];
    for (const o of active) {
      if (o.window.kind !== 'freeze') continue;
      if (o.window.targets === undefined || targets.some((t) => matchesSelector(t, o.window.targets))) out.push(`freeze "${o.window.name}" (until ${o.end})`);
    }
    const allows = ws.filter((w) => w.kind === 'allow');
    if (allows.length > 0) {
      const open = active.filter((o) => o.window.kind === 'allow');
      const outside = targets.filter((t) => allows.some((w) => matchesSelector(t, w.targets)) && !open.some((o) => matchesSelector(t, o.window.targets)));
      if (outside.length > 0) out.push(`outside every allow window (${outside.length} target${outside.length === 1 ? '' : 's'}, first ${JSON.stringify(outside[0]!.id)})`);
    }
    return out;
  }

  /**
   * Before a stage: re-evaluate the windows at the real time. A freeze (or being outside the allow windows) holds the
   * rollout until it ends or an operator continues (break-glass, journaled); targets under an active maintenance
   * window are deferred to the next stage, or left on the LKG at the last stage. A stage that is not the last and none
   * of whose targets could be applied (every one under maintenance, none changed yet) is never skipped: a wider stage
   * must not start before an earlier one was applied and baked. The rollout holds (kind `maintenance`), re-evaluates
   * the windows at every health interval and goes on by itself once a target is available; an operator's `continue`
   * pushes the stage into the window (break-glass, journaled), `abort` rolls back.
   */
  async windowsBefore(wave: PlannedWave, outcome: StageOutcome): Promise<void> {
    const ws = this.r.windows;
    if (ws.length === 0) return;
    const e = this.r.engine;
    const pendingOf = (): Target[] => wave.targets.filter((t) => e.states.get(t.id) === PENDING);
    const isLast = !e.waves.some((w) => w.index > wave.index);
    /** Every pending target is under maintenance and none of the stage's targets was changed yet. */
    const starved = (): Map<string, string[]> | undefined => {
      const targets = pendingOf();
      if (isLast || targets.length === 0 || targets.length !== wave.targets.length) return undefined;
      const under = targetsUnderMaintenance(ws, targets, this.r.now());
      return under.size === targets.length ? under : undefined;
    };
    for (;;) {
      for (;;) {
        const targets = pendingOf();
        if (targets.length === 0) return;
        const blockers = this.#blockers(targets, this.r.now());
        if (blockers.length === 0) break;
        const by = await this.hold('freeze', `stage "${wave.name}" cannot start: ${blockers.join('; ')}`, wave, outcome, () => this.#blockers(pendingOf(), this.r.now()).length === 0);
        if (by === 'operator') break; // a person decided to push through (journaled with who and why)
      }
      const under = starved();
      if (!under) break;
      const names = new Set([...under.values()].flat());
      const ends = activeAt(ws, this.r.now())
        .filter((o) => o.window.kind === 'maintenance' && names.has(o.window.name))
        .map((o) => `${JSON.stringify(o.window.name)} until ${o.end}`);
      const reason =
        `stage "${wave.name}" cannot start: every one of its ${wave.targets.length} target(s) is under maintenance (${[...new Set(ends)].join(', ')}); ` +
        'a wider stage never starts before this one was applied and baked: waiting for a target to become available (`continue` pushes into the window, `abort` rolls back)';
      const by = await this.hold('maintenance', reason, wave, outcome, () => starved() === undefined);
      if (by === 'operator') {
        e.emit({ type: 'warning', message: `stage "${wave.name}": an operator released the maintenance hold: its targets are applied inside the maintenance window` });
        return; // break-glass: the stage applies to its targets as planned
      }
      // a target became available: check the freezes again, then defer what is still under maintenance
    }
    const under = targetsUnderMaintenance(ws, pendingOf(), this.r.now());
    if (under.size === 0) return;
    const next = e.waves.find((w) => w.index > wave.index);
    const nextOutcome = next ? e.stages.find((o) => o.index === next.index) : undefined;
    const keep: Target[] = [];
    for (const t of wave.targets) {
      const names = under.get(t.id);
      if (names === undefined) {
        keep.push(t);
        continue;
      }
      const why = `under maintenance (${names.map((n) => JSON.stringify(n)).join(', ')}) when stage "${wave.name}" started`;
      if (next) {
        next.targets.push(t);
        e.waveOf.set(t.id, next);
        if (nextOutcome) nextOutcome.targets++;
        e.queue({ type: 'deferred', ts: now(), targetId: t.id, from: wave.index, to: next.index, reason: why });
        e.emit({ type: 'target.deferred', targetId: t.id, stage: wave.index, to: next.index, reason: `${why}: deferred to stage "${next.name}"` });
      } else {
        const reason = `${why}: left on the LKG for a later run`;
        e.leftOut.set(t.id, reason);
        e.queue({ type: 'deferred', ts: now(), targetId: t.id, from: wave.index, reason });
        e.emit({ type: 'target.deferred', targetId: t.id, stage: wave.index, reason });
      }
      outcome.targets--;
    }
    wave.targets.length = 0;
    wave.targets.push(...keep);
    await e.write();
  }
}
