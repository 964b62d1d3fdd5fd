/**
 * The `confgate` executable: the only place that calls `process.exit`. Built as CommonJS (`dist/cli/bin.cjs`):
 * Node 20's CommonJS loader starts the CLI about 130 ms of CPU sooner than its ES module loader, which runs every
 * CommonJS dependency through its export lexer first.
 */
import { readFileSync } from 'node:fs';
import { runCli } from './main.js';

void runCli(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
  isTTY: Boolean(process.stdout.isTTY),
  isErrTTY: Boolean(process.stderr.isTTY),
  cwd: process.cwd(),
  now: () => new Date(),
  stdin: () => readFileSync(0),
}).then((code) => {
  // Let stdout drain before exiting (large JSON reports on a pipe).
  process.stdout.write('', () => process.exit(code));
});
