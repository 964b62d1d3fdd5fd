/**
 * Rollout planning: targets + stages (+ failure domain, redundancy, maintenance windows) -> waves. PURE: the time is an
 * input (`at`), nothing is read from the clock, the same inputs give the same plan.
 */
import { OptionsError } from '../errors.js';
import { matchesSelector, targetIdProblem } from '../targets.js';
import type { LabelSelector, PlanNote, PlannedWave, RolloutPlan, StageSpec, Target, WindowSpec } from '../types.js';
import { parseDuration } from '../units.js';
import { targetsUnderMaintenance } from '../windows/index.js';

/** Options of {@link planRollout}. */
export interface PlanOptions {
  /** Every target of the push. Ids must be unique. */
  targets: Target[];
  /** Stages in order; each has exactly one of `count`, `percent` or `select`. */
  stages: StageSpec[];
  /** Windows; only `maintenance` windows shape the plan. Requires `at`. @default [] */
  windows?: WindowSpec[] | undefined;
  /**
   * Evaluation time: start of the first wave. Required when maintenance windows are given. Without windows it only
   * appears in the result; when absent the plan says `1970-01-01T00:00:00.000Z` (the planner never reads the clock).
   */
  at?: Date | string | undefined;
  /** Label whose values are failure domains (e.g. `region`): waves are spread across domains. */
  failureDomain?: string | undefined;
  /**
   * Label whose values are redundant members (e.g. `provider`). Targets are grouped by their `group` label, else by
   * their failure-domain value; a wave never holds every distinct redundancy value of a group.
   */
  redundancy?: string | undefined;
}

interface DraftWave {
  name: string;
  targets: Target[];
  bakeMs: number;
  approval: boolean;
  select: boolean;
}

const EPOCH = '1970-01-01T00:00:00.000Z';
const STAGE_KEYS: ReadonlySet<string> = new Set(['name', 'count', 'percent', 'select', 'bake', 'approval']);
const byId = (a: Target, b: Target): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function isSelector(v: unknown): v is LabelSelector {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  return Object.values(v as Record<string, unknown>).every(
    (x) => typeof x === 'string' || (Array.isArray(x) && x.every((y) => typeof y === 'string')),
  );
}

function validateStages(stages: unknown): { stage: StageSpec; bakeMs: number }[] {
  if (!Array.isArray(stages) || stages.length === 0) {
    throw new OptionsError(`\`stages\` must be a non-empty list of stages, got ${JSON.stringify(stages)}`);
  }
  const names = new Set<string>();
  return stages.map((raw: unknown, i) => {
    const f = `stages[${i}]`;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new OptionsError(`\`${f}\` must be an object, got ${JSON.stringify(raw)}`);
    const s = raw as StageSpec;
    if (typeof s.name !== 'string' || s.name === '') throw new OptionsError(`\`${f}.name\` must be a non-empty string, got ${JSON.stringify(s.name)}`);
    if (names.has(s.name)) throw new OptionsError(`\`${f}.name\` must be unique, got ${JSON.stringify(s.name)} twice`);
    names.add(s.name);
    const modes = (['count', 'percent', 'select'] as const).filter((k) => s[k] !== undefined);
    if (modes.length !== 1) {
      const unknown = Object.keys(s).filter((k) => !STAGE_KEYS.has(k));
      const hint = modes.length === 0 && unknown.length > 0 ? ` (unknown ${unknown.length === 1 ? 'key' : 'keys'} ${unknown.map((k) => `\`${k}\``).join(', ')})` : '';
      throw new OptionsError(`\`${f}\` must have exactly one of \`count\`, \`percent\` or \`select\`, got ${modes.length === 0 ? 'none' : modes.join(' and ')}${hint}`);
    }
    if (s.count !== undefined && (typeof s.count !== 'number' || !Number.isInteger(s.count) || s.count < 1)) {
      throw new OptionsError(`\`${f}.count\` must be a positive integer, got ${JSON.stringify(s.count)}`);
    }
    if (s.percent !== undefined && (typeof s.percent !== 'number' || !Number.isFinite(s.percent) || s.percent <= 0 || s.percent > 100)) {
      throw new OptionsError(`\`${f}.percent\` must be between 0 and 100, got ${JSON.stringify(s.percent)}${typeof s.percent === 'number' && s.percent <= 0 ? ' (it must be greater than 0)' : ''}`);
    }
    if (s.select !== undefined && !isSelector(s.select)) {
      throw new OptionsError(`\`${f}.select\` must be a label selector like { region: "SCL" }, got ${JSON.stringify(s.select)}`);
    }
    if (s.approval !== undefined && typeof s.approval !== 'boolean') {
      throw new OptionsError(`\`${f}.approval\` must be a boolean, got ${JSON.stringify(s.approval)}`);
    }
    const bakeMs = s.bake === undefined ? 0 : parseDuration(s.bake, `${f}.bake`);
    return { stage: s, bakeMs };
  });
}

