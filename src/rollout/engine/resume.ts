/**
 * Crash recovery: rebuild a rollout from its journal, wait for (then kill) hook process groups the dead process left
 * running, and either roll every changed target back (the default) or continue forward.
 */
import { setMaxListeners } from 'node:events';
import { ConfgateError, OptionsError } from '../../errors.js';
import { describeError, RolloutError } from '../errors.js';
import type { Journal, JournalRecord, RolloutResult } from '../types.js';
import { forward, makeFlow } from '../run.js';
import { groupAlive, sleep } from './hook-runner.js';
import { fn, lastRollout, resolveOptions, toJournal, unknownOptions, validateRun, type Resolved, type ResumeOptions, type RunOptions } from './options.js';
import { decidePending, pendingCommands, postedBy, type PendingDecision } from './runtime.js';
import { CHANGED, Engine, HOST, PENDING, Stop } from './state.js';
import type { HoldKind } from '../types.js';

/**
 * Hook process groups journaled for targets whose last call may still run (the process died mid-call): wait for each
 * to exit, up to `waitMs`, then SIGKILL the group, so that no orphaned apply lands after the resume acts. Groups
 * journaled on another host cannot be reached: a warning names them (the fleet's generation check is the guard).
 */
async function settleOrphans(engine: Engine, spawns: Map<string, { pgid: number; host: string; generation: number }>, waitMs: number): Promise<void> {
  const local: Array<{ id: string; pgid: number }> = [];
  for (const [id, sp] of spawns) {
    const st = engine.states.get(id)?.status;
    if (st !== 'applying' && st !== 'apply-timed-out' && st !== 'rolling-back') continue;
    if (sp.generation < engine.gen(id)) continue; // an older call; the latest one spawned nothing we know of
    if (sp.host !== HOST) {
      engine.emit({ type: 'warning', message: `the hook for ${id} ran on host ${sp.host} (process group ${sp.pgid}); this resume cannot wait for it there` });
      continue;
    }
    if (groupAlive(sp.pgid)) local.push({ id, pgid: sp.pgid });
  }
  if (local.length === 0) return;
  engine.emit({ type: 'warning', message: `waiting for ${local.length} hook process group(s) left by the stopped rollout (first: ${local[0]!.id})` });
  const deadline = Date.now() + waitMs;
  const never = new AbortController().signal;
  while (Date.now() < deadline && local.some((g) => groupAlive(g.pgid))) await sleep(Math.min(50, deadline - Date.now()), never);
  for (const g of local) {
    if (!groupAlive(g.pgid)) continue;
    try {
      process.kill(-g.pgid, 'SIGKILL');
      engine.emit({ type: 'warning', message: `killed hook process group ${g.pgid} of ${g.id}: still running after ${waitMs}ms` });
    } catch {
      /* gone meanwhile */
    }
  }
  const killDeadline = Date.now() + 5_000;
  while (Date.now() < killDeadline && local.some((g) => groupAlive(g.pgid))) await sleep(20, never);
}

/**
 * Resume a rollout from its journal after a crash (or a held rollout whose process exited).
 *
 * If the journal's last rollout finished, its stored result is returned (errors rebuilt as {@link RolloutError}s).
 * Otherwise, first, hook process groups the dead process journaled (`ctx.onSpawn`) for targets whose last call may still
 * run are waited for, then killed. Then, by default, the rollout is rolled back, conservatively: every target
 * journaled as changed (`applying` — unknown whether the apply happened —, `applied`, `healthy`, `failed`,
 * `apply-timed-out`, `rolling-back`, `rollback-failed`) is rolled back newest first with the LKG stored in the
 * journal, even targets of stages that had passed. No target is left unknown. A rollout whose promote was journaled
 * (and no rollback began) is reported `completed` instead.
 *
 * Operator commands posted while no process ran the rollout (`confgate control`, after its process exited or crashed)
 * are honoured, in order, and journaled with what was done: an `abort` rolls back (status `aborted`, even with
 * `forward: true`); a `continue`/`promote` goes forward (unless `forward: false`; without an `apply` hook the resume
 * throws an `OptionsError` and does nothing) and releases the hold the rollout was in (inconclusive health, a freeze,
 * maintenance) when the resume meets it again; `promote` also skips the remaining bakes; a `pause` makes a forward
 * resume hold at once.
 *
 * With `forward: true` (`confgate rollout --resume --forward`), the rollout continues: targets whose apply failed are
 * rolled back, every changed target's health is re-checked (a failure rolls everything back as usual), targets
 * journaled `applying` are applied again (idempotent hooks, a higher `ctx.generation`), and the interrupted stage and
 * the later ones run as in `runRollout`, then promote. `apply` is then required.
 */
