/**
 * Helpers of the hostile-input tests: run the BUILT CLI in a child process with a timeout and a heap limit.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CORPUS = path.join(ROOT, 'test/hostile/corpus');
/** The built CLI (`npm test` builds dist first). `CONFGATE_BIN` may point at another build. */
export const BIN = process.env['CONFGATE_BIN'] ?? path.join(ROOT, 'dist/cli/bin.cjs');

export function binExists(): boolean {
  return existsSync(BIN);
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/**
 * Run `node [--max-old-space-size=MB] dist/cli/bin.cjs ...args`. A runaway is killed by the timeout (reported as
 * `timedOut`) or by the heap limit (a non-0/1/2 exit or a signal): both fail the callers' assertions.
 */
export function runCli(args: readonly string[], opts: { timeoutMs?: number; heapMb?: number; cwd?: string } = {}): Promise<CliRun> {
  const nodeArgs = [...(opts.heapMb ? [`--max-old-space-size=${opts.heapMb}`] : []), BIN, ...args];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, nodeArgs, {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, NO_COLOR: '1', GITHUB_STEP_SUMMARY: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 60_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), timedOut });
    });
  });
}

/** Run tasks with at most `n` at a time (the machines have 2 cores). */
export async function inBatches<T, R>(items: readonly T[], n: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return results;
}

/** A JSON report from the CLI, with the rule ids of its findings. */
export interface CliReport {
  verdict: string;
  findings: Array<{ rule: string; severity: string; message: string; path?: string; document?: string; location?: { file: string; line: number; column: number } }>;
  changes: { total: number; changes: Array<{ pointer: string; kind: string; newValue?: unknown; oldValue?: unknown }> };
}

/** Stderr of an exit-2 run: exactly one line, starting with `confgate:`, no stack trace. */
export function isOneClearLine(stderr: string): boolean {
  const lines = stderr.replace(/\n$/, '').split('\n');
  return lines.length === 1 && lines[0]!.startsWith('confgate: ') && !/\n\s+at /.test(stderr);
}

/** No stack trace or V8 crash banner anywhere in the output. */
export function hasNoCrash(run: CliRun): boolean {
  const all = run.stdout + run.stderr;
  return !/^\s+at .+\(.+:\d+:\d+\)$/m.test(all) && !/FATAL ERROR|Maximum call stack|heap out of memory|Error: /.test(run.stderr);
}
