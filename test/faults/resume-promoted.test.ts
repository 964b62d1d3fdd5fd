/** Resume must not undo a rollout that finished and promoted its config but could not journal its end. */
import { describe, expect, it } from 'vitest';
import { MemoryJournal, planRollout, resumeRollout, runRollout } from '../../src/index.js';

describe('resume after a lost final journal record', () => {
  const targets = ['a', 'b', 'c'].map((id) => ({ id, labels: {} }));
  const plan = planRollout({ targets, stages: [{ name: 'canary', count: 1 }, { name: 'all', percent: 100 }] });

  it('reports completed and rolls nothing back when the journal shows the promotion', async () => {
    const journal = new MemoryJournal();
    const result = await runRollout({
      plan, proposed: { v: 2 }, lkg: { v: 1 }, journal,
      apply: () => undefined, rollback: () => undefined, health: () => true, promote: () => undefined,
      healthOptions: { interval: 1 },
    });
    expect(result.status).toBe('completed');
    // Simulate a crash after `promoted` was journaled but before `rollout.finished` was.
    const last = journal.records.pop();
    expect(last?.type).toBe('rollout.finished');
    expect(journal.records.some((r) => r.type === 'promoted')).toBe(true);
    const rolledBack: string[] = [];
    const resumed = await resumeRollout(journal, { rollback: (t) => void rolledBack.push(t.id) });
    expect(resumed.status).toBe('completed');
    expect(resumed.resumed).toBe(true);
    expect(rolledBack).toEqual([]);
  });

  it('still rolls back when the crash came before the promotion', async () => {
    const journal = new MemoryJournal();
    await runRollout({
      plan, proposed: { v: 2 }, lkg: { v: 1 }, journal,
      apply: () => undefined, rollback: () => undefined, health: () => true, promote: () => undefined,
      healthOptions: { interval: 1 },
    });
    // Cut the journal back to just before `promoted`.
    const at = journal.records.findIndex((r) => r.type === 'promoted');
    journal.records.splice(at);
    const rolledBack: string[] = [];
    const resumed = await resumeRollout(journal, { rollback: (t) => void rolledBack.push(t.id) });
    expect(resumed.status).toBe('rolled-back');
    expect(rolledBack.sort()).toEqual(['a', 'b', 'c']);
  });
});
