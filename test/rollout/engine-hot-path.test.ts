// The engine's hot path (issue 5): hook calls share one timer and one abort listener per rollout, signals are created
// lazily, target records go to a FileJournal as pre-encoded JSON lines, and the next batch's `applying` records are
// written while the current batch runs. These tests pin the guarantees that must survive those shortcuts.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileJournal, MemoryJournal, planRollout, resumeRollout, runRollout } from '../../src/rollout/index.js';
import type { HookContext, Journal, JournalRecord, RunOptions } from '../../src/rollout/index.js';
import type { Target } from '../../src/types.js';

function fleet(n: number): Target[] {
  return Array.from({ length: n }, (_, i) => ({ id: `t${String(i).padStart(5, '0')}`, labels: { region: ['a', 'b'][i % 2]! } }));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function opts(targets: Target[], overrides: Partial<RunOptions> = {}): RunOptions {
  return {
    plan: planRollout({ targets, stages: [{ name: 'all', percent: 100 }] }),
    proposed: { v: 2 },
    lkg: { v: 1 },
    apply: () => undefined,
    rollback: () => undefined,
    health: () => true,
    healthOptions: { interval: 5, timeout: 500 },
    ...overrides,
  };
}

const targetRecords = (records: JournalRecord[]) => records.filter((r) => r.type === 'target');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'confgate-hot-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('hook calls: one timer and one abort listener per rollout', () => {
  it('times out only the calls that hang, each with its own aborted signal; each late apply is rolled back again', async () => {
    const signals = new Map<string, AbortSignal>();
    const hang = new Set(['t00003', 't00011', 't00017']);
    const rollbacks: Array<{ id: string; generation: number }> = [];
    const applyGen = new Map<string, number>();
    const res = await runRollout(
      opts(fleet(20), {
        concurrency: 20,
        applyTimeout: 60,
        failureBudget: 3,
        settleTimeout: 5_000,
        apply: (t, ctx) => {
          signals.set(t.id, ctx.signal);
          applyGen.set(t.id, ctx.generation ?? 0);
          // the hung ones ignore their signal and land late (after the engine's first rollback)
          return hang.has(t.id) ? sleep(150).then(() => undefined) : sleep(5).then(() => undefined);
        },
        rollback: (t, ctx) => {
          rollbacks.push({ id: t.id, generation: ctx.generation ?? 0 });
        },
      }),
    );
    expect(res.status).toBe('incomplete'); // three targets are back on the LKG
    for (const [id, s] of signals) {
      expect(s.aborted, id).toBe(hang.has(id));
      if (hang.has(id)) {
        expect((s.reason as Error).name).toBe('TimeoutError');
        expect((s.reason as Error).message).toBe(`apply on ${id} timed out after 60ms`);
        expect(res.targets[id]).toMatchObject({ status: 'rolled-back' });
        // rolled back once at the timeout, once more after the late apply landed, with increasing generations
        const mine = rollbacks.filter((r) => r.id === id).map((r) => r.generation);
        expect(mine).toHaveLength(2);
        expect(mine[0]).toBeGreaterThan(applyGen.get(id)!);
        expect(mine[1]).toBeGreaterThan(mine[0]!);
      } else expect(res.targets[id]!.status, id).toBe('healthy');
    }
    expect(res.remaining!.map((r) => r.targetId).sort()).toEqual([...hang].sort());
  });

  it('the shared timer times out each call at its own deadline: a later call is not cut short by an earlier one', async () => {
    // concurrency 2, timeout 200: t00000 hangs (deadline ~200); t00001 ends at ~80, so t00002 starts at ~80 and ends
    // at ~240, before its own deadline (~280) but after the first call's.
    const res = await runRollout(
      opts(fleet(3), {
        concurrency: 2,
        applyTimeout: 200,
        settleTimeout: 20,
        failureBudget: 1,
        apply: (t) => {
          if (t.id === 't00000') return new Promise<void>(() => undefined);
          return sleep(t.id === 't00001' ? 80 : 160).then(() => undefined);
        },
      }),
    );
    // t00000 never settles: it is rolled back but reported as needing a person, never as `rolled-back`
    expect(res.status).toBe('failed');
    expect(res.targets.t00000).toMatchObject({ status: 'apply-timed-out', error: expect.stringMatching(/a person must check/) });
    expect(res.targets.t00002!.status).toBe('healthy');
  });

  it('a signal first read after the call timed out is already aborted; one read after success never aborts', async () => {
    const ctxs = new Map<string, HookContext>();
    const res = await runRollout(
      opts(fleet(2), {
        applyTimeout: 30,
        settleTimeout: 10,
        failureBudget: 1,
        apply: (t, ctx) => {
          ctxs.set(t.id, ctx); // the signal is not read during the call
          return t.id === 't00000' ? new Promise<void>(() => undefined) : undefined;
        },
      }),
    );
    expect(res.status).toBe('failed'); // t00000's apply never settled
    expect(ctxs.get('t00000')!.signal.aborted).toBe(true);
    expect((ctxs.get('t00000')!.signal.reason as Error).message).toMatch(/apply on t00000 timed out after 30ms/);
    expect(ctxs.get('t00001')!.signal.aborted).toBe(false);
  });

  it('a health call that hangs times out with its signal aborted, while the others pass', async () => {
    const seen: AbortSignal[] = [];
    const res = await runRollout(
      opts(fleet(6), {
        concurrency: 6,
        healthOptions: { interval: 5, timeout: 40, failureLimit: 1 },
        health: (t, ctx) => {
          if (t.id !== 't00004') return true;
          seen.push(ctx.signal);
          return new Promise<boolean>(() => undefined);
        },
      }),
    );
    // one hung check per round: the second round's failure exceeds the limit of 1
    expect(res.status).toBe('rolled-back');
    expect(res.reason).toMatch(/failed health checks exceed the limit of 1 \(first: t00004: health check of t00004 timed out after 40ms\)/);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((s) => s.aborted)).toBe(true);
  });

  it('aborting the rollout aborts every call in flight (eager and lazy signal readers), waits for them, then rolls back newest first', async () => {
    const ac = new AbortController();
    const eager: AbortSignal[] = [];
    const ctxs: HookContext[] = [];
    const order: string[] = [];
    const rolled: string[] = [];
    const started = fleet(8).length;
    const res = await runRollout(
      opts(fleet(8), {
        concurrency: 8,
        signal: ac.signal,
        applyTimeout: 150,
        settleTimeout: 300,
        apply: (t, ctx) => {
          order.push(t.id);
          if (order.length === started) setTimeout(() => ac.abort(new Error('operator pressed stop')), 10);
          if (order.length % 2 === 0) {
            eager.push(ctx.signal);
            // a hook that listens: it stops when aborted, some time later
            return new Promise<void>((_, reject) => ctx.signal.addEventListener('abort', () => setTimeout(() => reject(new Error('stopped')), 20)));
          }
          ctxs.push(ctx);
          return sleep(250).then(() => undefined); // ignores its signal: outlives its timeout, lands late
        },
        rollback: (t, ctx) => {
          rolled.push(t.id);
          expect(ctx.signal.aborted).toBe(false); // rollbacks get their own, un-aborted signal
        },
      }),
    );
    expect(res.status).toBe('aborted');
    for (const id of order) expect(res.targets[id]!.status, id).toBe('rolled-back');
    expect(res.reason).toMatch(/operator pressed stop/);
    expect(eager).toHaveLength(4);
    for (const s of [...eager, ...ctxs.map((c) => c.signal)]) {
      expect(s.aborted).toBe(true);
      expect((s.reason as Error).message).toBe('operator pressed stop');
    }
    // first rollback: every target newest first, after the eager applies settled; then the late ones again
    expect(rolled.slice(0, 8)).toEqual([...order].reverse());
    expect(rolled.slice(8).sort()).toEqual(order.filter((_, i) => i % 2 === 0).sort());
  });

  it('ctx keeps `signal` when spread, and it is the same signal', async () => {
    let same = false;
    let spreadSignal: unknown;
    await runRollout(
      opts(fleet(1), {
        apply: (_t, ctx) => {
          const copy = { ...ctx };
          spreadSignal = copy.signal;
          same = copy.signal === ctx.signal;
        },
      }),
    );
    expect(spreadSignal).toBeInstanceOf(AbortSignal);
    expect(same).toBe(true);
  });
});

