/**
 * `diffConfigSets`: the changes between two config sets, member by member with the policy as it applies to each file
 * (keyed lists and ordered lists by glob). An added or removed member is one change naming the file. Secrets are
 * masked like in the gate's report.
 */
import { diffConfigs, summarizeChanges } from '../diff/index.js';
import { InputError } from '../errors.js';
import { compareNames } from '../load/set.js';
import { defaultPolicy } from '../policy/index.js';
import type { ResolvedPolicy } from '../policy/types.js';
import { maskSetReport } from '../secrets.js';
import type { Change, ChangeSummary, ConfigSet, GateReport } from '../types.js';
import { PolicyViews } from './views.js';

/** Options of {@link diffConfigSets}. */
export interface DiffSetsOptions {
  /** The policy whose `keys`, `ordered` and `secrets` apply (with `GLOB#` patterns per member). @default the default policy */
  policy?: ResolvedPolicy | undefined;
}

/**
 * The changes from `current` to `proposed`, members in path order. Throws `InputError` when a member of either set
 * does not load (or a set has a blocking problem such as an unreadable file): a diff needs both sides whole.
 */
export function diffConfigSets(current: ConfigSet, proposed: ConfigSet, options: DiffSetsOptions = {}): ChangeSummary {
  const policy = options.policy ?? defaultPolicy();
  for (const set of [current, proposed]) {
    const bad = set.findings.find((f) => f.severity === 'block');
    if (bad) throw new InputError(`cannot diff ${set.root}: ${bad.file ?? set.root}: ${bad.rule} ${bad.message}`);
    for (const [rel, doc] of set.files) {
      const f = doc.findings.find((x) => x.severity === 'block');
      if (f || doc.failed || doc.value === undefined) {
        const loc = f?.location ? `${f.location.file}:${f.location.line}:${f.location.column}` : doc.file;
        throw new InputError(`cannot diff ${set.root}: ${rel}: ${loc}: ${f?.rule ?? 'parse.error'} ${f?.message ?? 'could not be loaded'}`);
      }
    }
  }
  const views = new PolicyViews(policy, (p) => ({ policy: p }));
  const names = [...new Set([...current.files.keys(), ...proposed.files.keys()])].sort(compareNames);
  const changes: Change[] = [];
  for (const rel of names) {
    const c = current.files.get(rel);
    const p = proposed.files.get(rel);
    if (c && p) {
      const v = views.forMember(rel).policy;
      for (const ch of diffConfigs(c.value, p.value, { keys: v.keys, ordered: v.ordered })) changes.push({ ...ch, file: rel });
    } else if (p) changes.push({ kind: 'added', path: '', pointer: '', file: rel, newValue: p.value! });
    else if (c) changes.push({ kind: 'removed', path: '', pointer: '', file: rel, oldValue: c.value! });
  }
  const raw = summarizeChanges(changes);
  const shell: GateReport = { verdict: 'allow', score: 0, findings: [], factors: [], changes: raw, at: '', files: { proposed: proposed.root } };
  const masked = maskSetReport(
    shell,
    policy,
    names.map((rel) => ({ file: rel, policy: views.forMember(rel).policy, proposed: proposed.files.get(rel), current: current.files.get(rel) })),
  );
  return masked.changes;
}
