/**
 * Config sets in the CLI: `--proposed DIR --current DIR` (check, rollout), `confgate diff DIR DIR`, and `proposed/`
 * `current/` folders in `confgate test` cases. A folder is read as a set with the policy's `files` settings; a file
 * stays one document. Both sides of a push must be the same kind.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { isConfigSet, loadConfigSet } from '../load/set.js';
import type { ResolvedPolicy } from '../policy/types.js';
import type { ConfigDoc, ConfigSet, GateReport, JsonValue } from '../types.js';
import { reportSources, type ReportSource } from '../report/html/sources.js';
import { compileGlob, policyView } from '../set/paths.js';
import { createMasker, setSecretStrings, type Masker, type SetMemberSecrets } from '../secrets.js';

/** True when `file` (relative to `cwd`) is a folder. `-` (standard input) never is. */
export function isFolderArg(cwd: string, file: string | undefined): boolean {
  if (file === undefined || file === '' || file === '-') return false;
  try {
    return statSync(path.resolve(cwd, file)).isDirectory();
  } catch {
    return false;
  }
}

/** Reads a folder as a config set named as the user named it (`configs/next`), with the policy's `files` settings. */
export function readSet(cwd: string, dir: string, policy: ResolvedPolicy): ConfigSet {
  return loadConfigSet(path.resolve(cwd, dir), { policy, name: dir.replace(/[/\\]+$/, '') || dir });
}

/** The documents of a side of a push (its members for a set), e.g. for the secret masker. */
export function docsOf(x: ConfigDoc | ConfigSet | undefined): ConfigDoc[] {
  if (x === undefined) return [];
  return isConfigSet(x) ? [...x.files.values()] : [x];
}

/** The side as one value (a set: `{ "<relative path>": value }`), or undefined when it cannot be used at all. */
export function usableValue(x: ConfigDoc | ConfigSet): JsonValue | undefined {
  if (isConfigSet(x)) {
    const broken = x.findings.some((f) => f.severity === 'block') || [...x.files.values()].some((d) => d.failed || d.value === undefined);
    return broken ? undefined : x.value;
  }
  return x.failed ? undefined : x.value;
}

/** How a side is named in messages. */
export function nameOf(x: ConfigDoc | ConfigSet): string {
  return isConfigSet(x) ? x.root : x.file;
}

/**
 * The HTML report's source excerpts of a push: for a set, each member's lines masked with the policy as it applies to
 * that member (its `GLOB#` secrets), so a file-specific secret is never shown.
 */
export function sourcesOf(report: GateReport, sides: ReadonlyArray<ConfigDoc | ConfigSet | undefined>, policy: ResolvedPolicy): ReportSource[] {
  if (!sides.some((s) => isConfigSet(s))) return reportSources(report, sides as ReadonlyArray<ConfigDoc | undefined>, { policy });
  const out: ReportSource[] = [];
  for (const side of sides) {
    if (side === undefined || !isConfigSet(side)) continue;
    for (const [rel, doc] of side.files) {
      const view = policyView(policy, (g) => compileGlob(g).matches(rel));
      out.push(...reportSources(report, [doc], { policy: view }));
    }
  }
  return out;
}

/**
 * A masker for what a push prints or journals (events): for sets, the secrets of every member found with the policy
 * as it applies to that member.
 */
export function maskerOf(policy: ResolvedPolicy, sides: ReadonlyArray<ConfigDoc | ConfigSet | undefined>): Masker {
  if (!sides.some((s) => isConfigSet(s))) return createMasker(policy, sides as ReadonlyArray<ConfigDoc | undefined> as Array<ConfigDoc | undefined>);
  const members: SetMemberSecrets[] = [];
  for (const side of sides) {
    if (side === undefined || !isConfigSet(side)) continue;
    for (const [rel, doc] of side.files) members.push({ file: rel, policy: policyView(policy, (g) => compileGlob(g).matches(rel)), proposed: doc });
  }
  return createMasker(policy, [], setSecretStrings(members));
}
