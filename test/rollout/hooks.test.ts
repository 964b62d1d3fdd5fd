import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandApprovalHook, commandHook, httpApprovalHook, httpHook, HookError, parseHookSpec, OptionsError } from '../../src/index.js';
import { cleanStaleHookDirs } from '../../src/rollout/hooks.js';
import type { HookContext } from '../../src/rollout/index.js';
import type { Target } from '../../src/types.js';

const target: Target = { id: 'pop-ams-1', labels: { region: 'AMS', env: 'prod' } };
function ctx(signal = new AbortController().signal): HookContext {
  return {
    config: { features: [{ name: 'bot_score' }] },
    lkg: {},
    changes: [],
    stage: { index: 1, name: 'early', targets: [target], bakeMs: 0, approval: false },
    attempt: 1,
    signal,
    rolloutId: 'r-42',
    generation: 1,
  };
}

describe('commandHook', () => {
  it('runs without a shell and passes target, stage and config file in env', async () => {
    const script = `
      const fs = require('node:fs');
      const out = { id: process.env.CONFGATE_TARGET_ID, labels: JSON.parse(process.env.CONFGATE_TARGET_LABELS),
        stage: process.env.CONFGATE_STAGE, config: JSON.parse(fs.readFileSync(process.env.CONFGATE_CONFIG_FILE, 'utf8')),
        arg: process.argv[1] };
      if (JSON.stringify(out) !== process.argv[2]) { console.error('mismatch ' + JSON.stringify(out)); process.exit(3); }`;
    const expected = JSON.stringify({ id: 'pop-ams-1', labels: target.labels, stage: 'early', config: { features: [{ name: 'bot_score' }] }, arg: '$(echo no shell); rm -rf /' });
    await expect(commandHook(process.execPath, ['-e', script, '$(echo no shell); rm -rf /', expected])(target, ctx())).resolves.toBe(true);
  });

  it('a non-zero exit fails with the stderr tail', async () => {
    const hook = commandHook(process.execPath, ['-e', "console.error('config rejected by edge'); process.exit(4)"]);
    const err = await hook(target, ctx()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HookError);
    expect((err as HookError).status).toBe(4);
    expect((err as Error).message).toMatch(/exited with code 4: config rejected by edge/);
  });

  it('a timeout kills the command', async () => {
    const hook = commandHook(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { timeout: 100 });
    await expect(hook(target, ctx())).rejects.toThrow(/timed out after 100ms and was killed/);
  });

  it('hands every call the config of its own rollout (serialised once per rollout, never a stale text)', async () => {
    const log = path.join(mkdtempSync(path.join(tmpdir(), 'confgate-cfg-')), 'configs.ndjson');
    const fs = "require('node:fs')";
    // One hook instance for every call, as the engine uses it: it appends the config file it was given to a log.
    const hook = commandHook(process.execPath, ['-e', `${fs}.appendFileSync(${JSON.stringify(log)}, ${fs}.readFileSync(process.env.CONFGATE_CONFIG_FILE, 'utf8') + '\\n')`]);
    const config = { features: [{ name: 'a' }] };
    await hook(target, { ...ctx(), config });
    await hook(target, { ...ctx(), config });
    config.features.push({ name: 'b' }); // the same object, changed, given to a new rollout
    await hook(target, { ...ctx(), config, rolloutId: 'r-43' });
    await hook(target, { ...ctx(), config: { other: true }, rolloutId: 'r-43' });
    const seen = readFileSync(log, 'utf8').split('\n').filter(Boolean).map((t) => JSON.parse(t) as unknown);
    expect(seen).toEqual([{ features: [{ name: 'a' }] }, { features: [{ name: 'a' }] }, { features: [{ name: 'a' }, { name: 'b' }] }, { other: true }]);
  });

  it('a missing command fails', async () => {
    await expect(commandHook('/nonexistent/confgate-hook')(target, ctx())).rejects.toThrow(HookError);
  });
});

