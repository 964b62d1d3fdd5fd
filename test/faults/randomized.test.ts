// Randomized fault injection (issue 9, "done when"): many seeded runs, each mixing an abort at a random time, apply
// hooks that ignore their signal, applies that outlive their timeout and land late, a canary that dies during an
// approval wait, a maintenance window that opens between stages, a freeze that starts mid-bake, and a promote that
// fails before it succeeds, plus an operator: approvals denied (or timing out) then decided by an operator's
// continue (asks again) or abort, a canary whose region is under maintenance when the rollout starts (the rollout
// holds until the window ends or an operator decides), and a pause posted while a stage applies (then continue or
// abort). The test keeps its OWN model of the fleet (what each hook call did to each target, when it landed) and never
// trusts the journal: the invariants are that every target's final reported state matches what the hooks last did
// to it, that no stage after the canary starts before a canary landed, baked and was seen healthy, that no apply
// starts while a pause is in force, that a stage needing approval starts only after the hook said yes, and that
// nothing is rolled back without a cause (an abort, a failed health check or apply): a denial is never a rollback.
// FAULT_RUNS=n runs more (the README's reliability figures come from this file).
import { describe, expect, it } from 'vitest';
import { MemoryJournal, planRollout, runRollout } from '../../src/index.js';
import type { OperatorCommand, RolloutResult, RunOptions, Target, TargetState, WindowSpec } from '../../src/index.js';
import { mulberry32 as rng } from '../helpers/prng.js';

const RUNS = Number(process.env['FAULT_RUNS'] ?? 240);
const PARALLEL = 8;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Outcome {
  seed: number;
  faults: string[];
  /** What the engine met in this run (holds by kind, a pause read while applies were in flight, operator decisions). */
  seen: string[];
  result: RolloutResult;
  violations: string[];
  needsPerson: number;
}

const T0 = Date.parse('2026-03-02T10:00:00Z');

