/**
 * The document stage of a config-set push: every member is validated, diffed and located on its own (with the policy
 * as it applies to that file), added and removed members are changes, and the rules see every member (`files`,
 * `oldFiles`). The rest of the gate (windows, score, plan) then treats the set as one push.
 */
import { prepareCelValue, type PreparedCelValue } from '../cel/index.js';
import { diffConfigs, summarizeChanges } from '../diff/index.js';
import { currentLoadFindings, EMPTY_CHANGES, guarded, pushAll, reorderFindings, type DocumentStage } from '../gate.js';
import { compareNames } from '../load/set.js';
import type { ResolvedPolicy } from '../policy/types.js';
import { runRules, type FilesBinding, type RuleEngine } from '../rules/index.js';
import type { ScoreMember } from '../score/index.js';
import { maskSetReport } from '../secrets.js';
import type { Change, ConfigDoc, ConfigSet, Finding, JsonObject, Target } from '../types.js';
import type { CompiledValidator } from '../validate/index.js';
import type { PolicyViews } from './views.js';

/** A policy compiled for the files it applies to. */
export interface CompiledView {
  policy: ResolvedPolicy;
  validator: CompiledValidator;
  rules: RuleEngine;
}

/** Inputs of {@link setStage}. */
export interface SetStageInput {
  policy: ResolvedPolicy;
  views: PolicyViews<CompiledView>;
  proposed: ConfigSet;
  current: ConfigSet | undefined;
  targets: Target[] | undefined;
  at: Date;
}

const EMPTY: ReadonlyMap<string, ConfigDoc> = new Map();

/** Load findings, validation, diff and rules of every member of a set, as one document stage. */
export function setStage(input: SetStageInput): DocumentStage {
  const { policy, views, proposed, current, targets, at } = input;
  const findings: Finding[] = [];
  const changes: Change[] = [];
  const currentFiles = current?.files ?? EMPTY;
  const names = [...new Set([...proposed.files.keys(), ...currentFiles.keys()])].sort(compareNames);
  const binding = filesBinding(proposed, current);

  // Problems of the sets themselves (unreadable members, unknown file types, too many files).
  pushAll(findings, proposed.findings);
  for (const f of current?.findings ?? []) {
    findings.push({
      ...f,
      rule: 'rollback.lkg-invalid',
      severity: 'warn',
      document: 'current',
      message: `${f.message}; the current set is incomplete: rolling back to it would not be safe`,
      detail: { ...(f.detail ?? {}), reason: f.rule },
    });
  }
  if (proposed.files.size === 0 && proposed.findings.length === 0) {
    findings.push({
      rule: 'input.missing',
      severity: 'block',
      message: `the config set ${proposed.root} holds no config files: pushing it would leave the targets without configuration`,
    });
  }
  for (const rel of policy.files?.required ?? []) {
    if (proposed.files.has(rel) || proposed.findings.some((f) => f.file === rel)) continue;
    findings.push({
      rule: 'input.missing',
      severity: 'block',
      file: rel,
      message: `\`${rel}\` is required by the policy (files.required) but is not in the proposed set ${proposed.root}`,
      detail: { required: rel },
    });
  }

  for (const rel of names) {
    const p = proposed.files.get(rel);
    const c = currentFiles.get(rel);
    const view = views.forMember(rel);
    const mine = (list: readonly Finding[]): void => {
      for (const f of list) findings.push(f.file === rel ? f : { ...f, file: rel });
    };
    if (p) mine(p.findings);
    if (c) mine(currentLoadFindings(c, p));
    const usable = p !== undefined && !p.failed && p.value !== undefined;
    const cur = c !== undefined && !c.failed && c.value !== undefined ? c : undefined;
    if (p && !usable && !p.findings.some((f) => f.severity === 'block')) {
      findings.push({ rule: 'parse.error', severity: 'block', file: rel, message: `${p.file} could not be loaded` });
    }
    const own: Change[] = [];
    if (usable) {
      const local: Finding[] = [];
      pushAll(local, guarded('validate', local, [] as Finding[], () => view.validator.validate({ proposed: p, current: cur, targets, at })));
      if (cur) {
        const diffed = guarded('diff', local, [] as Change[], () => diffConfigs(cur.value, p.value, { keys: view.policy.keys, ordered: view.policy.ordered }));
        for (const ch of diffed) own.push({ ...ch, file: rel });
        pushAll(local, guarded('diff', local, [] as Finding[], () => reorderFindings(own, p)));
      } else {
        own.push({ kind: 'added', path: '', pointer: '', file: rel, newValue: p.value! });
      }
      pushAll(local, guarded('rules', local, [] as Finding[], () =>
        runRules(view.rules, {
          policy: view.policy,
          proposed: p,
          current: cur,
          changes: own,
          targets,
          at,
          set: { file: rel, files: proposed.files, currentFiles, binding },
        })));
      mine(local);
    } else if (p === undefined && cur) {
      own.push({ kind: 'removed', path: '', pointer: '', file: rel, oldValue: cur.value! });
    }
    pushAll(changes, own);
  }

  const summary = changes.length === 0 ? EMPTY_CHANGES : summarizeChanges(changes);
  const members: ScoreMember[] = names.map((rel) => ({
    file: rel,
    ...(usableDoc(proposed.files.get(rel)) ? { proposed: proposed.files.get(rel)! } : {}),
    ...(usableDoc(currentFiles.get(rel)) ? { current: currentFiles.get(rel)! } : {}),
  }));
  return {
    findings,
    changes: summary,
    usable: true,
    score: {
      proposed: setDoc(proposed),
      ...(current ? { current: setDoc(current) } : {}),
      members,
    },
    files: {
      proposed: proposed.root,
      ...(current ? { current: current.root } : {}),
      ...(policy.file ? { policy: policy.file } : {}),
      set: { proposed: [...proposed.files.keys()], ...(current ? { current: [...current.files.keys()] } : {}) },
    },
    mask: (report) =>
      maskSetReport(
        report,
        policy,
        names.map((rel) => ({ file: rel, policy: views.forMember(rel).policy, proposed: proposed.files.get(rel), current: currentFiles.get(rel) })),
      ),
  };
}

function usableDoc(d: ConfigDoc | undefined): boolean {
  return d !== undefined && !d.failed && d.value !== undefined;
}

/** The whole set as one document (for the score's size measures): `{ "<relative path>": value }`. */
function setDoc(set: ConfigSet): ConfigDoc {
  let bytes = 0;
  for (const d of set.files.values()) bytes += d.bytes;
  return Object.freeze({
    value: set.value,
    format: 'json' as const,
    bytes,
    file: set.root,
    findings: [],
    failed: false,
    locate: () => undefined,
  });
}

/** `files` and `oldFiles` for CEL rules: converted once per push, when a rule first reads them. */
function filesBinding(proposed: ConfigSet, current: ConfigSet | undefined): FilesBinding {
  let f: PreparedCelValue | undefined;
  let o: PreparedCelValue | undefined;
  const empty: JsonObject = {};
  return {
    files: () => (f ??= prepareCelValue(proposed.value)),
    oldFiles: () => (o ??= prepareCelValue(current?.value ?? empty)),
  };
}
