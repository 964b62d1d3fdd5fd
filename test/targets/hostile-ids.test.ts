/**
 * Hostile target ids are rejected when the targets are read (library: TargetsError / OptionsError; CLI: exit 2 naming
 * the entry), and whatever reaches `confgate rollout`'s text output from hooks is escaped, never raw control bytes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '../../src/cli/main.js';
import { formatRolloutResult, RolloutProgress } from '../../src/cli/rollout.js';
import { MAX_TARGET_ID_LENGTH, normalizeTargets, OptionsError, planRollout, targetIdProblem, TargetsError } from '../../src/index.js';
import type { RolloutResult } from '../../src/index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'confgate-hostile-ids-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

const hostile: Array<[string, string, RegExp]> = [
  ['NUL', 'pop\u0000ams', /control character U\+0000 at position 3/],
  ['ESC (clear screen, set title)', 'x\u001b[2J\u001b]0;pwned\u0007', /control character U\+001B at position 1/],
  ['newline', 'a\nb', /U\+000A/],
  ['tab', 'a\tb', /U\+0009/],
  ['DEL', 'a\u007f', /U\+007F/],
  ['C1 CSI', 'a\u009b31m', /U\+009B/],
  ['bidi override (Trojan Source)', 'abc\u202edcb', /U\+202E/],
  ['line separator', 'a\u2028b', /U\+2028/],
  ['empty', '', /must not be empty/],
  ['200 KB', 'x'.repeat(200 * 1024), /is 204800 characters long \(at most 256\)/],
];

describe('target ids', () => {
  it.each(hostile)('normalizeTargets rejects an id with %s, naming the entry', (_name, id, why) => {
    const err = (() => {
      try {
        normalizeTargets({ targets: [{ id: 'ok-1', labels: {} }, { id, labels: { region: 'AMS' } }] }, 'targets.yaml');
      } catch (e) {
        return e;
      }
      return undefined;
    })() as TargetsError;
    expect(err).toBeInstanceOf(TargetsError);
    expect(err.code).toBe('E_TARGETS_INVALID');
    expect(err.message).toMatch(/^targets\.yaml: \/targets\/1\/id /);
    expect(err.message).toMatch(why);
    // the message itself is safe to print and short
    expect(err.message).not.toMatch(RAW_CONTROL);
    expect(err.message.length).toBeLessThan(300);
  });

  it('accepts ordinary ids, shell metacharacters, non-Latin letters and exactly 256 characters', () => {
    const ids = ['pop-ams-1', 'a;rm -rf /', '$(id)', '東京-1', 'x'.repeat(MAX_TARGET_ID_LENGTH), 42];
    expect(normalizeTargets(ids.map((id) => ({ id, labels: {} }))).map((t) => t.id)).toEqual(ids.map(String));
    expect(targetIdProblem('x'.repeat(MAX_TARGET_ID_LENGTH + 1))).toMatch(/at most 256/);
  });

  it('planRollout rejects the same ids (OptionsError naming the entry)', () => {
    for (const [, id, why] of hostile) {
      expect(() => planRollout({ targets: [{ id: 'ok', labels: {} }, { id, labels: {} }], stages: [{ name: 'all', percent: 100 }] })).toThrow(OptionsError);
      expect(() => planRollout({ targets: [{ id: 'ok', labels: {} }, { id, labels: {} }], stages: [{ name: 'all', percent: 100 }] })).toThrow(why);
    }
  });
});

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const value: CliIo = { stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), env: {}, isTTY: false, cwd: dir, now: () => new Date('2025-11-18T11:20:00Z') };
  return { io: value, out: () => out.join(''), err: () => err.join('') };
}

describe('CLI', () => {
  it('a targets file with a hostile id: exit 2, one line naming the entry, nothing raw on the terminal', async () => {
    writeFileSync(path.join(dir, 'targets.json'), JSON.stringify({ targets: [{ id: 'ok', labels: {} }, { id: 'evil\u001b]0;pwned\u0007', labels: {} }] }));
    const x = io();
    const code = await runCli(['plan', '--targets', 'targets.json'], x.io);
    expect(code).toBe(2);
    expect(x.err()).toMatch(/targets\.json: \/targets\/1\/id contains the control character U\+001B/);
    expect(x.err().trim().split('\n')).toHaveLength(1);
    expect(x.err() + x.out()).not.toMatch(RAW_CONTROL);
  });

  it('confgate rollout escapes control characters in hook stderr (progress on stderr, result on stdout)', async () => {
    writeFileSync(path.join(dir, 'live.json'), JSON.stringify({ version: '1.0.0', a: 1 }));
    writeFileSync(path.join(dir, 'next.json'), JSON.stringify({ version: '1.0.1', a: 2 }));
    writeFileSync(path.join(dir, 'fleet.json'), JSON.stringify({ targets: [{ id: 't1', labels: {} }, { id: 't2', labels: {} }] }));
    writeFileSync(path.join(dir, 'policy.yaml'), 'version: 1\nrollout:\n  stages:\n    - { name: canary, count: 1 }\n    - { name: all, percent: 100 }\n');
    const evil = JSON.stringify([process.execPath, '-e', "process.stderr.write('\\u001b]0;pwned\\u0007\\u001b[2Jdeploy failed\\u202e'); process.exit(1)"]);
    const ok = JSON.stringify([process.execPath, '-e', '0']);
    const x = io();
    const code = await runCli(
      ['rollout', '--proposed', 'next.json', '--current', 'live.json', '--targets', 'fleet.json', '--policy', 'policy.yaml', '--apply', evil, '--rollback', ok, '--journal', 'j.journal'],
      x.io,
    );
    expect(code).toBe(1);
    const all = x.out() + x.err();
    expect(all).toMatch(/\\u001b\]0;pwned\\u0007\\u001b\[2Jdeploy failed\\u202e/);
    // no raw control characters anywhere (the text output has no colour when not on a TTY)
    expect(all.replace(/\n/g, '')).not.toMatch(RAW_CONTROL);
  });

  it('formatRolloutResult and RolloutProgress escape ids, stage names, reasons and errors a library caller passes', () => {
    const id = 'evil\u001b[2J';
    const result: RolloutResult = {
      status: 'failed',
      id: 'r\u001b1',
      reason: 'denied \u001b]0;x\u0007',
      targets: { [id]: { status: 'rollback-failed', stage: 0, error: 'boom\u009b' } },
      stages: [{ index: 0, name: 'can\u001bary', status: 'failed', targets: 1, applied: 1, applyFailures: 0, healthRounds: 0, healthFailures: 0, reason: 'x\u0007' }],
      errors: [],
    };
    const text = formatRolloutResult(result);
    expect(text.replace(/\n/g, '')).not.toMatch(RAW_CONTROL);
    expect(text).toContain('evil\\u001b[2J');
    const lines: string[] = [];
    const progress = new RolloutProgress({ stdout: () => undefined, stderr: (t) => void lines.push(t), env: {}, isTTY: false, cwd: dir, now: () => new Date(0) }, false);
    progress.event({ type: 'rollout.started', id: 'r\u001b1', waves: 1, targets: 1 });
    progress.event({ type: 'stage.started', stage: 0, name: 'can\u001bary', targets: 1 });
    progress.event({ type: 'target.apply-failed', targetId: id, stage: 0, error: 'stderr \u001b[31mred' });
    progress.event({ type: 'rollout.finished', id: 'r\u001b1', status: 'failed', reason: 'why \u202e' });
    expect(lines.join('').replace(/\n/g, '')).not.toMatch(RAW_CONTROL);
    expect(lines.join('')).toContain('stderr \\u001b[31mred');
  });
});