function validateTargets(targets: unknown): Target[] {
  if (!Array.isArray(targets)) throw new OptionsError(`\`targets\` must be a list of { id, labels }, got ${JSON.stringify(targets)}`);
  const seen = new Set<string>();
  for (const [i, t] of (targets as unknown[]).entries()) {
    const tt = t as Partial<Target> | null;
    if (tt === null || typeof tt !== 'object' || typeof tt.id !== 'string') {
      throw new OptionsError(`\`targets[${i}].id\` must be a string, got ${JSON.stringify(tt && typeof tt === 'object' ? tt.id : tt)}`);
    }
    const problem = targetIdProblem(tt.id);
    if (problem) throw new OptionsError(`\`targets[${i}].id\` ${problem}`);
    if (tt.labels === null || typeof tt.labels !== 'object') throw new OptionsError(`\`targets[${i}].labels\` must be an object of strings`);
    if (seen.has(tt.id)) throw new OptionsError(`\`targets[${i}].id\` must be unique, got ${JSON.stringify(tt.id)} twice`);
    seen.add(tt.id);
  }
  return targets as Target[];
}

function parseAt(at: Date | string | undefined): number | undefined {
  if (at === undefined) return undefined;
  const ms = at instanceof Date ? at.getTime() : typeof at === 'string' ? Date.parse(at) : Number.NaN;
  if (!Number.isFinite(ms)) throw new OptionsError(`\`at\` must be a Date or an ISO-8601 time, got ${JSON.stringify(at)}`);
  return ms;
}

/**
 * Plan a staged rollout.
 *
 * - Targets are sorted by id, then (with `failureDomain`) interleaved round-robin across domains, so every prefix of
 *   the order covers as many domains as possible. `count`/`percent` stages take the next targets of that order up to
 *   the cumulative size (`percent` is rounded up, at least one target); `select` stages take every unplaced matching target.
 * - A wave that is not the last never holds every target of a failure domain that has more than one target, and never
 *   every distinct `redundancy` value of a group: such targets are deferred to a later wave (a `deferred` note and a
 *   warning). `select` waves are taken as written; violations there only produce warnings.
 * - If the last wave would hold every redundancy value of a group, it is split: the targets with the last (sorted)
 *   value of each such group go to an extra wave `<name>-2` (same bake, no approval) and a warning says so.
 * - Maintenance windows (requires `at`): each wave's start is estimated as `at` + the bakes of the waves before it;
 *   a target under maintenance at its wave's start is deferred to the next wave whose start is outside every window
 *   that covers it, or excluded with a note naming the windows when there is none. When every target a `count`/
 *   `percent` wave picked is under maintenance, the next free target joins it (a warning says so), so a canary is
 *   never emptied by a window.
 * - Targets not reached by any stage (stages ending below 100%) are excluded with reason `not reached by any stage`
 *   and a warning: every target is in exactly one wave or in `notes`.
 * - Empty waves are dropped (with a warning) when a later wave exists; a final empty wave is kept.
 *
 * Throws {@link OptionsError} (code `E_OPTIONS_INVALID`) naming the field for invalid stages, targets or `at`.
 */
