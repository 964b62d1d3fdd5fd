/**
 * The rollout report's model, rebuilt from what a rollout leaves behind: its journal records (the durable truth:
 * stage, approval, hold, release, command, rollback and finish records carry their time), its result, and its progress
 * events with their time (the `--events` stream, or collected from `onEvent`): events add what the journal does not
 * keep (when a stage's applies ended and its bake began, health metrics, analysis measurements, the judge's verdicts).
 * Any of the three may be missing; the model says what it could not know instead of inventing it.
 */
import type { AuditInfo } from '../../store/holder.js';
import type {
  JournalRecord,
  RolloutEvent,
  RolloutResult,
  SerializedError,
  SerializedResult,
  StageOutcome,
  TargetState,
} from '../../rollout/types.js';
import type { GateReport, PlannedWave, RolloutPlan } from '../../types.js';
import { serializeResult } from '../../rollout/errors.js';

/** A progress event with the time it happened (ISO-8601), as `--events` writes it. Unknown event types are kept. */
export type TimedRolloutEvent = (RolloutEvent & { ts: string }) | ({ type: string; ts: string } & Record<string, unknown>);

/** What a rollout report is made from. Give `records` (a journal's `read()`), or a `result` with its `plan`; `events` add detail. */
export interface RolloutReportInput {
  /** Journal records (`await journal.read()`); the last rollout in them is shown. */
  records?: readonly JournalRecord[] | undefined;
  /** The result of `runRollout`/`resumeRollout`, or its serialised form (`--format json`). */
  result?: RolloutResult | SerializedResult | undefined;
  /** The plan, when there are no records (records carry it). */
  plan?: RolloutPlan | undefined;
  /** Progress events with their time, in order (`--events` lines, or `onEvent` with a timestamp). */
  events?: readonly TimedRolloutEvent[] | undefined;
  /** Who started it and why (a journal's `audit` record wins when present). */
  audit?: AuditInfo | undefined;
  /** The gate report of the push: its verdict and score are shown with the audit fields. */
  gate?: GateReport | undefined;
  /** Lines shown under the status (e.g. `confgate status`'s lock holder). */
  notes?: readonly string[] | undefined;
}

export interface StageTimes {
  start?: number;
  /** The last apply of the stage settled (from events): the bake started. */
  applyEnd?: number;
  end?: number;
  outcome?: 'passed' | 'failed';
  reason?: string;
  /** An approval was asked from `waitFrom` and answered at `answeredAt`. */
  waitFrom?: number;
  answeredAt?: number;
  approved?: boolean;
  approvalError?: string;
}

export interface Hold {
  stage: number;
  kind: string;
  reason: string;
  from: number;
  to?: number;
  by?: string;
}

export interface CommandRow {
  ts: number;
  seq?: number;
  command: string;
  user: string;
  host: string;
  reason?: string;
  action: string;
  note?: string;
}

export interface MeasurementRow {
  metric: string;
  /** Wave index when known. */
  stage?: number;
  stageName?: string;
  targetId?: string;
  ts?: number;
  value?: number | number[];
  phase: string;
  condition?: string;
  message?: string;
  dryRun?: boolean;
  baseline?: boolean;
  /** `measurement`: from the analysis; `health`: a metric a health hook returned. */
  source: 'measurement' | 'health';
}

/** Why analysis stopped or held a target or a stage (`analysis.finding`). */
export interface AnalysisFindingRow {
  metric: string;
  kind: string;
  stage?: number;
  stageName?: string;
  ts?: number;
  targetId?: string;
  domain?: string;
  value?: number | number[];
  baseline?: number;
  condition?: string;
  message: string;
}

export interface JudgementRow {
  stage?: number;
  stageName?: string;
  ts?: number;
  metric?: string;
  outcome: string;
  reason?: string;
  domains: Array<Record<string, unknown>>;
  /** Canary and baseline samples when the event carries them. */
  canary?: number[];
  baseline?: number[];
}