async function oneRun(seed: number): Promise<Outcome> {
  const r = rng(seed);
  const pick = (p: number) => r() < p;
  const n = 5 + Math.floor(r() * 6);
  const targets: Target[] = Array.from({ length: n }, (_, i) => ({ id: `s${seed}-t${i}`, labels: { region: ['a', 'b', 'c'][i % 3]! } }));
  const faults: string[] = [];
  const abortAt = pick(0.35) ? Math.floor(r() * 160) : undefined;
  if (abortAt !== undefined) faults.push(`abort@${abortAt}ms`);
  const ignoreSignal = pick(0.6);
  if (ignoreSignal) faults.push('apply ignores signal');
  const slowApplies = pick(0.35);
  if (slowApplies) faults.push('applies outlive timeout');
  const approval = pick(0.3);
  const canaryDiesInApproval = approval && pick(0.6);
  if (approval) faults.push(canaryDiesInApproval ? 'canary dies during approval' : 'approval wait');
  const maintenance = pick(0.3);
  if (maintenance) faults.push('maintenance opens between stages');
  const freeze = pick(0.25);
  if (freeze) faults.push('freeze starts mid-bake');
  const promoteFlaky = pick(0.4);
  if (promoteFlaky) faults.push('promote fails then succeeds');
  const applyThrowsAfterLanding = pick(0.2);
  if (applyThrowsAfterLanding) faults.push('an apply lands then throws');
  const unhealthyLater = pick(0.2);
  if (unhealthyLater) faults.push('a target turns unhealthy');
  // operator-driven faults
  const denial = approval && pick(0.6) ? (pick(0.5) ? 'deny' : 'timeout') : undefined;
  if (denial) faults.push(denial === 'deny' ? 'approval denied, then an operator decides' : 'approval times out, then an operator decides');
  const canaryMaintenance = pick(0.2);
  if (canaryMaintenance) faults.push('canary under maintenance at start');
  const pauseMidApply = pick(0.25);
  const pauseStage = 1 + Math.floor(r() * 2); // the stage whose applies the pause meets
  if (pauseMidApply) faults.push('pause while a stage applies');

  // ---- the fleet, as the hooks leave it (the only truth this test trusts)
  const fleet = new Map<string, 'lkg' | 'proposed'>(targets.map((t) => [t.id, 'lkg']));
  const lastGen = new Map<string, number>();
  const genViolations: string[] = [];
  let inFlight = 0;
  const seeGen = (id: string, g: number, what: string) => {
    if (g <= (lastGen.get(id) ?? 0)) genViolations.push(`${id}: ${what} generation ${g} not above ${lastGen.get(id)}`);
    lastGen.set(id, g);
  };
  // with a pause coming, the later stages' applies take a while, so that the pause meets applies in flight
  const applyDelay = (stage: number) =>
    slowApplies && pick(0.4) ? 50 + Math.floor(r() * 70) : pauseMidApply && stage >= 1 ? 8 + Math.floor(r() * 15) : Math.floor(r() * 15);
  const throwAfter = applyThrowsAfterLanding ? targets[Math.floor(r() * n)]!.id : undefined;
  const sick = unhealthyLater ? targets[Math.floor(r() * n)]!.id : undefined;
  let canaryDead = false;
  let clock = T0;
  // an ordering of every hook call and event, to compare them without trusting clocks
  let order = 0;
  const allLandings = new Map<string, Array<{ at: number; seq: number }>>(); // every apply that landed, per target
  const healthyAt = new Map<string, number[]>(); // seqs at which health said yes while the target had the config
  const applyStarts: Array<{ id: string; stage: number; at: number; seq: number }> = [];
  const yesAt: number[] = []; // seqs at which the approval hook answered true
  const causes = new Set<string>(); // reasons a rollback may legitimately happen
  const pauses: Array<{ from: number; to: number }> = [];
  let pauseOpen: number | undefined;
  let rollbacks = 0;
  let approvals = 0;
  const seen = new Set<string>();

  const stages = [
    { name: 'canary', count: 1, bake: Math.floor(r() * 25) },
    { name: 'early', percent: 50, bake: Math.floor(r() * 25), ...(approval ? { approval: true } : {}) },
    { name: 'all', percent: 100 },
  ];
  const plan = planRollout({ targets, stages });
  const canaryId = plan.waves[0]!.targets[0]!.id;
  const windows: WindowSpec[] = [];
  const canaryRegion = plan.waves[0]!.targets[0]!.labels['region']!;
  if (canaryMaintenance) {
    windows.push({ name: 'canary region maintenance', kind: 'maintenance', targets: { region: canaryRegion }, start: '2026-03-02T09:00:00Z', end: '2026-03-02T10:30:00Z' });
    // the window ends by itself a little later (unless an operator decides first)
    setTimeout(() => (clock = Math.max(clock, Date.parse('2026-03-02T10:31:00Z'))), 20 + Math.floor(r() * 80));
  }
  if (maintenance) {
    windows.push({ name: 'region c maintenance', kind: 'maintenance', targets: { region: 'c' }, start: '2026-03-02T11:00:00Z', end: '2026-03-02T15:00:00Z' });
  }
  if (freeze) windows.push({ name: 'freeze', kind: 'freeze', start: '2026-03-02T14:00:00Z', end: '2026-03-02T14:30:00Z' });

  const ac = new AbortController();
  if (abortAt !== undefined) {
    setTimeout(() => {
      causes.add('signal abort');
      ac.abort(new Error('random abort'));
    }, abortAt);
  }
  const journal = new MemoryJournal();
  let finished = false;
  const post = (command: OperatorCommand['command']): void => {
    if (finished) return;
    if (command === 'abort') causes.add('operator abort');
    void journal.postCommand({ command, id: `${seed}-${order}`, user: 'op', host: 'h', ts: new Date().toISOString() });
  };
  let promoteCalls = 0;
  const options: RunOptions = {
    plan,
    proposed: { v: 2 },
    lkg: { v: 1 },
    journal,
    signal: ac.signal,
    concurrency: 1 + Math.floor(r() * 4),
    applyTimeout: 40,
    settleTimeout: 2_000,
    rollbackTimeout: 2_000,
    approvalTimeout: 1_000,
    holdTimeout: 3_000,
    promoteBackoff: 2,
    healthOptions: { interval: 5, timeout: 200, failureLimit: 0 },
    windows,
    now: () => new Date(clock),
    apply: async (t, ctx) => {
      seeGen(t.id, ctx.generation, 'apply');
      applyStarts.push({ id: t.id, stage: ctx.stage.index, at: Date.now(), seq: ++order });
      inFlight++;
      try {
        const delay = applyDelay(ctx.stage.index);
        if (delay >= 40) causes.add('an apply outlived its timeout');
        await sleep(delay);
        // on a loaded machine even a short apply can outlive its timeout: what the hook saw is the cause, not the plan
        if (ctx.signal.aborted) causes.add('an apply was timed out or aborted');
        if (!ignoreSignal && ctx.signal.aborted) throw new Error('stopped before landing');
        fleet.set(t.id, 'proposed'); // landed
        allLandings.set(t.id, [...(allLandings.get(t.id) ?? []), { at: Date.now(), seq: ++order }]);
        if (t.id === throwAfter) {
          causes.add('an apply threw');
          throw new Error('landed, then the client timed out');
        }
      } finally {
        inFlight--;
      }
    },
    rollback: async (t, ctx) => {
      seeGen(t.id, ctx.generation, 'rollback');
      rollbacks++;
      await sleep(Math.floor(r() * 8));
      fleet.set(t.id, 'lkg');
    },
    health: (t) => {
      let ok = true;
      if (t.id === canaryId && canaryDead) ok = false;
      else if (t.id === sick && fleet.get(t.id) === 'proposed' && pick(0.3)) ok = false;
      if (!ok) {
        causes.add('a health check failed');
        return { healthy: false, message: 'unhealthy' };
      }
      if (fleet.get(t.id) === 'proposed') healthyAt.set(t.id, [...(healthyAt.get(t.id) ?? []), ++order]);
      return true;
    },
    approval: async () => {
      const first = approvals++ === 0;
      await sleep(30);
      if (canaryDiesInApproval) canaryDead = true;
      if (first && denial === 'timeout') return new Promise<boolean>(() => undefined); // never answers: approvalTimeout denies
      await sleep(first && denial ? 5 : 60);
      if (first && denial === 'deny') return false;
      yesAt.push(++order);
      return true;
    },
    promote: () => {
      promoteCalls++;
      if (promoteFlaky && promoteCalls < 3) throw new Error('registry 503');
    },
    onEvent: (e) => {
      if (e.type === 'rollout.finished') finished = true;
      if (e.type === 'rollout.held') seen.add(`${e.kind} hold`);
      if (e.type === 'command' && e.action === 'applied') seen.add(`operator ${e.command}${e.command === 'pause' && inFlight > 0 ? ' with applies in flight' : ''}`);
      if (e.type === 'command' && e.command === 'pause' && e.action === 'applied') pauseOpen = ++order;
      if ((e.type === 'rollout.released' || e.type === 'rollout.finished' || (e.type === 'command' && e.command === 'continue' && e.action === 'applied')) && pauseOpen !== undefined) {
        pauses.push({ from: pauseOpen, to: ++order });
        pauseOpen = undefined;
      }
      if (pauseMidApply && e.type === 'stage.started' && e.stage === pauseStage) setTimeout(() => post('pause'), Math.floor(r() * 12));
      // the operator answers every hold that waits for a person (freezes end by the clock)
      if (e.type === 'rollout.held' && e.kind !== 'freeze') {
        const abort = pick(0.25);
        setTimeout(() => post(abort ? 'abort' : 'continue'), 10 + Math.floor(r() * 50));
      }
      if (maintenance && !freeze && e.type === 'stage.passed' && e.stage === 0) clock = Date.parse('2026-03-02T12:00:00Z');
      if (freeze && e.type === 'stage.baked' && e.stage === 0) {
        clock = Date.parse('2026-03-02T14:10:00Z');
        setTimeout(() => (clock = Date.parse('2026-03-02T14:40:00Z')), 20 + Math.floor(r() * 40));
      }
    },
  };
  if (!approval) delete options.approval;
  if (denial === 'timeout') options.approvalTimeout = 50;
  const result = await runRollout(options);
  finished = true;
  // let anything the engine might have left running land before judging (nothing should)
  await sleep(150);
  const violations: string[] = [...genViolations];
  if (inFlight !== 0) violations.push(`${inFlight} apply calls still running after the result`);
  let needsPerson = 0;
  for (const t of targets) {
    const st: TargetState | undefined = result.targets[t.id];
    const actual = fleet.get(t.id)!;
    if (!st) {
      violations.push(`${t.id}: no state`);
      continue;
    }
    switch (st.status) {
      case 'healthy':
      case 'applied':
        if (actual !== 'proposed') violations.push(`${t.id}: reported ${st.status} but the fleet has the LKG`);
        break;
      case 'rolled-back':
      case 'skipped':
      case 'pending':
        if (actual !== 'lkg') violations.push(`${t.id}: reported ${st.status} but the fleet has the proposed config`);
        break;
      case 'apply-timed-out':
      case 'rollback-failed':
        needsPerson++; // reported as needing a person: honest whatever the fleet has
        break;
      default:
        violations.push(`${t.id}: final state ${st.status} is not a final state`);
    }
  }
  if (result.status === 'completed' && targets.some((t) => fleet.get(t.id) !== 'proposed')) violations.push('completed, but a target is on the LKG');
  if ((result.status === 'rolled-back' || result.status === 'aborted') && targets.some((t) => fleet.get(t.id) !== 'lkg')) {
    violations.push(`${result.status}, but a target is on the proposed config`);
  }
  if (!['completed', 'incomplete', 'rolled-back', 'aborted', 'failed'].includes(result.status)) violations.push(`unexpected status ${result.status}`);
  // no stage after the canary starts before a target of the stage before it landed, baked and was seen healthy
  for (let k = 1; k < plan.waves.length; k++) {
    const first = applyStarts.find((a) => a.stage === k);
    if (!first) continue;
    const bake = plan.waves[k - 1]!.bakeMs;
    const earlier = applyStarts.filter((a) => a.stage === k - 1 && a.seq < first.seq).map((a) => a.id);
    const baked = earlier.some((id) => {
      const landed = allLandings.get(id)?.find((l) => l.seq < first.seq);
      return landed !== undefined && first.at - landed.at >= bake && (healthyAt.get(id) ?? []).some((h) => h > landed.seq && h < first.seq);
    });
    if (!baked) violations.push(`stage ${k} started (${first.id}) before any target of stage ${k - 1} had landed, baked ${bake}ms and been seen healthy`);
  }
  // no apply starts while a pause is in force
  if (pauseOpen !== undefined) pauses.push({ from: pauseOpen, to: Number.POSITIVE_INFINITY });
  for (const p of pauses) {
    const during = applyStarts.filter((a) => a.seq > p.from && a.seq < p.to);
    if (during.length > 0) violations.push(`${during.length} apply call(s) started while a pause was in force (first ${during[0]!.id})`);
  }
  // a stage that needs approval starts only after the approval hook said yes
  const approvalStage = plan.waves.findIndex((w) => w.approval);
  const firstApproved = applyStarts.find((a) => a.stage === approvalStage);
  if (approvalStage >= 0 && firstApproved && !yesAt.some((y) => y < firstApproved.seq)) violations.push(`stage ${approvalStage} started without an approval`);
  // nothing is rolled back without a cause: a denied approval (or a hold) is never a rollback
  if (rollbacks > 0 && causes.size === 0) violations.push(`${rollbacks} rollback call(s) without an abort, a failed health check or a failed apply`);
  return { seed, faults, seen: [...seen], result, violations, needsPerson };
}