export async function resumeRollout(journalOrPath: Journal | string, hooks: ResumeOptions): Promise<RolloutResult> {
  if (hooks === null || typeof hooks !== 'object') throw new OptionsError('`resumeRollout` needs hooks `{ rollback }`');
  fn(hooks.rollback, 'rollback', true);
  fn(hooks.onEvent, 'onEvent', false);
  const isForward = hooks.forward === true;
  if (isForward) fn(hooks.apply, 'apply', true);
  const journal = toJournal(journalOrPath);
  await journal.lock();
  try {
    const records = await journal.read();
    const { start, finished } = lastRollout(records);
    if (start < 0) throw new ConfgateError('E_JOURNAL', 'the journal holds no rollout to resume');
    if (finished) {
      const r = finished.result;
      const errors = (r.errors ?? []).map((e) => RolloutError.fromJSON(e));
      const res: RolloutResult = { ...r, errors, resumed: true };
      if (errors.length > 0) res.error = new AggregateError(errors, r.reason ?? `rollout ${r.id} met ${errors.length} errors`);
      return res;
    }
    const started = records[start] as Extract<JournalRecord, { type: 'rollout.started' }>;
    // Operator commands posted while no process ran the rollout (after it was held and its process exited, or after a
    // crash): the resume honours them. `abort` rolls back; `continue`/`promote` go forward (unless `forward: false`).
    let decision: PendingDecision = decidePending([], undefined, hooks.forward);
    let commandsUnreadable: string | undefined;
    try {
      const { pending, lastSeq } = await pendingCommands(journal, records.slice(start + 1), started.id, started.ts);
      decision = decidePending(pending, lastSeq, hooks.forward);
    } catch (err) {
      commandsUnreadable = describeError(err);
    }
    const goForward = hooks.forward === true ? decision.direction !== 'abort' : decision.direction === 'forward';
    if (goForward && !isForward && typeof hooks.apply !== 'function') {
      const c = decision.by!;
      throw new OptionsError(
        `a pending \`${c.command}\` posted by ${postedBy(c)} while no process ran rollout ${started.id} asks to continue it, but this resume has no \`apply\` hook: ` +
          'continue it (library: `forward: true` with `apply`; CLI: `confgate rollout --resume --forward --proposed FILE --current FILE --apply HOOK --rollback HOOK ...`), ' +
          'or roll it back (library: `forward: false`; CLI: post `confgate control abort`, then `confgate rollout --resume`); nothing was done',
      );
    }
    const runOptions: RunOptions = {
      ...(hooks as Omit<ResumeOptions, 'forward'>),
      apply: hooks.apply ?? (() => Promise.reject(new Error('a resume that rolls back never applies'))),
      plan: started.plan,
      proposed: started.proposed,
      lkg: started.lkg,
      changes: started.changes ?? [],
    };
    delete (runOptions as { forward?: unknown }).forward;
    const settings = resolveOptions(runOptions);
    const engine = new Engine({
      id: started.id,
      plan: started.plan,
      proposed: started.proposed,
      lkg: started.lkg,
      changes: started.changes ?? [],
      journal,
      settings,
      rollback: hooks.rollback,
      verify: hooks.verify,
      onEvent: hooks.onEvent,
    });
    const unknown = unknownOptions(hooks);
    if (unknown.length > 0) engine.emit({ type: 'warning', message: `unknown resumeRollout options ignored: ${unknown.map((k) => `\`${k}\``).join(', ')}` });
    const seenApplying = new Set<string>();
    const seenApplied = new Set<string>();
    const spawns = new Map<string, { pgid: number; host: string; generation: number }>();
    /** The hold the rollout was in when its last process stopped. */
    let lastHold: { stage: number; kind: HoldKind } | undefined;
    for (let i = start + 1; i < records.length; i++) {
      const r = records[i]!;
      if (r.type === 'hold') lastHold = { stage: r.stage, kind: r.kind };
      else if (r.type === 'release' || r.type === 'resume.started') lastHold = undefined;
      if (r.type === 'target') {
        engine.states.set(r.targetId, r.state);
        if (r.state.status === 'applying' || r.state.status === 'rolling-back') engine.generation.set(r.targetId, engine.gen(r.targetId) + 1);
        // rebuild the stage counts the crashed run had journaled (the summary said "0/1 applied" for applied stages)
        if (r.state.status === 'applied' && !seenApplied.has(r.targetId)) {
          seenApplied.add(r.targetId);
          const o = engine.stages[r.state.stage];
          if (o) o.applied++;
        }
        if (r.state.status === 'applying' && !seenApplying.has(r.targetId)) {
          seenApplying.add(r.targetId);
          engine.changedOrder.push(r.targetId);
        }
        if (r.state.status === 'rolling-back') engine.rollbackAttempts.set(r.targetId, (engine.rollbackAttempts.get(r.targetId) ?? 0) + 1);
      } else if (r.type === 'stage') {
        const o = engine.stages[r.stage];
        if (o) {
          if (r.status === 'started') {
            o.status = 'interrupted';
            o.reason = 'interrupted (the rollout process stopped during this stage)';
          } else {
            o.status = r.status;
            if (r.reason !== undefined) o.reason = r.reason;
            else delete o.reason; // a stage that passed after an earlier start is not "interrupted"
          }
        }
      } else if (r.type === 'approval' && !r.approved) {
        const o = engine.stages[r.stage];
        if (o) o.status = 'denied';
      } else if (r.type === 'spawn') {
        spawns.set(r.targetId, { pgid: r.pgid, host: r.host, generation: r.generation });
      } else if (r.type === 'deferred') {
        const from = engine.waves.find((w) => w.index === r.from);
        const t = from?.targets.find((x) => x.id === r.targetId);
        if (from && t) {
          from.targets.splice(from.targets.indexOf(t), 1);
          const to = r.to === undefined ? undefined : engine.waves.find((w) => w.index === r.to);
          if (to) {
            to.targets.push(t);
            engine.waveOf.set(t.id, to);
          } else engine.leftOut.set(t.id, r.reason);
        }
      }
    }
    if (commandsUnreadable !== undefined) engine.emit({ type: 'warning', message: `cannot read operator commands posted while no process ran the rollout: ${commandsUnreadable}` });
    const ts = new Date().toISOString();
    const handled: JournalRecord[] = decision.handled.map(({ c, action, note }) => ({
      type: 'command',
      ts,
      seq: c.seq,
      command: c.command,
      user: c.user,
      host: c.host,
      ...(c.reason !== undefined ? { reason: c.reason } : {}),
      action,
      note,
    }));
    await engine.write([{ type: 'resume.started', ts, ...(goForward ? { forward: true } : {}) }, ...handled]).catch((err: unknown) => {
      throw new ConfgateError('E_JOURNAL', `cannot write journal: ${describeError(err)}`, { cause: err });
    });
    for (const { c, action, note } of decision.handled) {
      engine.emit({ type: 'command', command: c.command, user: c.user, host: c.host, action, note, ...(c.reason !== undefined ? { reason: c.reason } : {}) });
    }
    const aborted = decision.direction === 'abort' ? `aborted by operator ${postedBy(decision.by!)} while no process ran the rollout` : undefined;
    await settleOrphans(engine, spawns, settings.settleTimeoutMs);
    // A rollout that promoted its config (every stage baked) and only failed to journal its end is complete:
    // rolling it back now would undo a good push.
    const tail = records.slice(start + 1);
    const promotedAt = tail.findIndex((r) => r.type === 'promoted');
    const promoted = promotedAt >= 0;
    // (a rollback after the promotion: the crash came while that rollout was already being undone)
    const rollbackBegan = promoted && tail.slice(promotedAt).some((r) => r.type === 'rollback.started');
    if (promoted && !rollbackBegan && !goForward && aborted === undefined) {
      const remaining = engine.remaining();
      for (const [tid, st] of engine.states) {
        if (st.status === 'pending') engine.states.set(tid, { status: 'skipped', reason: engine.leftOut.get(tid) ?? 'not in any wave' });
      }
      const done = remaining.length === 0;
      return await engine.finish(
        engine.result(done ? 'completed' : 'incomplete', 'resumed: the rollout had completed and promoted its config before it stopped', true, remaining),
      );
    }
    if (goForward) {
      // up-front validation of what is left to run (approval hooks only for stages not yet passed)
      const open = engine.waves.filter((w) => engine.stages.find((o) => o.index === w.index)?.status !== 'passed');
      validateRun(runOptions, { ...started.plan, waves: open });
      return await resumeForward(engine, runOptions, settings, promoted, decision, lastHold);
    }
    const reason = aborted ?? 'resumed an interrupted rollout: every changed target is rolled back';
    await engine.rollbackTargets(engine.changedNewestFirst(), reason);
    for (const [tid, st] of engine.states) {
      if (st.status === 'pending') engine.states.set(tid, { status: 'skipped', reason: aborted ? 'not attempted: the rollout was aborted' : 'not attempted: the rollout was interrupted' });
    }
    return await engine.finish(engine.result(engine.needsPerson() ? 'failed' : aborted ? 'aborted' : 'rolled-back', reason, true));
  } finally {
    await journal.unlock().catch(() => undefined);
  }
}

/** Holds that a `continue` posted while no process ran the rollout releases when the resume meets them again. */
const RELEASABLE: ReadonlySet<HoldKind> = new Set(['inconclusive', 'freeze', 'maintenance']);

async function resumeForward(
  engine: Engine,
  options: RunOptions,
  settings: Resolved,
  promoted: boolean,
  decision: PendingDecision,
  lastHold: { stage: number; kind: HoldKind } | undefined,
): Promise<RolloutResult> {
  const internal = new AbortController();
  setMaxListeners(0, internal.signal);
  const onAbort = (): void => internal.abort(options.signal?.reason);
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const flow = await makeFlow(engine, options, settings, internal, decision.lastSeq);
    // pending commands: `promote` skips the remaining bakes, `pause` holds at once, and a `continue`/`promote` releases
    // the hold the rollout was in (inconclusive health, a freeze, maintenance) when the resume meets it again; an
    // approval is asked again and a failing promote retried anyway
    if (decision.promoteAll) flow.rt.promoteAll = true;
    if (decision.pause) flow.rt.pauseRequested = decision.pause;
    if (decision.direction === 'forward' && lastHold && RELEASABLE.has(lastHold.kind)) flow.rt.preRelease = { ...lastHold, by: postedBy(decision.by!) };
    // 1. targets whose apply failed (or whose rollback was interrupted) go back to the LKG
    const broken = engine.changedNewestFirst().filter((id) => {
      const st = engine.states.get(id)!.status;
      return st === 'failed' || st === 'apply-timed-out' || st === 'rolling-back' || st === 'rollback-failed';
    });
    if (broken.length > 0) await engine.rollbackTargets(broken, 'resume --forward: restoring targets whose apply or rollback did not finish');
    if (broken.some((id) => engine.states.get(id)?.status === 'rollback-failed')) {
      await engine.rollbackTargets(engine.changedNewestFirst(), 'resume --forward: a rollback failed; rolling back every changed target');
      return await engine.finish(engine.result(engine.needsPerson() ? 'failed' : 'rolled-back', 'resume --forward could not restore a target', true));
    }
    // 2. targets journaled `applying` (unknown): applied again by their stage
    for (const [id, st] of engine.states) if (st.status === 'applying') engine.states.set(id, PENDING);
    // 3. the interrupted stage runs again (its pending targets, then its gate); passed stages stay passed
    for (const o of engine.stages) {
      if (o.status === 'interrupted' || o.status === 'held' || o.status === 'failed') {
        o.status = 'not-started';
        delete o.reason;
      }
    }
    // 4. re-check the health of every changed target before going on
    const firstOpen = engine.waves.find((w) => engine.stages.find((o) => o.index === w.index)?.status !== 'passed') ?? engine.waves[engine.waves.length - 1];
    if (flow.watch && firstOpen) {
      const outcome = engine.stages.find((o) => o.index === firstOpen.index)!;
      const sum = await flow.watch.round(firstOpen, outcome, false);
      if (sum.failures > settings.failureLimit) {
        const reason = `resume --forward: ${sum.failures} changed target(s) unhealthy on the re-check (first: ${sum.firstFailure})`;
        engine.emit({ type: 'stage.failed', stage: firstOpen.index, name: firstOpen.name, reason });
        outcome.status = 'failed';
        outcome.reason = reason;
        await engine.rollbackTargets(engine.changedNewestFirst(), reason);
        for (const [tid, st] of engine.states) if (st.status === 'pending') engine.states.set(tid, { status: 'skipped', reason: 'not attempted: the resume rolled back' });
        return await engine.finish(engine.result(engine.needsPerson() ? 'failed' : 'rolled-back', reason, true));
      }
    } else if (!flow.watch) engine.emit({ type: 'warning', message: 'resume --forward without a health hook: changed targets were not re-checked' });
    return await forward(flow, true, promoted);
  } catch (err) {
    if (err instanceof Stop) throw new ConfgateError('E_JOURNAL', err.message, { cause: err });
    throw err;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}
