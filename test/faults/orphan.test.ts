// "An apply orphaned by SIGKILL lands after the resume" (issue 9): the engine journals each hook's process group
// (ctx.onSpawn); a resume waits for that group (up to settleTimeout), then kills it, before it rolls the target back.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileJournal, resumeRollout } from '../../src/index.js';

const lib = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'confgate-orphan-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Start the child rollout, wait until its hook's process group is journaled, then SIGKILL the child. */
async function crashWithOrphan(delayMs: number): Promise<{ journal: string; fleet: string }> {
  expect(existsSync(lib), 'dist/index.js (npm run build)').toBe(true);
  const journal = join(dir, 'rollout.journal');
  const fleet = join(dir, 'fleet.log');
  await writeFile(fleet, '');
  const child = spawn(process.execPath, [fileURLToPath(new URL('./fixtures/orphan-child.mjs', import.meta.url)), lib, journal, fleet, String(delayMs)], { stdio: 'ignore' });
  const exited = new Promise((r) => child.on('exit', r));
  const end = Date.now() + 60_000;
  for (;;) {
    const text = existsSync(journal) ? await readFile(journal, 'utf8') : '';
    if (text.includes('"type":"spawn"')) break;
    if (Date.now() > end) throw new Error('the child never journaled its hook process group');
    await sleep(10);
  }
  child.kill('SIGKILL');
  await exited;
  return { journal, fleet };
}

describe('resume after SIGKILL with an orphaned apply process group', () => {
  it('waits for the orphan to finish before rolling back: the rollback is the last thing the target sees', async () => {
    const { journal, fleet } = await crashWithOrphan(800);
    const res = await resumeRollout(new FileJournal(journal, { documents: { lkg: { v: 1 } } }), { // the journal keeps only the LKG's hash
      settleTimeout: '30s',
      rollback: async (t) => writeFile(fleet, `rollback ${t.id}\n`, { flag: 'a' }),
    });
    expect(res.status).toBe('rolled-back');
    await sleep(300);
    const lines = (await readFile(fleet, 'utf8')).trim().split('\n');
    expect(lines).toEqual(['apply-landed edge-1', 'rollback edge-1']);
    const records = await new FileJournal(journal).read();
    expect(records.find((r) => r.type === 'spawn')).toMatchObject({ targetId: 'edge-1', generation: 1 });
  });

  it('kills an orphan that outlives settleTimeout, so it never lands after the rollback', async () => {
    const { journal, fleet } = await crashWithOrphan(4_000);
    const events: string[] = [];
    const res = await resumeRollout(new FileJournal(journal, { documents: { lkg: { v: 1 } } }), { // the journal keeps only the LKG's hash
      settleTimeout: 200,
      rollback: async (t) => writeFile(fleet, `rollback ${t.id}\n`, { flag: 'a' }),
      onEvent: (e) => {
        if (e.type === 'warning') events.push(e.message);
      },
    });
    expect(res.status).toBe('rolled-back');
    expect(events.some((m) => /killed hook process group/.test(m))).toBe(true);
    await sleep(4_500); // past the moment the orphan would have landed
    expect((await readFile(fleet, 'utf8')).trim().split('\n')).toEqual(['rollback edge-1']);
  });
});
