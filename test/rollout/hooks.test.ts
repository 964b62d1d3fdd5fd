import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandHook, httpHook, HookError } from '../../src/rollout/index.js';
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
    await expect(commandHook(process.execPath, ['-e', script, '$(echo no shell); rm -rf /', expected])(target, ctx())).resolves.toBeUndefined();
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
    await expect(hook(target, ctx())).rejects.toThrow(/timed out and was killed/);
  });

  it('a missing command fails', async () => {
    await expect(commandHook('/nonexistent/confgate-hook')(target, ctx())).rejects.toThrow(HookError);
  });
});

describe('httpHook', () => {
  let server: Server;
  let base: string;
  const bodies: unknown[] = [];
  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      let data = '';
      req.on('data', (c: Buffer) => (data += c.toString()));
      req.on('end', () => {
        bodies.push(JSON.parse(data || 'null'));
        if (req.url === '/ok') res.writeHead(204).end();
        else if (req.url === '/slow') setTimeout(() => res.writeHead(200).end(), 2000);
        else res.writeHead(503).end('secret internal detail');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('POSTs { target, stage } and a 2xx advances', async () => {
    await httpHook(`${base}/ok`)(target, ctx());
    expect(bodies.at(-1)).toEqual({ rolloutId: 'r-42', target, stage: { index: 1, name: 'early' } });
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
