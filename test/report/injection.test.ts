/**
 * CI-log injection: data from a config, a policy, a targets file or a file name must never become a workflow
 * command when a report is printed to a GitHub Actions log. The runner executes a line that starts with `::`
 * (after leading spaces), and a line containing the legacy `##[` anywhere. Every format of every command is
 * checked, with forged commands planted in enum values, keys, duplicate keys, target ids and labels, window
 * names and the file name, in many line-break spellings (generated).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';

const BREAKS = ['\n', '\r\n', '\r', '\n   ', '\n\t', '\u2028', '\u0085'];
const COMMANDS = ['::error file=app.js,line=1::forged', '::add-mask::forged', '::stop-commands::forged', '##[add-mask]forged', '##[error]forged', '::warning::forged'];
/** Every command after every line break, and the legacy form inline. */
const PAYLOADS = [...BREAKS.flatMap((b, i) => [`x${b}${COMMANDS[i % COMMANDS.length]}`]), ...COMMANDS.map((c) => `inline ${c}`), 'esc \u001b[31m red \u202e rtl \u2066 iso'];

/**
 * A line the runner would execute: `::cmd` at the start after spaces, or `##[` anywhere. `allowed` are the
 * format's own commands (the github format): the runner reads such a line as that one command, so data inside
 * it (escaped by the format) cannot start another.
 */
function forgedLines(out: string, allowed: RegExp | undefined): string[] {
  return out.split(/\r\n|\r|\n/).filter((line) => {
    if (allowed && allowed.test(line)) return false;
    return /##\[/.test(line) || /^\s*::/.test(line);
  });
}

const dir = mkdtempSync(path.join(tmpdir(), 'confgate-inject-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const proposed: Record<string, unknown> = { version: '1.0.1', mode: PAYLOADS[0] };
PAYLOADS.forEach((p, i) => (proposed[`k${i} ${p}`] = i));
const current = { version: '1.0.0', mode: 'a' };
const policy = {
  version: 1,
  schema: { type: 'object', properties: { mode: { enum: ['a', 'b', PAYLOADS[1]] } } },
  windows: PAYLOADS.map((p, i) => ({ name: `freeze ${i} ${p}`, kind: 'freeze', start: '2025-06-01T00:00:00Z', end: '2025-06-02T00:00:00Z' })),
  rollout: { stages: [{ name: 'canary', count: 1 }, { name: 'all', percent: 100 }], failureDomain: 'region' },
};
// A targets file refuses control characters in ids and labels (exit 2): targets carry the payloads without them.
const printable = PAYLOADS.filter((p) => !/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(p));
const targets = { targets: printable.map((p, i) => ({ id: `t${i} ${p}`, labels: { region: `r${i % 3} ${p}` } })) };
// A YAML file with a duplicate hostile key, named with a newline and a command.
const fileName = `proposed\n::error::forged ##[add-mask]x.yaml`;
const yamlKey = JSON.stringify(`dup\n::add-mask::forged ##[x]`);
writeFileSync(path.join(dir, fileName), `version: 1.0.1\n${yamlKey}: 1\n${yamlKey}: 2\n`);
writeFileSync(path.join(dir, 'proposed.json'), JSON.stringify(proposed));
writeFileSync(path.join(dir, 'current.json'), JSON.stringify(current));
writeFileSync(path.join(dir, 'confgate.json'), JSON.stringify(policy));
writeFileSync(path.join(dir, 'targets.json'), JSON.stringify(targets));

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    env: {},
    isTTY: false,
    cwd: dir,
    now: () => new Date('2025-06-01T12:00:00Z'),
  });
  return { code, stdout, stderr };
}

const AT = ['--at', '2025-06-01T12:00:00Z'];
/** The github format's own commands: annotations, and the stop-commands pair around the text report it prints first. */
const GITHUB_OWN = /^::(error|warning|notice)( [^:]*)?::|^::stop-commands::confgate-[0-9a-f]+$|^::confgate-[0-9a-f]+::$/;
const ANNOTATION = /^::(error|warning|notice)( [^:]*)?::/;

describe('no forged workflow command in any output', () => {
  const formats = ['text', 'json', 'markdown', 'sarif', 'github', 'html'] as const;
  it.each(formats.map((f) => [f] as const))('check --format %s (JSON config: keys, enum value, windows, targets)', async (format) => {
    const r = await run(['check', '--proposed', 'proposed.json', '--current', 'current.json', '--policy', 'confgate.json', '--targets', 'targets.json', '--format', format, ...AT]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('forged'); // the data is there, in a harmless form
    expect(forgedLines(r.stdout, format === 'github' ? GITHUB_OWN : undefined)).toEqual([]);
    expect(forgedLines(r.stderr, undefined)).toEqual([]);
  });

  it.each(formats.map((f) => [f] as const))('check --format %s (YAML file with a hostile name and duplicate key)', async (format) => {
    const r = await run(['check', '--proposed', fileName, '--format', format, ...AT]);
    expect(r.code).toBe(1);
    expect(forgedLines(r.stdout, format === 'github' ? GITHUB_OWN : undefined)).toEqual([]);
  });

  it('github annotations carry no raw controls or bidi overrides', async () => {
    const r = await run(['check', '--proposed', 'proposed.json', '--current', 'current.json', '--policy', 'confgate.json', '--targets', 'targets.json', '--format', 'github', ...AT]);
    // No raw ESC, C1 or bidi control anywhere (the text part shows them as escapes); none at all in annotations.
    expect(r.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
    const annotations = r.stdout.split('\n').filter((l) => ANNOTATION.test(l));
    expect(annotations.length).toBeGreaterThan(10);
    for (const line of annotations) expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
  });

  it.each([['text'], ['json']] as const)('diff, plan and windows --format %s', async (format) => {
    for (const args of [
      ['diff', 'current.json', 'proposed.json', '--policy', 'confgate.json'],
      ['plan', '--targets', 'targets.json', '--policy', 'confgate.json', ...AT],
      ['windows', '--policy', 'confgate.json', ...AT],
    ]) {
      const r = await run([...args, '--format', format]);
      expect(r.code, args[0]).toBe(0);
      expect(r.stdout, args[0]).toContain('forged');
      expect(forgedLines(r.stdout, undefined), args[0]).toEqual([]);
    }
  });

  it('JSON outputs still parse to the original data (the `##[` escape is lossless)', async () => {
    const r = await run(['diff', 'current.json', 'proposed.json', '--format', 'json']);
    const parsed = JSON.parse(r.stdout) as { changes: Array<{ path: string }> };
    expect(parsed.changes.some((c) => c.path.includes('##[add-mask]forged'))).toBe(true);
  });
});
