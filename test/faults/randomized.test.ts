// Randomized fault injection (issue 9, "done when"): many seeded runs, each mixing an abort at a random time, apply
// hooks that ignore their signal, applies that outlive their timeout and land late, a canary that dies during an
// approval wait, a maintenance window that opens between stages, a freeze that starts mid-bake, and a promote that
// fails before it succeeds. The test keeps its OWN model of the fleet (what each hook call did to each target, when
// it landed) and never trusts the journal: the invariant is that every target's final reported state matches what
// the hooks last did to it. FAULT_RUNS=n runs more (the README's reliability figures come from this file).
import { describe, expect, it } from 'vitest';
import { MemoryJournal, planRollout, runRollout } from '../../src/index.js';
import type { RolloutResult, RunOptions, Target, TargetState, WindowSpec } from '../../src/index.js';
import { mulberry32 as rng } from '../helpers/prng.js';

const RUNS = Number(process.env['FAULT_RUNS'] ?? 240);
const PARALLEL = 8;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Outcome {
  seed: number;
  faults: string[];
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

  // ---- the fleet, as the hooks leave it (the only truth this test trusts)
  const fleet = new Map<string, 'lkg' | 'proposed'>(targets.map((t) => [t.id, 'lkg']));
  const lastGen = new Map<string, number>();
  const genViolations: string[] = [];
  let inFlight = 0;
  const seeGen = (id: string, g: number, what: string) => {
    if (g <= (lastGen.get(id) ?? 0)) genViolations.push(`${id}: ${what} generation ${g} not above ${lastGen.get(id)}`);
    lastGen.set(id, g);
  };
  const applyDelay = () => (slowApplies && pick(0.4) ? 50 + Math.floor(r() * 70) : Math.floor(r() * 15));
  const throwAfter = applyThrowsAfterLanding ? targets[Math.floor(r() * n)]!.id : undefined;
  const sick = unhealthyLater ? targets[Math.floor(r() * n)]!.id : undefined;
  let canaryDead = false;
  let clock = T0;

  const stages = [
    { name: 'canary', count: 1, bake: Math.floor(r() * 25) },
    { name: 'early', percent: 50, bake: Math.floor(r() * 25), ...(approval ? { approval: true } : {}) },
    { name: 'all', percent: 100 },
  ];
  const plan = planRollout({ targets, stages });
  const canaryId = plan.waves[0]!.targets[0]!.id;
  const windows: WindowSpec[] = [];
  if (maintenance) {
    windows.push({ name: 'region c maintenance', kind: 'maintenance', targets: { region: 'c' }, start: '2026-03-02T11:00:00Z', end: '2026-03-02T15:00:00Z' });
  }
  if (freeze) windows.push({ name: 'freeze', kind: 'freeze', start: '2026-03-02T14:00:00Z', end: '2026-03-02T14:30:00Z' });

  const ac = new AbortController();
  if (abortAt !== undefined) setTimeout(() => ac.abort(new Error('random abort')), abortAt);
  const journal = new MemoryJournal();
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
      seeGen(t.id, ctx.generation ?? 0, 'apply');
      inFlight++;
      try {
        await sleep(applyDelay());
        if (!ignoreSignal && ctx.signal.aborted) throw new Error('stopped before landing');
        fleet.set(t.id, 'proposed'); // landed
        if (t.id === throwAfter) throw new Error('landed, then the client timed out');
      } finally {
        inFlight--;
      }
    },
    rollback: async (t, ctx) => {
      seeGen(t.id, ctx.generation ?? 0, 'rollback');
      await sleep(Math.floor(r() * 8));
      fleet.set(t.id, 'lkg');
    },
    health: (t) => {
      if (t.id === canaryId && canaryDead) return { healthy: false, message: 'canary died' };
      if (t.id === sick && fleet.get(t.id) === 'proposed' && pick(0.3)) return false;
      return true;
    },
    approval: async () => {
      await sleep(30);
      if (canaryDiesInApproval) canaryDead = true;
      await sleep(60);
      return true;
    },
    promote: () => {
      promoteCalls++;
      if (promoteFlaky && promoteCalls < 3) throw new Error('registry 503');
    },
    onEvent: (e) => {
      if (maintenance && !freeze && e.type === 'stage.passed' && e.stage === 0) clock = Date.parse('2026-03-02T12:00:00Z');
      if (freeze && e.type === 'stage.baked' && e.stage === 0) {
        clock = Date.parse('2026-03-02T14:10:00Z');
        setTimeout(() => (clock = Date.parse('2026-03-02T14:40:00Z')), 20 + Math.floor(r() * 40));
      }
    },
  };
  if (!approval) delete options.approval;
  const result = await runRollout(options);
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
  return { seed, faults, result, violations, needsPerson };
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
    const faultCounts: Record<string, number> = {};
    for (const o of outcomes) for (const f of o.faults) faultCounts[f.replace(/@\d+ms/, '')] = (faultCounts[f.replace(/@\d+ms/, '')] ?? 0) + 1;
    console.log(
      `fault injection: ${outcomes.length} runs, ${bad.length} with violations; statuses ${JSON.stringify(statuses)}; ` +
        `targets reported as needing a person: ${outcomes.reduce((s, o) => s + o.needsPerson, 0)}; faults ${JSON.stringify(faultCounts)}`,
    );
    for (const o of bad.slice(0, 5)) console.log(`seed ${o.seed} [${o.faults.join(', ')}] ${o.result.status}: ${o.violations.join('; ')}`);
    expect(bad.map((o) => ({ seed: o.seed, faults: o.faults, violations: o.violations }))).toEqual([]);
    // every late apply settled well within settleTimeout, so each was rolled back again: none needs a person
    expect(outcomes.reduce((s, o) => s + o.needsPerson, 0)).toBe(0);
    // every fault was exercised
    for (const f of ['abort', 'apply ignores signal', 'applies outlive timeout', 'canary dies during approval', 'maintenance opens between stages', 'freeze starts mid-bake', 'promote fails then succeeds']) {
      expect(faultCounts[f] ?? 0, f).toBeGreaterThan(0);
    }
  });
});