const work = mkdtempSync(path.join(tmpdir(), 'confgate-hooks-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Write a /bin/sh script into `work` (in a folder whose name has spaces) and return its path. */
function script(name: string, body: string): string {
  const dir = path.join(work, 'my hooks');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}
/** Lines appended to `file` so far (0 when it does not exist). */
const lines = (file: string): number => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0);
/** True while `pid` is a live process (a zombie counts as dead). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('commandHook: process groups', () => {
  it('a timeout kills the whole process group: a forked grandchild stops too', async () => {
    const beat = path.join(work, 'beat-timeout.log');
    const pidFile = path.join(work, 'grandchild-timeout.pid');
    // the grandchild keeps "deploying" (appending a line every 20ms) until killed
    const file = script('slow-apply.sh', `(while true; do echo x >> "${beat}"; sleep 0.02; done) &\necho $! > "${pidFile}"\nwait`);
    // 3 s: long enough for the script to start its grandchild and write its pid on a loaded machine.
    const hook = commandHook(file, [], { timeout: 3000 });
    await expect(hook(target, ctx())).rejects.toThrow(/timed out after 3000ms and was killed/);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await sleep(100);
    const after = lines(beat);
    await sleep(400);
    expect(lines(beat)).toBe(after);
    expect(running(pid)).toBe(false);
  });

  it('an abort kills the whole process group and the call settles once the command is gone', async () => {
    const pidFile = path.join(work, 'grandchild-abort.pid');
    const file = script('abort-apply.sh', `sleep 60 &\necho $! > "${pidFile}"\nwait`);
    const ac = new AbortController();
    const spawned: Array<{ pid: number; pgid: number }> = [];
    const call = commandHook(file, [], { timeout: '1m' })(target, { ...ctx(ac.signal), onSpawn: (i) => spawned.push(i) });
    for (let i = 0; i < 500 && !existsSync(pidFile); i++) await sleep(10);
    ac.abort(new Error('operator abort'));
    await expect(call).rejects.toThrow(/was aborted and killed/);
    expect(spawned).toHaveLength(1);
    expect(running(spawned[0]!.pid)).toBe(false);
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    for (let i = 0; i < 100 && running(grandchild); i++) await sleep(10);
    expect(running(grandchild)).toBe(false);
  });

  it('a hook that exits 0 but leaves a background child holding stderr succeeds at once; the leftover is killed', async () => {
    const pidFile = path.join(work, 'leftover.pid');
    const file = script('leaky-apply.sh', `sleep 60 &\necho $! > "${pidFile}"\necho "applied" >&2\nexit 0`);
    const t0 = Date.now();
    await expect(commandHook(file, [], { timeout: '30s' })(target, ctx())).resolves.toBe(true);
    // settles on exit plus the bounded drain, far below the 60s the background child holds stderr
    expect(Date.now() - t0).toBeLessThan(20_000);
    const leftover = Number(readFileSync(pidFile, 'utf8'));
    for (let i = 0; i < 100 && running(leftover); i++) await sleep(10);
    expect(running(leftover)).toBe(false);
  });

  it('a failing hook whose background child holds stderr still fails with its exit code and stderr', async () => {
    const file = script('leaky-fail.sh', `sleep 60 &\necho "edge rejected config" >&2\nexit 5`);
    const err = (await commandHook(file, [], { timeout: '30s' })(target, ctx()).catch((e: unknown) => e)) as HookError;
    expect(err).toBeInstanceOf(HookError);
    expect(err.status).toBe(5);
    expect(err.message).toMatch(/exited with code 5: edge rejected config/);
  });

  it('runs in its own process group and reports pid and pgid through ctx.onSpawn', async () => {
    const out = path.join(work, 'pgrp.txt');
    // field 5 of /proc/<pid>/stat is the process group
    const file = script('pgrp.sh', `echo "$$ $(cut -d' ' -f5 /proc/$$/stat)" > "${out}"`);
    const spawned: Array<{ pid: number; pgid: number }> = [];
    await commandHook(file)(target, { ...ctx(), onSpawn: (i) => spawned.push(i) });
    const [pid, pgrp] = readFileSync(out, 'utf8').trim().split(' ').map(Number);
    expect(spawned).toEqual([{ pid, pgid: pid }]);
    expect(pgrp).toBe(pid);
    expect(pgrp).not.toBe(Number(readFileSync('/proc/self/stat', 'utf8').split(' ')[4]));
  });

  it('an onSpawn that throws kills the command and fails the call', async () => {
    const beat = path.join(work, 'beat-onspawn.log');
    const file = script('onspawn.sh', `sleep 0.3\necho x >> "${beat}"`);
    const hook = commandHook(file, [], { timeout: '30s' });
    await expect(hook(target, { ...ctx(), onSpawn: () => { throw new Error('journal full'); } })).rejects.toThrow(/journal full/);
    await sleep(600);
    expect(lines(beat)).toBe(0);
  });

  it('passes CONFGATE_GENERATION and CONFGATE_ATTEMPT; the config file is private (0600 in a 0700 dir)', async () => {
    const out = path.join(work, 'env.txt');
    const file = script('env.sh', `echo "$CONFGATE_GENERATION $CONFGATE_ATTEMPT $(stat -c %a "$CONFGATE_CONFIG_FILE") $(stat -c %a "$(dirname "$CONFGATE_CONFIG_FILE")")" > "${out}"`);
    await commandHook(file)(target, { ...ctx(), attempt: 2, generation: 7 } as ReturnType<typeof ctx>);
    expect(readFileSync(out, 'utf8').trim()).toBe('7 2 600 700');
    await commandHook(file, [], { env: { CONFGATE_GENERATION: 'stale' } })(target, ctx());
    expect(readFileSync(out, 'utf8').trim()).toBe('1 1 600 700'); // the call's generation, never the inherited variable
  });

  it('a spec given as a JSON argv array runs a path with spaces; the whitespace form still works', async () => {
    const out = path.join(work, 'argv.txt');
    const file = script('argv.sh', `printf '%s|' "$@" > "${out}"`);
    expect(file).toMatch(/my hooks/);
    const spec = parseHookSpec(JSON.stringify([file, 'two words', '--fast']));
    expect(spec).toEqual({ kind: 'command', file, args: ['two words', '--fast'] });
    if (spec.kind !== 'command') throw new Error('unreachable');
    await commandHook(spec.file, spec.args)(target, ctx());
    expect(readFileSync(out, 'utf8')).toBe('two words|--fast|');
    expect(parseHookSpec('  deploy.sh --fast  -v ')).toEqual({ kind: 'command', file: 'deploy.sh', args: ['--fast', '-v'] });
    expect(parseHookSpec('https://deploy.example/hook')).toEqual({ kind: 'http', url: 'https://deploy.example/hook' });
    for (const bad of ['[]', '[1, 2]', '["a", ', '[""]', '   ']) expect(() => parseHookSpec(bad)).toThrow(OptionsError);
  });

  it('stale temporary dirs of dead processes are removed; live and foreign ones are kept', async () => {
    const base = mkdtempSync(path.join(work, 'tmp-'));
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const staleDir = path.join(base, `confgate-hook-${dead}-abc123`);
    const liveDir = path.join(base, `confgate-hook-${process.pid}-def456`);
    const legacyFresh = path.join(base, 'confgate-hook-Xy12zz');
    const other = path.join(base, 'not-ours');
    for (const d of [staleDir, liveDir, legacyFresh, other]) mkdirSync(d);
    writeFileSync(path.join(staleDir, 'config.json'), '{"secret":"x"}');
    await cleanStaleHookDirs(base);
    expect(existsSync(staleDir)).toBe(false);
    expect([liveDir, legacyFresh, other].every((d) => existsSync(d))).toBe(true);
    // a legacy dir (no pid in its name) older than a day goes too
    execFileSync('touch', ['-d', '2 days ago', legacyFresh]);
    await cleanStaleHookDirs(base);
    expect(existsSync(legacyFresh)).toBe(false);
    expect(statSync(liveDir).isDirectory()).toBe(true);
  });

  it('commandApprovalHook: exit 0 approves, a failure denies; it gets the stage, not a target', async () => {
    const out = path.join(work, 'approval.txt');
    const file = script('approve.sh', `echo "$CONFGATE_APPROVAL $CONFGATE_STAGE $CONFGATE_STAGE_TARGETS $CONFGATE_TARGET_ID $(cat "$CONFGATE_STAGE_FILE")" > "${out}"\nexit "$1"`);
    const stage = ctx().stage;
    await expect(commandApprovalHook(file, ['0'])(stage, { signal: new AbortController().signal, rolloutId: 'r-42' })).resolves.toBe(true);
    expect(readFileSync(out, 'utf8').trim()).toBe(`1 early 1 stage:early ${JSON.stringify({ index: 1, name: 'early', targets: [target] })}`);
    await expect(commandApprovalHook(file, ['3'])(stage, { signal: new AbortController().signal, rolloutId: 'r-42' })).rejects.toThrow(/exited with code 3/);
  });
});

describe('httpHook', () => {
  let server: Server;
  let other: Server;
  let base: string;
  let elsewhereHost: string;
  const bodies: unknown[] = [];
  const paths: string[] = [];
  const elsewhere: string[] = [];
  beforeAll(async () => {
    // a second origin (another port) that a redirect points to: it must never be called
    other = createServer((req, res) => {
      elsewhere.push(req.url ?? '');
      res.writeHead(200).end('ok');
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    elsewhereHost = `127.0.0.1:${(other.address() as AddressInfo).port}`;
    server = createServer((req: IncomingMessage, res) => {
      let data = '';
      paths.push(req.url ?? '');
      req.on('data', (c: Buffer) => (data += c.toString()));
      req.on('end', () => {
        if (req.method === 'POST') bodies.push(JSON.parse(data || 'null'));
        const redirect = /^\/redirect\/(\d+)$/.exec(req.url ?? '');
        if (redirect) res.writeHead(Number(redirect[1]), { location: `http://${elsewhereHost}/landing` }).end();
        else if (req.url === '/sso') res.writeHead(302, { location: '/login' }).end();
        else if (req.url === '/login') res.writeHead(200).end('<form>');
        else if (req.url === '/ok') res.writeHead(204).end();
        else if (req.url === '/slow') setTimeout(() => res.writeHead(200).end(), 2000);
        else res.writeHead(503).end('secret internal detail');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    other.closeAllConnections();
    await new Promise((r) => server.close(r));
    await new Promise((r) => other.close(r));
  });

  it('POSTs { rolloutId, target, stage, attempt, generation } as the README documents, and a 2xx advances', async () => {
    await httpHook(`${base}/ok`)(target, ctx());
    expect(bodies.at(-1)).toEqual({ rolloutId: 'r-42', target, stage: { index: 1, name: 'early' }, attempt: 1, generation: 1 });
    // a plain-JavaScript caller that gives no generation: the field is left out, not sent as null
    const { generation: _none, ...noGeneration } = ctx();
    await httpHook(`${base}/ok`)(target, noGeneration as HookContext);
    expect(bodies.at(-1)).toEqual({ rolloutId: 'r-42', target, stage: { index: 1, name: 'early' }, attempt: 1 });
    await httpHook(`${base}/ok`)(target, { ...ctx(), attempt: 2, generation: 5 } as ReturnType<typeof ctx>);
    expect(bodies.at(-1)).toEqual({ rolloutId: 'r-42', target, stage: { index: 1, name: 'early' }, attempt: 2, generation: 5 });
  });

  it('never follows a redirect: any 3xx fails naming the Location host, and only the configured URL is called', async () => {
    for (const status of [301, 302, 303, 307, 308]) {
      const before = elsewhere.length;
      const err = (await httpHook(`${base}/redirect/${status}`)(target, ctx()).catch((e: unknown) => e)) as HookError;
      expect(err).toBeInstanceOf(HookError);
      expect(err.status).toBe(status);
      expect(err.message).toMatch(new RegExp(`answered ${status}, a redirect \\(Location host ${elsewhereHost.replace(/\./g, '\\.')}\\)`));
      expect(elsewhere.length).toBe(before);
    }
    // an SSO proxy: 302 to a relative /login that would answer 200
    const sso = (await httpHook(`${base}/sso`)(target, ctx()).catch((e: unknown) => e)) as HookError;
    expect(sso.message).toMatch(new RegExp(`answered 302, a redirect \\(Location host ${base.replace('http://', '').replace(/\./g, '\\.')}\\)`));
    expect(paths.filter((p) => p === '/login')).toEqual([]);
  });

  it('httpApprovalHook POSTs the stage (with the synthetic stage target); a 2xx approves, a 3xx denies', async () => {
    const stage = ctx().stage;
    await expect(httpApprovalHook(`${base}/ok`)(stage, { signal: new AbortController().signal, rolloutId: 'r-42' })).resolves.toBe(true);
    expect(bodies.at(-1)).toEqual({
      type: 'approval',
      rolloutId: 'r-42',
      target: { id: 'stage:early', labels: { stage: 'early' } },
      stage: { index: 1, name: 'early', targets: ['pop-ams-1'] },
    });
    await expect(httpApprovalHook(`${base}/sso`)(stage, { signal: new AbortController().signal, rolloutId: 'r-42' })).rejects.toThrow(/answered 302/);
  });

  it('a non-2xx fails without echoing bodies or credentials', async () => {
    const err = (await httpHook(`${base}/fail?key=s3cret`)(target, ctx()).catch((e: unknown) => e)) as HookError;
    expect(err).toBeInstanceOf(HookError);
    expect(err.status).toBe(503);
    expect(err.message).toMatch(/answered 503/);
    expect(err.message).not.toMatch(/secret internal|s3cret|bot_score|pop-ams-1","labels/);
    const withCreds = (await httpHook(`${base.replace('http://', 'http://user:token@')}/ok`)(target, ctx()).catch((e: unknown) => e)) as HookError;
    expect(withCreds).toBeInstanceOf(HookError);
    expect(withCreds.message).not.toMatch(/token/);
  });

  it('a timeout fails', async () => {
    await expect(httpHook(`${base}/slow`, { timeout: 50 })(target, ctx())).rejects.toThrow(/timed out/);
  });
});
