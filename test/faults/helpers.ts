/** Shared fixtures for the fault-injection tests: a small fleet, a plan, and hooks that record every call. */
import { ConfgateError } from '../../src/errors.js';
import { MemoryJournal, planRollout } from '../../src/rollout/index.js';
import type { Journal, JournalRecord, RolloutEvent, RunOptions } from '../../src/rollout/index.js';
import type { StageSpec, Target } from '../../src/types.js';

export function fleet(n: number): Target[] {
  return Array.from({ length: n }, (_, i) => ({ id: `t${i}`, labels: { region: ['a', 'b'][i % 2]! } }));
}

export const TWO_STAGES: StageSpec[] = [
  { name: 'canary', count: 2 },
  { name: 'all', percent: 100 },
];

/** Options for `runRollout` whose hooks record every call as `hook:targetId`, in call order. */
export function harness(n: number, overrides: Partial<RunOptions> = {}, stages: StageSpec[] = TWO_STAGES) {
  const calls: string[] = [];
  const events: RolloutEvent[] = [];
  const options: RunOptions = {
    plan: planRollout({ targets: fleet(n), stages }),
    proposed: { v: 2 },
    lkg: { v: 1 },
    apply: (t) => void calls.push(`apply:${t.id}`),
    rollback: (t) => void calls.push(`rollback:${t.id}`),
    health: () => true,
    onEvent: (e) => void events.push(e),
    healthOptions: { interval: 5, timeout: 500 },
    ...overrides,
  };
  const of = (hook: string) => calls.filter((c) => c.startsWith(`${hook}:`)).map((c) => c.slice(hook.length + 1));
  return { calls, events, options, of };
}

/** Count of each value. */
export function tally(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

/**
 * A journal that accepts `capacity` records and then fails every append with an fs-style error (`ENOSPC`: disk full,
 * `EROFS`: read-only file system), wrapped as the FileJournal wraps it (ConfgateError `E_JOURNAL`). A batch that does
 * not fit is rejected whole (nothing of it is durable). `durable` holds what was written.
 */
export class FailingJournal implements Journal {
  readonly inner = new MemoryJournal();
  appends = 0;
  failures = 0;
  constructor(
    public capacity: number,
    readonly errno: 'ENOSPC' | 'EROFS' = 'ENOSPC',
  ) {}
  get durable(): JournalRecord[] {
    return this.inner.records;
  }
  lock(): Promise<void> {
    return this.inner.lock();
  }
  unlock(): Promise<void> {
    return this.inner.unlock();
  }
  read(): Promise<JournalRecord[]> {
    return this.inner.read();
  }
  async append(records: JournalRecord[]): Promise<void> {
    this.appends++;
    if (this.inner.records.length + records.length > this.capacity) {
      this.failures++;
      const cause = Object.assign(new Error(`${this.errno}: ${this.errno === 'ENOSPC' ? 'no space left on device' : 'read-only file system'}, write`), {
        code: this.errno,
      });
      throw new ConfgateError('E_JOURNAL', `cannot write journal /var/lib/confgate/journal: ${cause.message}`, { cause });
    }
    await this.inner.append(records);
  }
  /** True when `targetId` has a durable `applying` record. */
  hasApplying(targetId: string): boolean {
    return this.inner.records.some((r) => r.type === 'target' && r.targetId === targetId && r.state.status === 'applying');
  }
}