describe('journal: encoded target records and pipelined batches', () => {
  it('a FileJournal holds exactly the target records a MemoryJournal receives (escaping included)', async () => {
    const weird = 'bad "quote" \\ back\nslash ünïcode \u2028';
    const run = (journal: Journal) =>
      runRollout(
        opts(fleet(40), {
          id: 'fixed',
          journal,
          failureBudget: 40,
          apply: (t) => {
            if (t.id.endsWith('7')) throw new Error(`${weird} ${t.id}`);
          },
          rollback: (t) => {
            if (t.id === 't00017') throw new Error(`rollback ${weird}`);
          },
        }),
      );
    const mem = new MemoryJournal();
    const a = await run(mem);
    const path = join(dir, 'j.jsonl');
    const b = await run(new FileJournal(path));
    expect(b.status).toBe(a.status);
    const fromFile = await new FileJournal(path).read();
    expect(targetRecords(fromFile)).toEqual(JSON.parse(JSON.stringify(targetRecords(mem.records))));
    // and each line is what JSON.stringify writes for the record
    const lines = (await readFile(path, 'utf8')).split('\n').filter((l) => l.includes('"type":"target"'));
    // each line wraps the record (fencing token, checksum): {"f":1,"c":"<crc32>","r":<record>}
    expect(lines.map((l) => l.replace(/^\{"f":\d+,"c":"[0-9a-f]{8}","r":/, '').slice(0, -1))).toEqual(targetRecords(mem.records).map((r) => JSON.stringify(r)));
    expect(targetRecords(fromFile).some((r) => r.type === 'target' && r.state.status === 'rollback-failed')).toBe(true);
  });

  it('FileJournal: every apply runs after its `applying` line is on disk (large wave, pipelined batches)', async () => {
    const path = join(dir, 'big.jsonl');
    let checked = 0;
    let missing: string | undefined;
    const res = await runRollout(
      opts(fleet(3000), {
        journal: path,
        concurrency: 4,
        apply: (t) => {
          if (Number(t.id.slice(1)) % 97 !== 0) return;
          checked++;
          const text = readFileSync(path, 'utf8');
          if (!text.includes(`"r":{"type":"target","targetId":"${t.id}","state":{"status":"applying","stage":0}}}\n`)) missing ??= t.id;
        },
      }),
    );
    expect(res.status).toBe('completed');
    expect(checked).toBeGreaterThan(20);
    expect(missing).toBeUndefined();
  });

  it('slow journal: each apply sees its durable `applying` record; the batches grow, flushes stay few', async () => {
    const inner = new MemoryJournal();
    const durable = new Set<string>();
    const sizes: number[] = [];
    const journal: Journal = {
      lock: () => inner.lock(),
      unlock: () => inner.unlock(),
      read: () => inner.read(),
      append: async (records) => {
        await sleep(3); // a slow fsync
        await inner.append(records);
        sizes.push(records.filter((r) => r.type === 'target' && r.state.status === 'applying').length);
        for (const r of records) if (r.type === 'target' && r.state.status === 'applying') durable.add(r.targetId);
      },
    };
    const notDurable: string[] = [];
    const res = await runRollout(
      opts(fleet(20_000), {
        journal,
        concurrency: 1,
        apply: (t) => {
          if (!durable.has(t.id)) notDurable.push(t.id);
        },
      }),
    );
    expect(res.status).toBe('completed');
    expect(notDurable).toEqual([]);
    const batches = sizes.filter((n) => n > 0);
    expect(batches[0]).toBe(256); // max(256, 4 x concurrency)
    expect(Math.max(...batches)).toBeGreaterThan(256); // grew while the flush was the bottleneck
    expect(Math.max(...batches)).toBeLessThanOrEqual(256 * 64);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(20_000);
  });

  it('a budget stop leaves the pre-journaled next batch `pending` (skipped), never applied, and resume-safe', async () => {
    const applied: string[] = [];
    const journal = new MemoryJournal();
    const res = await runRollout(
      opts(fleet(1000), {
        journal,
        concurrency: 1,
        apply: (t) => {
          applied.push(t.id);
          if (t.id === 't00010') throw new Error('boom');
        },
      }),
    );
    expect(res.status).toBe('rolled-back');
    expect(applied).toHaveLength(11); // concurrency 1: nothing after the failure
    const last = new Map<string, string>();
    for (const r of journal.records) if (r.type === 'target') last.set(r.targetId, r.state.status);
    // the second batch (t00256..) was journaled `applying` while the first ran, then `pending`
    expect(journal.records.some((r) => r.type === 'target' && r.targetId === 't00256' && r.state.status === 'applying')).toBe(true);
    for (const t of fleet(1000)) {
      const s = res.targets[t.id]!.status;
      if (applied.includes(t.id)) expect(s, t.id).toBe('rolled-back');
      else {
        expect(s, t.id).toBe('skipped');
        if (last.has(t.id)) expect(last.get(t.id), t.id).toBe('pending');
      }
    }
    // a crash right after the pre-journaled batch was durable: resume rolls back everything that may have changed
    const cut = journal.records.findIndex((r) => r.type === 'target' && r.targetId === 't00256' && r.state.status === 'applying');
    const crashed = new MemoryJournal();
    await crashed.append(journal.records.slice(0, cut + 1));
    const rolled: string[] = [];
    const resumed = await resumeRollout(crashed, { rollback: (t) => void rolled.push(t.id) });
    expect(resumed.status).toBe('rolled-back');
    expect(rolled).toContain('t00000');
    expect(rolled).toContain('t00256');
    for (const s of Object.values(resumed.targets)) expect(['rolled-back', 'skipped']).toContain(s.status);
  });
});
