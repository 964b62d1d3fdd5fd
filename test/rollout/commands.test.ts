// The operator-command channel of the journals (`postCommand` / `readCommands`): a FileJournal keeps it in an
// append-only side file `<path>.commands`; seq is the line number; a torn or malformed line is never a command.
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileJournal, MemoryJournal } from '../../src/index.js';
import type { Journal, OperatorCommand } from '../../src/index.js';

const cmd = (command: OperatorCommand['command'], extra: Partial<OperatorCommand> = {}): OperatorCommand => ({
  command,
  id: `id-${command}-${Math.random()}`,
  user: 'alice',
  host: 'ops-1',
  ts: '2026-01-05T10:00:00.000Z',
  ...extra,
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'confgate-commands-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('operator-command channel', () => {
  for (const kind of ['file', 'memory'] as const) {
    it(`${kind}: commands come back in order with increasing seq; readCommands(n) returns only later ones`, async () => {
      const j: Journal = kind === 'file' ? new FileJournal(join(dir, 'r.journal')) : new MemoryJournal();
      expect(await j.readCommands!(0)).toEqual([]);
      await j.postCommand!(cmd('pause', { reason: 'look first' }));
      await j.postCommand!(cmd('continue', { rolloutId: 'r-1' }));
      await j.postCommand!(cmd('abort'));
      const all = await j.readCommands!(0);
      expect(all.map((c) => [c.seq, c.command])).toEqual([[1, 'pause'], [2, 'continue'], [3, 'abort']]);
      expect(all[0]).toMatchObject({ user: 'alice', host: 'ops-1', reason: 'look first' });
      expect(all[1]!.rolloutId).toBe('r-1');
      expect((await j.readCommands!(2)).map((c) => c.command)).toEqual(['abort']);
      await expect(j.postCommand!({ ...cmd('pause'), command: 'reboot' as never })).rejects.toMatchObject({ code: 'E_OPTIONS_INVALID' });
    });
  }

  it('file: concurrent posters never interleave; a torn last line and a malformed line are not commands', async () => {
    const path = join(dir, 'r.journal');
    const writers = Array.from({ length: 20 }, (_, i) => new FileJournal(path).postCommand(cmd(i % 2 ? 'pause' : 'continue', { reason: 'x'.repeat(500 + i) })));
    await Promise.all(writers);
    const text = await readFile(`${path}.commands`, 'utf8');
    expect(text.split('\n').filter(Boolean).every((l) => JSON.parse(l).user === 'alice')).toBe(true);
    await appendFile(`${path}.commands`, 'not json\n{"command":"abort","user":"eve"'); // malformed, then torn
    const j = new FileJournal(path);
    const all = await j.readCommands(0);
    expect(all).toHaveLength(20);
    expect(all.map((c) => c.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    await appendFile(`${path}.commands`, ',"host":"h","id":"z","ts":"t"}\n'); // the torn line completes
    const later = await j.readCommands(20);
    expect(later).toMatchObject([{ seq: 22, command: 'abort', user: 'eve' }]); // line 21 was malformed: skipped, seq kept
  });
});
