// The README's main job (`npm start`): gate a real-looking push, then simulate a staged rollout.
//
// 1. Gate fixtures/example/next.json: the bot-feature file doubled by duplicate rows -> BLOCK.
// 2. Gate fixtures/example/next-good.json: one weight tweaked, version bumped -> allowed.
//    2b. Gate a config set (fixtures/example-set: base + per-region files): a cross-file rule blocks it.
// 3. Roll the good push out over a simulated fleet in stages; one region's canary turns unhealthy
//    during the bake, and the engine rolls back every changed target automatically.
// 4. The same push on a healthy fleet whose canary metrics are not in yet: the engine HOLDS (neither advances nor
//    rolls back) until an operator decides (`confgate control continue`), then finishes the rollout; then (4b) an
//    approval that says no holds too, and the operator's `continue` asks it again.
//
// Uses only the public API of the built package, as a deployment script would.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGate, formatPlan, formatReport, formatRolloutReport, loadConfig, loadPolicy, MemoryJournal, normalizeTargets, reportSources, runRollout } from '../dist/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const example = path.join(here, '..', 'fixtures', 'example');
const at = '2025-11-18T11:20:00Z';
const color = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
const rel = (f) => path.relative(process.cwd(), path.join(example, f));

const policy = loadPolicy(rel('confgate.yaml'));
const gate = createGate(policy);
const targets = normalizeTargets(loadConfig({ path: rel('targets.yaml') }).value, rel('targets.yaml'));
const live = loadConfig({ path: rel('live.json') });

// The HTML reports of the demo (gate and rollout) go here; their paths are printed at the end.
const reportDir = path.join(process.cwd(), '.confgate', 'reports');
const reports = [];
const writeHtml = (name, html) => {
  mkdirSync(reportDir, { recursive: true });
  const file = path.join(reportDir, name);
  writeFileSync(file, html);
  reports.push(file);
};
const heading = (s) => console.log(`\n${'='.repeat(78)}\n${s}\n${'='.repeat(78)}`);

// 0. The policy's own unit tests (`confgate test`): fixtures/example/confgate-tests/, one folder per case.
heading(`0. confgate test ${rel('confgate-tests')} --policy ${rel('confgate.yaml')}`);
const policyTests = spawnSync(process.execPath, [path.join(here, '..', 'dist', 'cli', 'bin.cjs'), 'test', rel('confgate-tests'), '--policy', rel('confgate.yaml')], { stdio: 'inherit' });
if (policyTests.status !== 0) {
  console.error(`unexpected: the example's policy tests failed (exit ${policyTests.status})`);
  process.exit(1);
}

heading(`1. confgate check --proposed ${rel('next.json')} --current ${rel('live.json')} --at ${at}`);
const badDoc = loadConfig({ path: rel('next.json') });
const bad = gate.evaluate({ proposed: badDoc, current: live, targets, at });
process.stdout.write(formatReport(bad, 'text', { color }));
// the same report as one self-contained HTML page, with the (masked) source lines around each finding
writeHtml('gate-report.html', formatReport(bad, 'html', { sources: reportSources(bad, [badDoc, live], { policy }), scoring: policy.scoring }));
console.log(`=> exit code ${bad.verdict === 'block' ? 1 : 0}: the doubled feature file never leaves CI.`);

heading(`2. confgate check --proposed ${rel('next-good.json')} --current ${rel('live.json')} --at ${at}`);
const goodDoc = loadConfig({ path: rel('next-good.json') });
const good = gate.evaluate({ proposed: goodDoc, current: live, targets, at });
process.stdout.write(formatReport(good, 'text', { color }));
if (good.verdict === 'block' || !good.plan) {
  console.error('unexpected: the safe push was blocked or has no plan');
  process.exit(1);
}

// 2b. A config set (README "Config sets"): a base file plus one file per region, judged as one push. The base file
// renames a pool that a region still routes to: a cross-file CEL rule blocks it, located in the region's file.
const setDir = path.join(here, '..', 'fixtures', 'example-set');
const setRel = (f) => path.relative(process.cwd(), path.join(setDir, f));
heading(`2b. confgate check --policy ${setRel('confgate.yaml')} --proposed ${setRel('proposed')} --current ${setRel('current')} --at ${at}`);
const setGate = createGate(loadPolicy(setRel('confgate.yaml')));
const setReport = setGate.evaluate({ proposed: setRel('proposed'), current: setRel('current'), at });
process.stdout.write(formatReport(setReport, 'text', { color }));
if (setReport.verdict !== 'block') {
  console.error('unexpected: the config set with a route to a removed pool was not blocked');
  process.exit(1);
}