export function planRollout(options: PlanOptions): RolloutPlan {
  if (options === null || typeof options !== 'object') throw new OptionsError('`planRollout` needs an options object');
  const targets = validateTargets(options.targets);
  const stages = validateStages(options.stages);
  const { failureDomain, redundancy } = options;
  for (const [k, v] of [['failureDomain', failureDomain], ['redundancy', redundancy]] as const) {
    if (v !== undefined && (typeof v !== 'string' || v === '')) throw new OptionsError(`\`${k}\` must be a label name, got ${JSON.stringify(v)}`);
  }
  const maintenance = (options.windows ?? []).filter((w) => w.kind === 'maintenance');
  if (options.windows !== undefined && !Array.isArray(options.windows)) {
    throw new OptionsError(`\`windows\` must be a list of windows, got ${JSON.stringify(options.windows)}`);
  }
  const atMs = parseAt(options.at);
  if (maintenance.length > 0 && atMs === undefined) {
    throw new OptionsError('`at` is required when maintenance `windows` are given (the planner never reads the clock)');
  }

  const warnings: string[] = [];
  const notes: PlanNote[] = [];
  const total = targets.length;

  // ---- deterministic, domain-spread order
  const sorted = [...targets].sort(byId);
  const domainOf = (t: Target): string => (failureDomain ? (t.labels[failureDomain] ?? '') : '');
  const domainSize = new Map<string, number>();
  for (const t of sorted) domainSize.set(domainOf(t), (domainSize.get(domainOf(t)) ?? 0) + 1);
  let order: Target[] = sorted;
  if (failureDomain) {
    const byDomain = new Map<string, Target[]>();
    for (const t of sorted) {
      const list = byDomain.get(domainOf(t)) ?? [];
      list.push(t);
      byDomain.set(domainOf(t), list);
    }
    const lists = [...byDomain.keys()].sort(cmp).map((k) => byDomain.get(k)!);
    order = [];
    for (let i = 0; order.length < total; i++) for (const l of lists) if (i < l.length) order.push(l[i]!);
  }

  // ---- redundancy groups
  const groupOf = (t: Target): string => t.labels.group ?? (failureDomain ? t.labels[failureDomain] : undefined) ?? '';
  const redValue = (t: Target): string | undefined => (redundancy ? t.labels[redundancy] : undefined);
  const groupValues = new Map<string, Set<string>>();
  for (const t of sorted) {
    const v = redValue(t);
    if (v === undefined) continue;
    const set = groupValues.get(groupOf(t)) ?? new Set<string>();
    set.add(v);
    groupValues.set(groupOf(t), set);
  }

  // ---- fill waves
  const placed = new Set<string>();
  const placedPerDomain = new Map<string, number>();
  const deferReason = new Map<string, string>();
  const drafts: DraftWave[] = [];
  for (const [i, { stage, bakeMs }] of stages.entries()) {
    const isLast = i === stages.length - 1;
    const wave: DraftWave = { name: stage.name, targets: [], bakeMs, approval: stage.approval === true, select: stage.select !== undefined };
    const inDomain = new Map<string, number>();
    const inGroup = new Map<string, Set<string>>();
    const take = (t: Target): void => {
      wave.targets.push(t);
      placed.add(t.id);
      inDomain.set(domainOf(t), (inDomain.get(domainOf(t)) ?? 0) + 1);
      const v = redValue(t);
      if (v !== undefined) {
        const set = inGroup.get(groupOf(t)) ?? new Set<string>();
        set.add(v);
        inGroup.set(groupOf(t), set);
      }
    };
    if (stage.select !== undefined) {
      for (const t of order) if (!placed.has(t.id) && matchesSelector(t, stage.select)) take(t);
      if (!isLast) {
        for (const [d, n] of inDomain) {
          if (failureDomain && n > 1 && n === domainSize.get(d) && !placedPerDomain.get(d)) {
            warnings.push(`stage "${stage.name}" selects every target of ${failureDomain}=${d} at once (selected explicitly; not reshaped)`);
          }
        }
        for (const [g, vals] of inGroup) {
          const all = groupValues.get(g);
          if (all && all.size >= 2 && vals.size === all.size) {
            warnings.push(`stage "${stage.name}" selects every ${redundancy} of group "${g}" at once (selected explicitly; not reshaped)`);
          }
        }
      }
    } else {
      const want = Math.min(total, stage.count !== undefined ? stage.count : Math.max(1, Math.ceil((stage.percent! * total) / 100 - 1e-9)));
      const need = want - placed.size;
      // Targets under maintenance at the wave's estimated start (the maintenance pass below defers them): when they
      // would leave this wave empty, the next free target joins it, so a canary whose picks are all in maintenance
      // gets another canary instead of an empty first stage that would be dropped and let a wider stage go first.
      const waveStart = atMs === undefined ? undefined : atMs + drafts.reduce((sum, d) => sum + d.bakeMs, 0);
      const busy =
        !isLast && maintenance.length > 0 && waveStart !== undefined
          ? targetsUnderMaintenance(maintenance, order.filter((t) => !placed.has(t.id)), new Date(waveStart))
          : undefined;
      for (const t of order) {
        if (wave.targets.length >= need) break;
        if (placed.has(t.id)) continue;
        if (!isLast) {
          const d = domainOf(t);
          const size = domainSize.get(d) ?? 0;
          if (failureDomain && size > 1 && !placedPerDomain.get(d) && (inDomain.get(d) ?? 0) + 1 === size) {
            if (!deferReason.has(t.id)) deferReason.set(t.id, `stage "${stage.name}" would hold every target of ${failureDomain}=${d}`);
            continue;
          }
          const v = redValue(t);
          const all = groupValues.get(groupOf(t));
          if (v !== undefined && all && all.size >= 2) {
            const cur = inGroup.get(groupOf(t));
            if (!cur?.has(v) && (cur?.size ?? 0) + 1 === all.size) {
              if (!deferReason.has(t.id)) {
                deferReason.set(t.id, `stage "${stage.name}" would hold every ${redundancy} (${[...all].sort(cmp).join(', ')}) of group "${groupOf(t)}"`);
              }
              continue;
            }
          }
        }
        take(t);
      }
      if (busy && wave.targets.length > 0 && wave.targets.every((t) => busy.has(t.id))) {
        const spare = order.find((t) => {
          if (placed.has(t.id) || busy.has(t.id)) return false;
          const d = domainOf(t);
          const size = domainSize.get(d) ?? 0;
          return !(failureDomain && size > 1 && !placedPerDomain.get(d) && (inDomain.get(d) ?? 0) + 1 === size);
        });
        if (spare) {
          take(spare);
          warnings.push(`stage "${stage.name}": every target picked for it is under maintenance at its estimated start; ${spare.id} joins it so the stage is not empty`);
        }
      }
      if (need > 0 && wave.targets.length < need) {
        warnings.push(`stage "${stage.name}" has ${wave.targets.length} targets instead of ${need}: the rest would have put a whole failure domain or every redundant member of a group in one wave`);
      }
    }
    for (const t of wave.targets) placedPerDomain.set(domainOf(t), (placedPerDomain.get(domainOf(t)) ?? 0) + 1);
    drafts.push(wave);
  }

  // ---- split the last wave when it would change every redundant member of a group at once
  const last = drafts[drafts.length - 1];
  if (last && redundancy) {
    const byGroup = new Map<string, Set<string>>();
    for (const t of last.targets) {
      const v = redValue(t);
      if (v === undefined) continue;
      const set = byGroup.get(groupOf(t)) ?? new Set<string>();
      set.add(v);
      byGroup.set(groupOf(t), set);
    }
    const moveValue = new Map<string, string>();
    for (const [g, vals] of byGroup) {
      const all = groupValues.get(g);
      if (all && all.size >= 2 && vals.size === all.size) moveValue.set(g, [...vals].sort(cmp).pop()!);
    }
    if (moveValue.size > 0) {
      const moved = last.targets.filter((t) => moveValue.get(groupOf(t)) === redValue(t));
      last.targets = last.targets.filter((t) => moveValue.get(groupOf(t)) !== redValue(t));
      const extra: DraftWave = { name: `${last.name}-2`, targets: moved, bakeMs: last.bakeMs, approval: false, select: last.select };
      drafts.push(extra);
      for (const t of moved) {
        deferReason.set(t.id, `the last stage "${last.name}" would hold every ${redundancy} of group "${groupOf(t)}"`);
      }
      warnings.push(
        `stage "${last.name}" was split into "${last.name}" and "${extra.name}" so that no group changes every ${redundancy} at once (groups: ${[...moveValue.keys()].sort(cmp).join(', ')})` +
          (last.bakeMs === 0 ? `; stage "${last.name}" has no bake, so only one health round separates the two waves` : ''),
      );
    }
  }

  // ---- maintenance windows: defer or exclude
  const maintenanceExcluded = new Map<string, string>();
  if (maintenance.length > 0 && atMs !== undefined) {
    let start = atMs;
    let carry: { t: Target; reason: string }[] = [];
    for (const [i, wave] of drafts.entries()) {
      const candidates = [...carry.map((c) => c.t), ...wave.targets];
      const carriedReason = new Map(carry.map((c) => [c.t.id, c.reason]));
      const under = candidates.length > 0 ? targetsUnderMaintenance(maintenance, candidates, new Date(start)) : new Map<string, string[]>();
      const keep: Target[] = [];
      carry = [];
      for (const t of candidates) {
        const names = under.get(t.id);
        if (names && names.length > 0) {
          const reason =
            carriedReason.get(t.id) ??
            `under maintenance (${[...names].sort(cmp).join(', ')}) at the estimated start of stage "${wave.name}" (${new Date(start).toISOString()})`;
          carry.push({ t, reason });
        } else {
          keep.push(t);
          const r = carriedReason.get(t.id);
          if (r !== undefined) deferReason.set(t.id, r);
        }
      }
      wave.targets = keep;
      start += wave.bakeMs;
      if (i === drafts.length - 1) {
        for (const c of carry) {
          const names = targetsUnderMaintenance(maintenance, [c.t], new Date(start - wave.bakeMs)).get(c.t.id) ?? [];
          maintenanceExcluded.set(
            c.t.id,
            `${c.reason}, and at the start of every later stage (last window: ${[...names].sort(cmp).join(', ')})`,
          );
        }
      }
    }
  }

  // ---- drop empty waves (unless it is the final wave) and number them
  const kept: DraftWave[] = [];
  for (const [i, d] of drafts.entries()) {
    if (d.targets.length === 0 && i < drafts.length - 1) {
      warnings.push(`stage "${d.name}" has no targets and was dropped`);
      continue;
    }
    kept.push(d);
  }
  const waves: PlannedWave[] = kept.map((d, index) => ({ index, name: d.name, targets: d.targets, bakeMs: d.bakeMs, approval: d.approval }));

  // ---- notes: deferred and excluded, every target accounted for
  const waveOf = new Map<string, number>();
  for (const w of waves) for (const t of w.targets) waveOf.set(t.id, w.index);
  let notReached = 0;
  for (const t of sorted) {
    const w = waveOf.get(t.id);
    const maint = maintenanceExcluded.get(t.id);
    if (w !== undefined) {
      const r = deferReason.get(t.id);
      if (r !== undefined) notes.push({ targetId: t.id, action: 'deferred', reason: r, wave: w });
    } else if (maint !== undefined) {
      notes.push({ targetId: t.id, action: 'excluded', reason: maint });
    } else {
      notReached++;
      const r = deferReason.get(t.id);
      notes.push({ targetId: t.id, action: 'excluded', reason: r ? `not reached by any stage (deferred: ${r})` : 'not reached by any stage' });
    }
  }
  if (notReached > 0) warnings.push(`${notReached} of ${total} targets are not reached by any stage (the stages end below 100%)`);
  if (maintenanceExcluded.size > 0) warnings.push(`${maintenanceExcluded.size} targets are excluded: under maintenance at the start of every stage they could join`);
  const deferred = notes.filter((n) => n.action === 'deferred').length;
  if (deferred > 0) warnings.push(`${deferred} targets were deferred to a later wave (see notes)`);

  const plan: RolloutPlan = {
    waves,
    notes,
    warnings,
    at: atMs === undefined ? EPOCH : new Date(atMs).toISOString(),
    totalTargets: total,
  };
  if (failureDomain) plan.failureDomain = failureDomain;
  return plan;
}
