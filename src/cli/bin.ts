/** The `confgate` executable: the only place that calls `process.exit`. */
import { readFileSync } from 'node:fs';
import { runCli } from './main.js';

const code = await runCli(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
  isTTY: Boolean(process.stdout.isTTY),
  isErrTTY: Boolean(process.stderr.isTTY),
  cwd: process.cwd(),
  now: () => new Date(),
  stdin: () => readFileSync(0),
});
// Let stdout drain before exiting (large JSON reports on a pipe).
process.stdout.write('', () => process.exit(code));