heading('3. Staged rollout of the safe push (simulated fleet)');
process.stdout.write(formatPlan(good.plan, 'text', { color }));

// The simulated fleet: what each target runs, and a health model in which one region's canary (the
// first target of the second wave) starts failing a little after the config lands (a delayed crash, as
// in the Azure Front Door incident: health passes at first, then fails inside the bake). The first
// wave passes; the failure in the second wave rolls back both waves, newest first.
const fleet = new Map(targets.map((t) => [t.id, 'lkg']));
const appliedAt = new Map();
const badRegion = (good.plan.waves[1] ?? good.plan.waves[0])?.targets[0]?.labels.region;
console.log(`\nSimulation: targets in region ${badRegion} turn unhealthy ~250 ms after applying (bakes compressed to <= 600 ms).`);
const sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(timer); reject(signal.reason); }, { once: true });
  });

// Bakes in the example policy are minutes long; the simulation compresses them to keep `npm start` short.
const plan = { ...good.plan, waves: good.plan.waves.map((w) => ({ ...w, bakeMs: Math.min(w.bakeMs, 600) })) };

// The rollout report is made from the journal's records and the events with their time (what `--report` does).
const rolloutJournal = new MemoryJournal();
const timed = [];
const result = await runRollout({
  plan,
  proposed: goodDoc.value,
  lkg: live.value,
  changes: good.changes.changes,
  concurrency: 8,
  healthOptions: { interval: 100, timeout: 200, failureLimit: 0, successes: 1 },
  journal: rolloutJournal,
  apply: async (target, ctx) => {
    await sleep(5, ctx.signal);
    fleet.set(target.id, 'proposed');
    appliedAt.set(target.id, Date.now());
  },
  health: (target) => {
    const since = Date.now() - (appliedAt.get(target.id) ?? Date.now());
    if (target.labels.region === badRegion && fleet.get(target.id) === 'proposed' && since > 250) {
      return { healthy: false, message: 'proxy crash-looping on config load (simulated)' };
    }
    return { healthy: true, metrics: { latencyMs: 20 + (target.id.length % 5) } };
  },
  rollback: async (target, ctx) => {
    await sleep(5, ctx.signal);
    fleet.set(target.id, 'lkg');
  },
  onEvent: (e) => {
    timed.push({ ts: new Date().toISOString(), ...e });
    if (e.type === 'target.applying' || (e.type === 'health.result' && e.healthy)) return;
    const bits = Object.entries(e)
      .filter(([k]) => k !== 'type' && k !== 'metrics')
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
    console.log(`  [event] ${e.type} ${bits.join(' ')}`);
  },
});

const counts = {};
for (const s of Object.values(result.targets)) counts[s.status] = (counts[s.status] ?? 0) + 1;
console.log(`\nRollout ${result.status.toUpperCase()}${result.reason ? `: ${result.reason}` : ''}`);
console.log(`  target states: ${JSON.stringify(counts)}`);
const stillChanged = [...fleet.entries()].filter(([, v]) => v !== 'lkg').map(([k]) => k);
console.log(`  targets still on the new config: ${stillChanged.length === 0 ? 'none (every changed target is back on the LKG)' : stillChanged.join(', ')}`);
writeHtml('rollout-report.html', formatRolloutReport({ records: await rolloutJournal.read(), result, events: timed, gate: good }));