describe('randomized fault injection', () => {
  it(`final per-target states match what the hooks last did, over ${RUNS} seeded runs`, async () => {
    const outcomes: Outcome[] = [];
    for (let i = 0; i < RUNS; i += PARALLEL) {
      const batch = await Promise.all(Array.from({ length: Math.min(PARALLEL, RUNS - i) }, (_, k) => oneRun(1000 + i + k)));
      outcomes.push(...batch);
    }
    const bad = outcomes.filter((o) => o.violations.length > 0);
    const statuses: Record<string, number> = {};
    for (const o of outcomes) statuses[o.result.status] = (statuses[o.result.status] ?? 0) + 1;
    const seenCounts: Record<string, number> = {};
    for (const o of outcomes) for (const k of o.seen) seenCounts[k] = (seenCounts[k] ?? 0) + 1;
    const faultCounts: Record<string, number> = {};
    for (const o of outcomes) for (const f of o.faults) faultCounts[f.replace(/@\d+ms/, '')] = (faultCounts[f.replace(/@\d+ms/, '')] ?? 0) + 1;
    console.log(
      `fault injection: ${outcomes.length} runs, ${bad.length} with violations; statuses ${JSON.stringify(statuses)}; ` +
        `targets reported as needing a person: ${outcomes.reduce((s, o) => s + o.needsPerson, 0)}; faults ${JSON.stringify(faultCounts)}; seen ${JSON.stringify(seenCounts)}`,
    );
    for (const o of bad.slice(0, 5)) console.log(`seed ${o.seed} [${o.faults.join(', ')}] ${o.result.status}: ${o.violations.join('; ')}`);
    expect(bad.map((o) => ({ seed: o.seed, faults: o.faults, violations: o.violations }))).toEqual([]);
    // every late apply settled well within settleTimeout, so each was rolled back again: none needs a person
    expect(outcomes.reduce((s, o) => s + o.needsPerson, 0)).toBe(0);
    // every fault was exercised
    for (const f of [
      'abort', 'apply ignores signal', 'applies outlive timeout', 'canary dies during approval', 'maintenance opens between stages', 'freeze starts mid-bake',
      'promote fails then succeeds', 'approval denied, then an operator decides', 'approval times out, then an operator decides', 'canary under maintenance at start',
      'pause while a stage applies',
    ]) {
      expect(faultCounts[f] ?? 0, f).toBeGreaterThan(0);
    }
    // and the engine really met them: holds of each kind, and a pause read while applies were in flight
    for (const k of ['approval hold', 'maintenance hold', 'operator hold', 'freeze hold', 'operator pause with applies in flight', 'operator continue', 'operator abort']) {
      expect(seenCounts[k] ?? 0, k).toBeGreaterThan(0);
    }
  });
});

