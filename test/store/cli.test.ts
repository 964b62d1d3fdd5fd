/** `confgate history` and `confgate unlock`, and the rollout's store options (--journal URL, --scope, --actor, --reason). */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '../../src/cli/main.js';
import { FileJournal, planRollout } from '../../src/index.js';
import { dropSchemas, freshSchema, PG_URL, sql } from './pg.js';
import pg from 'pg';

const root = mkdtempSync(path.join(tmpdir(), 'confgate-store-cli-'));
const lockDir = path.join(root, 'locks');
const schema = freshSchema('confgate_cli');
afterAll(async () => {
  rmSync(root, { recursive: true, force: true });
  await dropSchemas(schema);
});

const NOOP = `${process.execPath} -e 0`;
let n = 0;
function workdir(): string {
  const dir = path.join(root, `w${n++}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'edge-fleet.json'), JSON.stringify({ targets: [{ id: 'a', labels: {} }, { id: 'b', labels: {} }] }));
  writeFileSync(path.join(dir, 'confgate.yaml'), 'version: 1\nrollout:\n  stages:\n    - { name: all, percent: 100 }\n  health: { interval: 10ms, timeout: 10s }\n');
  writeFileSync(path.join(dir, 'live.json'), JSON.stringify({ version: '1.0.0', token: 'sk_live_abcdef123456' }));
  writeFileSync(path.join(dir, 'next.json'), JSON.stringify({ version: '1.0.1', token: 'sk_live_abcdef123456' }));
  return dir;
}

async function cli(dir: string, args: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    env: { CONFGATE_LOCK_DIR: lockDir, ...env },
    isTTY: false,
    cwd: dir,
    now: () => new Date('2026-01-05T10:00:00Z'),
  };
  const code = await runCli(args, io);
  return { code, stdout: out.join(''), stderr: err.join('') };
}
const rollout = ['rollout', '--proposed', 'next.json', '--current', 'live.json', '--targets', 'edge-fleet.json', '--policy', 'confgate.yaml', '--apply', NOOP, '--rollback', NOOP];
const GITHUB = { GITHUB_ACTOR: 'octocat', GITHUB_SHA: 'deadbeefcafe0123', GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/edge', GITHUB_RUN_ID: '42' };

describe('file store from the CLI', () => {
  it('records the audit trail; history lists past rollouts (text and json); the scope comes from the targets file', async () => {
    const dir = workdir();
    const first = await cli(dir, [...rollout, '--reason', 'rotate feature flags'], GITHUB);
    expect(first.code, first.stderr).toBe(0);
    const second = await cli(dir, [...rollout, '--actor', 'alice', '--reason', 'retry'], GITHUB);
    expect(second.code, second.stderr).toBe(0);
    const text = await cli(dir, ['history']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^scope targets:edge-fleet: 2 rollouts, newest first/);
    expect(text.stdout).toMatch(/COMPLETED by alice \(retry\) commit deadbeefcafe gate (allow|warn) \d+/);
    expect(text.stdout).toMatch(/COMPLETED by octocat \(rotate feature flags\)/);
    expect(text.stdout).toMatch(/CI run: https:\/\/github\.com\/acme\/edge\/actions\/runs\/42/);
    const json = JSON.parse((await cli(dir, ['history', '--format', 'json'])).stdout) as { scope: string; rollouts: Array<{ status: string; audit: Record<string, unknown> }> };
    expect(json.scope).toBe('targets:edge-fleet');
    expect(json.rollouts).toHaveLength(2);
    expect(json.rollouts[1]!.audit).toMatchObject({ actor: 'octocat', commit: 'deadbeefcafe0123', ciUrl: 'https://github.com/acme/edge/actions/runs/42' });
    expect(await cli(dir, ['history', '--limit', '0'])).toMatchObject({ code: 2 });
  });

  it('--heartbeat sets the renewal interval; it must be shorter than the lease', async () => {
    const dir = workdir();
    const bad = await cli(dir, [...rollout, '--heartbeat', '40s']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--heartbeat \(40000ms\) must be positive and shorter than --lease-ttl \(30000ms\)/);
    const ok = await cli(dir, [...rollout, '--lease-ttl', '2s', '--heartbeat', '500ms']);
    expect(ok.code, ok.stderr).toBe(0);
  });

  it('unlock shows the lock; --force needs the right rollout id and then releases it', async () => {
    const dir = workdir();
    const holder = new FileJournal(path.join(dir, 'confgate-rollout.journal'), { lockDir, scope: 'targets:edge-fleet' });
    await holder.lock({ rolloutId: 'roll-stuck' });
    const blocked = await cli(dir, rollout);
    expect(blocked.code).toBe(2);
    expect(blocked.stderr).toMatch(/scope targets:edge-fleet is locked rollout roll-stuck by/);
    const show = await cli(dir, ['unlock', '--scope', 'targets:edge-fleet']);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/LOCKED \(token \d+\)\n {2}rollout: {2}roll-stuck\n {2}holder: {3}\S+@\S+ pid \d+/);
    expect(show.stderr).toMatch(/confgate unlock --journal confgate-rollout\.journal --force roll-stuck/);
    const wrong = await cli(dir, ['unlock', '--scope', 'targets:edge-fleet', '--force', 'roll-other']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/nothing released/);
    const ok = await cli(dir, ['unlock', '--scope', 'targets:edge-fleet', '--force', 'roll-stuck', '--by', 'oncall-bob']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/released the lock of rollout roll-stuck/);
    const runs = await cli(dir, rollout);
    expect(runs.code, runs.stderr).toBe(0);
    await expect(holder.append([{ type: "resume.started", ts: "x" }])).rejects.toMatchObject({ code: "E_FENCED" }); // the old holder is fenced
    await holder.unlock();
  });
});

describe('PostgreSQL store from the CLI', () => {
  const url = `${PG_URL}?schema=${schema}`;
  it('--journal postgres://… runs, and history/unlock read the same scope from anywhere (CONFGATE_JOURNAL too)', async () => {
    const a = workdir();
    const r = await cli(a, [...rollout, '--journal', url, '--scope', 'edge-prod', '--actor', 'carol']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/journal at postgres:\/\/postgres@127\.0\.0\.1:5432\/test\?schema=/);
    const b = workdir(); // another machine's checkout
    const h = await cli(b, ['history', '--scope', 'edge-prod', '--format', 'json'], { CONFGATE_JOURNAL: url });
    expect(h.code, h.stderr).toBe(0);
    expect(JSON.parse(h.stdout).rollouts[0]).toMatchObject({ status: 'completed', audit: { actor: 'carol' }, targets: 2 });
    const u = await cli(b, ['unlock', '--scope', 'edge-prod'], { CONFGATE_JOURNAL: url });
    expect(u.stdout).toMatch(/scope edge-prod: free/);
    expect((await cli(b, ['history'], { CONFGATE_JOURNAL: url })).stderr).toMatch(/--scope is required with a PostgreSQL journal/);
  });
});

describe('history --format ndjson: the event stream of one rollout, as --events wrote it', () => {
  // an apply hook that echoes the config (with its secret) on stderr and fails on target b: the failure's message
  // carries the secret into the events, where it must be masked
  const LEAKY = JSON.stringify([process.execPath, '-e', "process.stderr.write(require('fs').readFileSync(process.env.CONFGATE_CONFIG_FILE, 'utf8')); process.exit(process.env.CONFGATE_TARGET_ID === 'b' ? 1 : 0)"]);
  const SECRET = 'sk_live_abcdef123456';
  const leaky = (dir: string): string[] => {
    writeFileSync(path.join(dir, 'next.json'), JSON.stringify({ version: '1.0.1', token: SECRET, flag: true }));
    return ['rollout', '--proposed', 'next.json', '--current', 'live.json', '--targets', 'edge-fleet.json', '--policy', 'confgate.yaml', '--apply', LEAKY, '--rollback', NOOP, '--events', 'events.ndjson'];
  };

  it('a resume\'s events are masked with the secrets of the documents it was given (--current), in --events and in the store', async () => {
    const dir = workdir();
    const journal = path.join(dir, 'confgate-rollout.journal');
    const lkg = JSON.parse(readFileSync(path.join(dir, 'live.json'), 'utf8')) as Record<string, unknown>;
    // an unfinished rollout: target a was being applied when its process died
    const j = new FileJournal(journal, { lockDir, scope: 'targets:edge-fleet' });
    await j.lock();
    const targets = [{ id: 'a', labels: {} }, { id: 'b', labels: {} }];
    await j.append([
      { type: 'rollout.started', v: 1, id: 'r-crashed', ts: new Date().toISOString(), plan: planRollout({ targets, stages: [{ name: 'all', percent: 100 }] }), proposed: { version: '1.0.1' }, lkg, changes: [] },
      { type: 'target', targetId: 'a', state: { status: 'applying', stage: 0 } },
    ]);
    await j.unlock();
    // the rollback hook echoes the LKG (with its secret) and fails: the failure's message carries the secret
    const r = await cli(dir, ['rollout', '--resume', '--current', 'live.json', '--rollback', LEAKY.replace("=== 'b' ? 1 : 0", "=== 'a' ? 1 : 0"), '--events', 'resume.ndjson']);
    expect(r.code, r.stderr).toBe(1);
    const events = readFileSync(path.join(dir, 'resume.ndjson'), 'utf8');
    expect(events).toMatch(/"type":"target.rollback-failed"/);
    expect(events).toMatch(/«secret sha256:[0-9a-f]{8}»/);
    expect(events).not.toContain(SECRET);
    expect(readFileSync(`${journal}.events`, 'utf8')).not.toContain(SECRET);
    expect((await cli(dir, ['history', '--rollout', 'r-crashed', '--format', 'ndjson'])).stdout).toBe(events);
  });

  for (const store of ['file', 'postgres'] as const) {
    it(`${store} store: equals the --events stream byte for byte, secrets masked, from another working directory`, async () => {
      const dir = workdir();
      const where = store === 'file' ? ['--journal', path.join(dir, 'confgate-rollout.journal')] : ['--journal', `${PG_URL}?schema=${schema}`, '--scope', 'ndjson-prod'];
      // an earlier rollout on the same scope: its events must not be mixed in
      expect((await cli(dir, [...rollout, ...where])).code).toBe(0);
      const r = await cli(dir, [...leaky(dir), ...where]);
      expect(r.code, r.stderr).toBe(1);
      const events = readFileSync(path.join(dir, 'events.ndjson'), 'utf8');
      expect(events).toMatch(/"type":"target.apply-failed"/);
      expect(events).toMatch(/«secret sha256:[0-9a-f]{8}»/);
      expect(events).not.toContain(SECRET);
      const id = (JSON.parse(events.split('\n')[0]!) as { id: string }).id;
      const elsewhere = workdir();
      const byId = await cli(elsewhere, ['history', ...where, '--rollout', id, '--format', 'ndjson']);
      expect(byId.code, byId.stderr).toBe(0);
      expect(byId.stdout).toBe(events);
      // without --rollout: the newest rollout of the scope
      expect((await cli(elsewhere, ['history', ...where, '--format', 'ndjson'])).stdout).toBe(events);
      // and the store keeps no raw secret in its event stream either
      if (store === 'file') expect(readFileSync(path.join(dir, 'confgate-rollout.journal.events'), 'utf8')).not.toContain(SECRET);
      else {
        const rows = await sql<{ n: string }>(`SELECT count(*) AS n FROM ${pg.escapeIdentifier(schema)}.events WHERE lines LIKE $1`, [`%${SECRET}%`]);
        expect(rows[0]!.n).toBe('0');
      }
      // the text history of that one rollout, and clear errors
      const one = await cli(elsewhere, ['history', ...where, '--rollout', id]);
      expect(one.stdout).toMatch(new RegExp(`1 rollout, newest first\\n.*${id}  ROLLED-BACK`));
      expect(await cli(elsewhere, ['history', ...where, '--rollout', 'no-such-rollout', '--format', 'ndjson'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/has no rollout no-such-rollout/) });
    });
  }
});
