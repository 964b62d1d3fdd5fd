/**
 * Command provider: runs a program (argv, no shell) that prints a number, or JSON (a number, a list of numbers, or an
 * object of numbers keyed by target id), on stdout — for CloudWatch, Datadog and the like through their CLIs.
 * Non-zero exit, a timeout, or other output is an error; empty output or `null` is no data.
 */
import { spawn } from 'node:child_process';
import { compileTemplate } from '../../template.js';
import type { Template } from '../../template.js';
import { ProviderError } from '../../types.js';
import type { Provider, ProviderContext, ProviderResult } from '../../types.js';
import type { ProviderOptions } from '../prometheus/index.js';
import { seriesFromJson } from '../shared.js';

/** `command:` in a metric: the program and its arguments; each is a template (values substituted as they are, no shell). */
export type CommandSpec = readonly string[];

const KIND = 'command';
const MAX_OUTPUT = 16 * 1024 * 1024;

/** Problems of a spec, each `[key, message]`, checked at policy load. */
export function checkCommandSpec(spec: CommandSpec): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (spec.length === 0) out.push(['', 'needs at least the program']);
  spec.forEach((a, i) => {
    try {
      compileTemplate(a);
    } catch (err) {
      out.push([String(i), (err as Error).message]);
    }
  });
  return out;
}

/** Creates a command provider for one metric. The spec must have passed {@link checkCommandSpec}. */
export function commandProvider(spec: CommandSpec, options: ProviderOptions & { targetLabel?: string } = {}): Provider {
  const argv: Template[] = spec.map((a) => compileTemplate(a));
  const timeoutMs = options.timeoutMs ?? 10_000;
  const keyLabel = options.targetLabel ?? 'target';
  const program = spec[0] ?? '';
  return {
    kind: KIND,
    perTarget: argv.some((t) => t.usesTarget),
    description: `command ${program}`,
    query(ctx: ProviderContext): Promise<ProviderResult> {
      const args = argv.map((t) => t.render(ctx));
      const where = `command ${program}`;
      const env: Record<string, string | undefined> = { ...(ctx.env ?? process.env), CONFGATE_STAGE: ctx.stage.name };
      if (ctx.target) env.CONFGATE_TARGET_ID = ctx.target.id;
      return new Promise<ProviderResult>((resolve, reject) => {
        ctx.signal.throwIfAborted();
        const child = spawn(args[0]!, args.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env, detached: process.platform !== 'win32' });
        const out: Buffer[] = [];
        let outBytes = 0;
        let errTail = '';
        let why: string | undefined;
        const kill = (reason: string) => {
          why ??= reason;
          try {
            if (child.pid !== undefined && process.platform !== 'win32') process.kill(-child.pid, 'SIGKILL');
            else child.kill('SIGKILL');
          } catch {
            /* already gone */
          }
        };
        const timer = setTimeout(() => kill(`timed out after ${timeoutMs}ms`), timeoutMs);
        const onAbort = () => kill('aborted');
        ctx.signal.addEventListener('abort', onAbort, { once: true });
        child.stdout.on('data', (b: Buffer) => {
          outBytes += b.length;
          if (outBytes > MAX_OUTPUT) kill(`printed more than ${MAX_OUTPUT} bytes`);
          else out.push(b);
        });
        child.stderr.on('data', (b: Buffer) => {
          errTail = (errTail + b.toString('utf8')).slice(-2000);
        });
        const done = () => {
          clearTimeout(timer);
          ctx.signal.removeEventListener('abort', onAbort);
        };
        child.on('error', (err) => {
          done();
          reject(new ProviderError(KIND, `${where}: ${(err as NodeJS.ErrnoException).code ?? err.message}`));
        });
        child.on('close', (code, signal) => {
          done();
          if (why) return reject(new ProviderError(KIND, `${where}: ${why}`));
          if (code !== 0) {
            const last = errTail.trim().split('\n').pop()?.slice(0, 200) ?? '';
            return reject(new ProviderError(KIND, `${where}: exit ${code ?? signal}${last ? `: ${last}` : ''}`));
          }
          const text = Buffer.concat(out).toString('utf8').trim();
          if (text === '') return resolve({ series: [] });
          let value: unknown;
          try {
            value = JSON.parse(text);
          } catch {
            return reject(new ProviderError(KIND, `${where}: output is not a number or JSON: ${JSON.stringify(text.slice(0, 80))}`));
          }
          try {
            resolve({ series: seriesFromJson(KIND, value, keyLabel, `${where} output`) });
          } catch (err) {
            reject(err);
          }
        });
      });
    },
  };
}