export interface RolloutModel {
  id: string;
  /** `running`, `held`, or the final status. */
  status: string;
  reason?: string;
  resumed: boolean;
  start?: number;
  end?: number;
  finished: boolean;
  waves: PlannedWave[];
  plan?: RolloutPlan;
  stages: Map<number, StageTimes>;
  outcomes: StageOutcome[];
  holds: Hold[];
  rollback?: { from: number; to?: number; reason: string };
  resumes: number[];
  commands: CommandRow[];
  targets: Record<string, TargetState>;
  deferred: Array<{ targetId: string; from: number; to?: number; reason: string; ts?: number }>;
  remaining: Array<{ targetId: string; reason: string }>;
  errors: SerializedError[];
  measurements: MeasurementRow[];
  judgements: JudgementRow[];
  findings: AnalysisFindingRow[];
  audit?: AuditInfo;
  gate?: { verdict: string; score: number };
  notes: string[];
  /** Whether times came from the journal, from events, or neither. */
  timeSource: 'journal' | 'events' | 'none';
  /** Whether apply/bake could be split (events). */
  hasEvents: boolean;
}

const time = (ts: unknown): number | undefined => {
  if (typeof ts !== 'string') return undefined;
  const t = Date.parse(ts);
  return Number.isFinite(t) ? t : undefined;
};
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const int = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) ? v : undefined);

function isSerialized(r: RolloutResult | SerializedResult): r is SerializedResult {
  return !('error' in r) && r.errors.every((e) => e !== null && typeof e === 'object' && 'phase' in (e as object) && !(e instanceof Error));
}