heading('4. A hold and an operator decision');
// The same push again, on a healthy fleet, but the canary's metrics provider has no data yet: its health answers
// are inconclusive ("could not decide"). The engine neither advances nor rolls back: it HOLDS, keeps checking health,
// and waits for an operator. From another terminal that is `confgate control --journal FILE continue --reason ...`;
// here the same command is posted on the journal's command channel after a moment.
const journal = new MemoryJournal();
const noDataUntil = new Map();
let posted = false;
const held = await runRollout({
  plan,
  proposed: goodDoc.value,
  lkg: live.value,
  changes: good.changes.changes,
  concurrency: 8,
  healthOptions: { interval: 100, timeout: 200, failureLimit: 0, successes: 1 },
  journal,
  apply: async (target) => {
    fleet.set(target.id, 'proposed');
    if (!noDataUntil.size) noDataUntil.set(target.id, Number.POSITIVE_INFINITY); // the canary: no data until a person looks
  },
  health: (target) => (noDataUntil.has(target.id) && !posted ? { healthy: false, inconclusive: true, message: 'no latency samples yet (metrics provider lagging)' } : true),
  rollback: async (target) => void fleet.set(target.id, 'lkg'),
  onEvent: (e) => {
    if (e.type === 'rollout.held') {
      console.log(`  [event] rollout.held stage=${e.stage} kind=${e.kind} reason=${e.reason}`);
      setTimeout(() => {
        posted = true;
        console.log('  (operator) confgate control continue --reason "canary dashboards look normal"');
        void journal.postCommand({ command: 'continue', id: 'demo-1', user: 'oncall', host: 'ops-laptop', ts: new Date().toISOString(), reason: 'canary dashboards look normal' });
      }, 300);
      return;
    }
    if (['command', 'rollout.released', 'stage.passed', 'rollout.finished'].includes(e.type)) {
      const bits = Object.entries(e).filter(([k]) => k !== 'type').map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
      console.log(`  [event] ${e.type} ${bits.join(' ')}`);
    }
  },
});
console.log(`\nRollout ${held.status.toUpperCase()}${held.reason ? `: ${held.reason}` : ''}`);
if (held.remaining?.length) console.log(`  still on the LKG: ${held.remaining.map((r) => r.targetId).join(', ')} (first reason: ${held.remaining[0].reason})`);

// 4b. A "no" from the change board is not a rollback either: the approval hook denies the second stage, the engine
// HOLDS (the canary keeps the config and keeps being health-checked), an operator posts `continue` once the change is
// approved, and the engine asks the approval hook again. (`rollout.onApprovalDenied: rollback` restores the old
// behaviour: roll back at once.)
heading('4b. An approval that says no, then an operator decision');
const approvalJournal = new MemoryJournal();
let boardApproved = false;
const asked = [];
const approvalPlan = { ...plan, waves: plan.waves.map((w, i) => (i === 1 ? { ...w, approval: true } : w)) };
const denied = await runRollout({
  plan: approvalPlan,
  proposed: goodDoc.value,
  lkg: live.value,
  changes: good.changes.changes,
  concurrency: 8,
  healthOptions: { interval: 100, timeout: 200, failureLimit: 0, successes: 1 },
  journal: approvalJournal,
  apply: async (target) => void fleet.set(target.id, 'proposed'),
  health: () => true,
  rollback: async (target) => void fleet.set(target.id, 'lkg'),
  approval: (stage) => {
    asked.push(stage.name);
    console.log(`  (change board) asked to approve stage "${stage.name}": ${boardApproved ? 'yes' : 'no, CAB-1234 is not approved yet'}`);
    return boardApproved;
  },
  onEvent: (e) => {
    if (e.type === 'rollout.held') {
      console.log(`  [event] rollout.held stage=${e.stage} kind=${e.kind} reason=${e.reason}`);
      setTimeout(() => {
        boardApproved = true;
        console.log('  (operator) confgate control continue --reason "CAB-1234 approved"');
        void approvalJournal.postCommand({ command: 'continue', id: 'demo-2', user: 'oncall', host: 'ops-laptop', ts: new Date().toISOString(), reason: 'CAB-1234 approved' });
      }, 300);
      return;
    }
    if (['approval', 'command', 'rollout.released', 'rollback.started', 'rollout.finished'].includes(e.type)) {
      const bits = Object.entries(e).filter(([k]) => k !== 'type').map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
      console.log(`  [event] ${e.type} ${bits.join(' ')}`);
    }
  },
});
console.log(`\nRollout ${denied.status.toUpperCase()}: the approval hook was asked ${asked.length} times; nothing was rolled back.`);
if (denied.status !== 'completed' && denied.status !== 'incomplete') {
  console.error('unexpected: the denied-then-approved rollout did not finish forward');
  process.exitCode = 1;
}

// 5. Analysis: a metric declared in the policy rolls back a push whose error ratio rises (examples/analysis.mjs).
const { analysisDemo } = await import('./analysis.mjs');
const analysisResult = await analysisDemo(heading);
if (analysisResult.status !== 'rolled-back') {
  console.error('unexpected: the metric did not roll the bad push back');
  process.exitCode = 1;
}

heading('HTML reports (open them in a browser; self-contained, no network)');
for (const file of reports) console.log(`  ${path.relative(process.cwd(), file)}`);
