/**
 * Who holds a lease and who started a rollout: host, process (with its start time, so a reused pid is not taken for
 * the holder), user, and the CI's actor, commit and run URL read from the environment (`GITHUB_*`, `GITLAB_*`, `CI_*`).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** The holder of a lease, as stored in the lock record. */
export interface LockHolder {
  /** The rollout being run under the lease, once known. */
  rolloutId?: string;
  host: string;
  pid: number;
  user: string;
  /** The CI run (job) URL when the environment has one. */
  ciUrl?: string;
  /** When the lease was taken (ISO-8601). */
  since: string;
  /** The process's start time (Linux: clock ticks after boot, `/proc/<pid>/stat` field 22); tells a reused pid apart. */
  processStart?: string;
  /** Linux boot id: a lock from before a reboot of this host has no live holder. */
  bootId?: string;
}

/** Audit data of a rollout: who, why, which commit, which CI run, the gate's verdict. */
export interface AuditInfo {
  /** A person's login or the CI's actor (`GITHUB_ACTOR`, `GITLAB_USER_LOGIN`...). @default the OS user */
  actor: string;
  /** Why (free text, `--reason`). */
  reason?: string;
  /** The commit being pushed (`GITHUB_SHA`, `CI_COMMIT_SHA`...). */
  commit?: string;
  /** The CI run URL. */
  ciUrl?: string;
  /** The gate report's verdict and score, when the rollout was gated. */
  verdict?: string;
  score?: number;
}

function osUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env['USER'] ?? String(process.getuid?.() ?? 'unknown');
  }
}

function nonEmpty(v: string | undefined): string | undefined {
  return v !== undefined && v.trim() !== '' ? v.trim() : undefined;
}

/** CI actor, commit and run URL from the environment (GitHub Actions, GitLab CI, Jenkins, Buildkite, generic `CI_*`). */
export function ciFromEnv(env: NodeJS.ProcessEnv = process.env): { actor?: string; commit?: string; ciUrl?: string } {
  const out: { actor?: string; commit?: string; ciUrl?: string } = {};
  const gh = nonEmpty(env['GITHUB_RUN_ID']);
  const actor =
    nonEmpty(env['GITHUB_TRIGGERING_ACTOR']) ??
    nonEmpty(env['GITHUB_ACTOR']) ??
    nonEmpty(env['GITLAB_USER_LOGIN']) ??
    nonEmpty(env['BUILDKITE_BUILD_CREATOR']) ??
    nonEmpty(env['CI_ACTOR']);
  if (actor) out.actor = actor;
  const commit = nonEmpty(env['GITHUB_SHA']) ?? nonEmpty(env['CI_COMMIT_SHA']) ?? nonEmpty(env['BUILDKITE_COMMIT']) ?? nonEmpty(env['GIT_COMMIT']);
  if (commit) out.commit = commit;
  let url: string | undefined;
  if (gh && nonEmpty(env['GITHUB_REPOSITORY'])) {
    url = `${(nonEmpty(env['GITHUB_SERVER_URL']) ?? 'https://github.com').replace(/\/+$/, '')}/${env['GITHUB_REPOSITORY']!.trim()}/actions/runs/${gh}`;
  }
  url ??= nonEmpty(env['CI_JOB_URL']) ?? nonEmpty(env['CI_PIPELINE_URL']) ?? nonEmpty(env['BUILDKITE_BUILD_URL']) ?? nonEmpty(env['BUILD_URL']);
  if (url) out.ciUrl = url;
  return out;
}

/** Audit info from the environment, with explicit overrides (`--actor`, `--reason`) winning. */
export function auditFromEnv(overrides: Partial<AuditInfo> = {}, env: NodeJS.ProcessEnv = process.env): AuditInfo {
  const ci = ciFromEnv(env);
  const out: AuditInfo = { actor: nonEmpty(overrides.actor) ?? ci.actor ?? osUser() };
  const reason = nonEmpty(overrides.reason);
  if (reason) out.reason = reason;
  const commit = nonEmpty(overrides.commit) ?? ci.commit;
  if (commit) out.commit = commit;
  const url = nonEmpty(overrides.ciUrl) ?? ci.ciUrl;
  if (url) out.ciUrl = url;
  if (overrides.verdict !== undefined) out.verdict = overrides.verdict;
  if (overrides.score !== undefined) out.score = overrides.score;
  return out;
}

/** Start time of a process on Linux (`/proc/<pid>/stat` field 22), or undefined elsewhere / when it is gone. */
export function processStartOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) is in parentheses and may contain spaces: count fields after the last ')'
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19]; // field 22 = index 19 after fields 1-2
  } catch {
    return undefined;
  }
}

let cachedBoot: string | undefined | null = null;
/** The Linux boot id, or undefined. */
export function bootId(): string | undefined {
  if (cachedBoot === null) {
    try {
      cachedBoot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
    } catch {
      cachedBoot = undefined;
    }
  }
  return cachedBoot;
}

/** This process as a lease holder. */
export function currentHolder(ciUrl?: string): LockHolder {
  const h: LockHolder = { host: os.hostname(), pid: process.pid, user: osUser(), since: new Date().toISOString() };
  const url = ciUrl ?? ciFromEnv().ciUrl;
  if (url) h.ciUrl = url;
  const ps = processStartOf(process.pid);
  if (ps) h.processStart = ps;
  const b = bootId();
  if (b) h.bootId = b;
  return h;
}

/**
 * Whether the holder (on THIS host) is still running: its pid is alive, and, where known, with the same start time
 * and boot id (a pid reused after the holder died, or a lock from before a reboot, is not the holder).
 */
export function holderAlive(h: LockHolder): boolean {
  const b = bootId();
  if (h.bootId && b && h.bootId !== b) return false;
  try {
    process.kill(h.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (h.processStart) {
    const now = processStartOf(h.pid);
    if (now !== undefined && now !== h.processStart) return false;
  }
  return true;
}

/** One line about a holder for error messages: "rollout X by user@host pid N since T (CI run URL)". */
export function describeHolder(h: LockHolder): string {
  return `${h.rolloutId ? `rollout ${h.rolloutId} ` : ''}by ${h.user}@${h.host} pid ${h.pid} since ${h.since}${h.ciUrl ? ` (${h.ciUrl})` : ''}`;
}