/** Build the model. Throws nothing: missing inputs make an emptier model. */
export function buildRolloutModel(input: RolloutReportInput): RolloutModel {
  const records = input.records ?? [];
  let startIdx = -1;
  for (let i = records.length - 1; i >= 0; i--) {
    if (records[i]!.type === 'rollout.started') {
      startIdx = i;
      break;
    }
  }
  const started = startIdx >= 0 ? (records[startIdx] as Extract<JournalRecord, { type: 'rollout.started' }>) : undefined;
  const rel = started ? records.slice(startIdx + 1) : [];
  const result = input.result ? (isSerialized(input.result) ? input.result : serializeResult(input.result)) : undefined;
  const plan = started?.plan ?? input.plan;
  const m: RolloutModel = {
    id: started?.id ?? result?.id ?? 'unknown',
    status: 'running',
    resumed: Boolean(result?.resumed),
    finished: false,
    waves: plan?.waves ?? [],
    ...(plan ? { plan } : {}),
    stages: new Map(),
    outcomes: result?.stages ?? [],
    holds: [],
    resumes: [],
    commands: [],
    targets: {},
    deferred: [],
    remaining: result?.remaining ?? [],
    errors: result?.errors ?? [],
    measurements: [],
    judgements: [],
    findings: [],
    notes: [...(input.notes ?? [])],
    timeSource: 'none',
    hasEvents: (input.events?.length ?? 0) > 0,
  };
  if (input.audit) m.audit = input.audit;
  if (input.gate) m.gate = { verdict: input.gate.verdict, score: input.gate.score };
  for (const w of m.waves) for (const t of w.targets) m.targets[t.id] = { status: 'pending' };
  const stage = (i: number): StageTimes => {
    let s = m.stages.get(i);
    if (!s) m.stages.set(i, (s = {}));
    return s;
  };
  let lastTs: number | undefined;
  const seen = (t: number | undefined): void => {
    if (t !== undefined) lastTs = lastTs === undefined ? t : Math.max(lastTs, t);
  };
  const waveOfName = (name: string | undefined): number | undefined => (name === undefined ? undefined : m.waves.find((w) => w.name === name)?.index);
  const prevEnd = (i: number): number | undefined => (i === 0 ? m.start : (m.stages.get(i - 1)?.end ?? m.start));

  // 1. The journal: the durable times.
  if (started) {
    m.start = time(started.ts);
    seen(m.start);
    m.timeSource = 'journal';
    for (const r of rel) {
      const ts = time((r as { ts?: unknown }).ts);
      seen(ts);
      switch (r.type) {
        case 'stage': {
          const s = stage(r.stage);
          if (r.status === 'started') s.start ??= ts;
          else {
            s.end = ts;
            s.outcome = r.status;
            if (r.reason !== undefined) s.reason = r.reason;
          }
          break;
        }
        case 'approval': {
          const s = stage(r.stage);
          const from = prevEnd(r.stage);
          if (from !== undefined) s.waitFrom = from;
          if (ts !== undefined) s.answeredAt = ts;
          s.approved = r.approved;
          if (r.error !== undefined) s.approvalError = r.error;
          break;
        }
        case 'hold':
          if (ts !== undefined) m.holds.push({ stage: r.stage, kind: r.kind, reason: r.reason, from: ts });
          break;
        case 'release': {
          const h = [...m.holds].reverse().find((x) => x.to === undefined);
          if (h && ts !== undefined) {
            h.to = ts;
            h.by = r.by;
          }
          break;
        }
        case 'resume.started': {
          if (ts !== undefined) m.resumes.push(ts);
          m.resumed = true;
          const h = [...m.holds].reverse().find((x) => x.to === undefined);
          if (h && ts !== undefined) h.to = ts;
          break;
        }
        case 'command': {
          const c: CommandRow = { ts: ts ?? 0, seq: r.seq, command: r.command, user: r.user, host: r.host, action: r.action };
          if (r.reason !== undefined) c.reason = r.reason;
          if (r.note !== undefined) c.note = r.note;
          m.commands.push(c);
          break;
        }
        case 'rollback.started':
          if (ts !== undefined) m.rollback = { from: ts, reason: r.reason };
          break;
        case 'deferred':
          m.deferred.push({ targetId: r.targetId, from: r.from, ...(r.to !== undefined ? { to: r.to } : {}), reason: r.reason, ...(ts !== undefined ? { ts } : {}) });
          break;
        case 'target':
          m.targets[r.targetId] = r.state;
          break;
        case 'rollout.finished':
          m.finished = true;
          m.end = ts;
          if (m.rollback && ts !== undefined) m.rollback.to = ts;
          m.status = r.result.status;
          if (r.result.reason !== undefined) m.reason = r.result.reason;
          Object.assign(m.targets, r.result.targets);
          if (m.outcomes.length === 0) m.outcomes = r.result.stages;
          if (m.errors.length === 0) m.errors = r.result.errors;
          if (m.remaining.length === 0 && r.result.remaining) m.remaining = r.result.remaining;
          break;
        default: {
          const a = r as unknown as Record<string, unknown>;
          if (a['type'] === 'audit' && a['id'] === started.id && typeof a['actor'] === 'string') {
            const audit: AuditInfo = { actor: a['actor'] };
            for (const k of ['reason', 'commit', 'ciUrl', 'verdict'] as const) if (typeof a[k] === 'string') audit[k] = a[k] as string;
            if (typeof a['score'] === 'number') audit.score = a['score'];
            m.audit = audit;
          }
          collectAnalysis(m, a, ts, waveOfName);
        }
      }
    }
  }

  // 2. Events: the journal's times when there is no journal, and what only events carry (analysis data only when the
  // journal has none: the engine journals measurements and judgements too).
  const analysisInRecords = m.measurements.length + m.judgements.length + m.findings.length > 0;
  const lastApply = new Map<number, number>();
  for (const e of input.events ?? []) {
    const ts = time(e.ts);
    const x = e as Record<string, unknown>;
    const type = str(x['type']) ?? '';
    if (!started) seen(ts);
    const si = int(x['stage']);
    switch (type) {
      case 'target.applied':
      case 'target.apply-failed':
      case 'target.apply-timed-out':
        if (si !== undefined && ts !== undefined) lastApply.set(si, Math.max(lastApply.get(si) ?? ts, ts));
        break;
      case 'health.result': {
        const metrics = x['metrics'];
        if (metrics && typeof metrics === 'object') {
          for (const [metric, value] of Object.entries(metrics as Record<string, unknown>)) {
            if (typeof value !== 'number') continue;
            m.measurements.push({
              metric,
              source: 'health',
              value,
              phase: x['inconclusive'] === true ? 'Inconclusive' : x['healthy'] === true ? 'Successful' : 'Failed',
              ...(si !== undefined ? { stage: si, stageName: m.waves[si]?.name ?? `stage ${si}` } : {}),
              ...(str(x['targetId']) !== undefined ? { targetId: str(x['targetId'])! } : {}),
              ...(ts !== undefined ? { ts } : {}),
              ...(x['baseline'] === true ? { baseline: true } : {}),
            });
          }
        }
        break;
      }
      default:
        break;
    }
    if (started) {
      if (analysisInRecords) continue;
      if (!['stage.started', 'stage.passed', 'stage.failed', 'approval', 'rollout.held', 'rollout.released', 'command', 'rollback.started', 'rollout.finished', 'rollout.started', 'target.deferred'].includes(type)) {
        collectAnalysis(m, x, ts, waveOfName);
      }
      continue;
    }
    // No journal: times from events.
    if (ts !== undefined) m.timeSource = 'events';
    switch (type) {
      case 'rollout.started':
        m.start ??= ts;
        if (str(x['id'])) m.id = str(x['id'])!;
        break;
      case 'stage.started':
        if (si !== undefined) stage(si).start ??= ts;
        break;
      case 'stage.passed':
      case 'stage.failed':
        if (si !== undefined) {
          const s = stage(si);
          s.end = ts;
          s.outcome = type === 'stage.passed' ? 'passed' : 'failed';
          if (str(x['reason'])) s.reason = str(x['reason'])!;
        }
        break;
      case 'approval':
        if (si !== undefined) {
          const s = stage(si);
          const from = prevEnd(si);
          if (from !== undefined) s.waitFrom = from;
          if (ts !== undefined) s.answeredAt = ts;
          s.approved = x['approved'] === true;
          if (str(x['error'])) s.approvalError = str(x['error'])!;
        }
        break;
      case 'rollout.held':
        if (ts !== undefined) m.holds.push({ stage: si ?? 0, kind: str(x['kind']) ?? 'hold', reason: str(x['reason']) ?? '', from: ts });
        break;
      case 'rollout.released': {
        const h = [...m.holds].reverse().find((y) => y.to === undefined);
        if (h && ts !== undefined) {
          h.to = ts;
          h.by = str(x['by']) ?? '';
        }
        break;
      }
      case 'command':
        m.commands.push({
          ts: ts ?? 0,
          command: str(x['command']) ?? '?',
          user: str(x['user']) ?? '',
          host: str(x['host']) ?? '',
          action: str(x['action']) ?? '',
          ...(str(x['reason']) !== undefined ? { reason: str(x['reason'])! } : {}),
          ...(str(x['note']) !== undefined ? { note: str(x['note'])! } : {}),
        });
        break;
      case 'rollback.started':
        if (ts !== undefined) m.rollback = { from: ts, reason: str(x['reason']) ?? '' };
        break;
      case 'target.deferred':
        m.deferred.push({ targetId: str(x['targetId']) ?? '', from: si ?? 0, reason: str(x['reason']) ?? '', ...(int(x['to']) !== undefined ? { to: int(x['to'])! } : {}), ...(ts !== undefined ? { ts } : {}) });
        break;
      case 'rollout.finished':
        m.finished = true;
        m.end = ts;
        if (m.rollback && ts !== undefined) m.rollback.to = ts;
        if (str(x['status'])) m.status = str(x['status'])!;
        if (str(x['reason'])) m.reason = str(x['reason'])!;
        break;
      default:
        collectAnalysis(m, x, ts, waveOfName);
    }
  }
  for (const [i, t] of lastApply) {
    const s = m.stages.get(i);
    if (s?.start !== undefined && t >= s.start && (s.end === undefined || t <= s.end)) s.applyEnd = t;
  }

  // 3. The result: final states and status (a result is the last word on them), and its analysis summary when nothing
  // else carried one.
  const summary = (input.result as { analysis?: { findings?: unknown[]; judgements?: unknown[] } } | undefined)?.analysis;
  if (summary && m.findings.length === 0 && m.judgements.length === 0) {
    for (const f of summary.findings ?? []) if (f && typeof f === 'object') collectAnalysis(m, { type: 'analysis.finding', ...(f as object) }, undefined, waveOfName);
    for (const j of summary.judgements ?? []) if (j && typeof j === 'object') collectAnalysis(m, { type: 'analysis.judgement', ...(j as object) }, undefined, waveOfName);
  }
  if (result) {
    m.status = result.status;
    m.finished = true;
    if (result.reason !== undefined) m.reason = result.reason;
    Object.assign(m.targets, result.targets);
  } else if (!m.finished) {
    const open = m.holds.find((h) => h.to === undefined);
    m.status = open ? 'held' : 'running';
  }
  if (m.end === undefined) m.end = lastTs;
  if (m.start === undefined && lastTs !== undefined) m.start = [...m.stages.values()].map((s) => s.start).filter((x): x is number => x !== undefined).sort((a, b) => a - b)[0] ?? lastTs;
  return m;
}

/** Analysis data in a record or event of a type the engine may add (measurements, judgements): kept when recognisable. */
function collectAnalysis(m: RolloutModel, raw: Record<string, unknown>, ts: number | undefined, waveOfName: (n: string | undefined) => number | undefined): void {
  const type = str(raw['type']) ?? '';
  // journal records nest the data (`{ type, ts, finding }`, `{ type, ts, judgement }`); events spread it
  const nested = raw['finding'] ?? raw['judgement'];
  const x = nested && typeof nested === 'object' && !Array.isArray(nested) ? { type, ...(nested as Record<string, unknown>) } : raw;
  const stageField = x['stage'];
  const stageName = typeof stageField === 'string' ? stageField : str(x['stageName']);
  const si = int(stageField) ?? waveOfName(stageName);
  const where = {
    ...(si !== undefined ? { stage: si } : {}),
    ...(stageName !== undefined ? { stageName } : si !== undefined ? { stageName: m.waves[si]?.name ?? `stage ${si}` } : {}),
    ...(ts !== undefined ? { ts } : {}),
  };
  // a measurement: { metric, phase, value?, targetId?, condition?, message?, dryRun? } (possibly nested under `measurement`)
  const meas = (x['measurement'] && typeof x['measurement'] === 'object' ? (x['measurement'] as Record<string, unknown>) : x) as Record<string, unknown>;
  if (/measure/i.test(type) && typeof meas['metric'] === 'string' && typeof meas['phase'] === 'string') {
    const v = meas['value'];
    const value = typeof v === 'number' ? v : Array.isArray(v) && v.every((n) => typeof n === 'number') ? (v as number[]) : undefined;
    m.measurements.push({
      metric: meas['metric'],
      phase: meas['phase'],
      source: 'measurement',
      ...where,
      ...(value !== undefined ? { value } : {}),
      ...(str(meas['targetId']) !== undefined ? { targetId: str(meas['targetId'])! } : {}),
      ...(str(meas['condition']) !== undefined ? { condition: str(meas['condition'])! } : {}),
      ...(str(meas['message']) !== undefined ? { message: str(meas['message'])! } : {}),
      ...(meas['dryRun'] === true ? { dryRun: true } : {}),
      ...(meas['role'] === 'baseline' || meas['role'] === 'before' ? { baseline: true } : {}),
    });
    return;
  }
  if (/finding/i.test(type) && typeof x['metric'] === 'string' && typeof x['message'] === 'string') {
    const v = x['value'];
    m.findings.push({
      metric: x['metric'],
      kind: str(x['kind']) ?? '',
      message: x['message'],
      ...where,
      ...(str(x['targetId']) !== undefined ? { targetId: str(x['targetId'])! } : Array.isArray(x['targets']) ? { targetId: (x['targets'] as unknown[]).map(String).join(', ') } : {}),
      ...(str(x['domain']) !== undefined ? { domain: str(x['domain'])! } : {}),
      ...(typeof v === 'number' || (Array.isArray(v) && v.every((n) => typeof n === 'number')) ? { value: v as number | number[] } : {}),
      ...(typeof x['baseline'] === 'number' ? { baseline: x['baseline'] } : {}),
      ...(str(x['condition']) !== undefined ? { condition: str(x['condition'])! } : {}),
    });
    return;
  }
  if (/judg|analysis/i.test(type)) {
    const list = Array.isArray(x['judgements']) ? (x['judgements'] as unknown[]) : typeof x['metric'] === 'string' ? [x] : [];
    for (const j of list) {
      if (!j || typeof j !== 'object') continue;
      const o = j as Record<string, unknown>;
      const outcome = str(o['outcome']) ?? str(o['verdict']) ?? str(x['verdict']);
      if (outcome === undefined) continue;
      const nums = (v: unknown): number[] | undefined => (Array.isArray(v) ? v.map((e) => (typeof e === 'number' ? e : typeof (e as { value?: unknown })?.value === 'number' ? (e as { value: number }).value : Number.NaN)).filter(Number.isFinite) : undefined);
      const canary = nums(o['canarySamples'] ?? o['canary']);
      const baseline = nums(o['baselineSamples'] ?? o['baseline']);
      m.judgements.push({
        ...where,
        outcome,
        domains: Array.isArray(o['domains']) ? (o['domains'] as unknown[]).filter((d): d is Record<string, unknown> => d !== null && typeof d === 'object') : [],
        ...(str(o['metric']) !== undefined ? { metric: str(o['metric'])! } : {}),
        ...(str(o['reason']) ?? str(x['reason']) ? { reason: (str(o['reason']) ?? str(x['reason']))! } : {}),
        ...(canary && canary.length ? { canary } : {}),
        ...(baseline && baseline.length ? { baseline } : {}),
      });
    }
    if (list.length === 0 && str(x['verdict'])) m.judgements.push({ ...where, outcome: str(x['verdict'])!, domains: [], ...(str(x['reason']) ? { reason: str(x['reason'])! } : {}) });
  }
}
