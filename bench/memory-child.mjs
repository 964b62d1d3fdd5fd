// Child process of the memory benchmark (run with --expose-gc). Prints one JSON line.
//
//   node --expose-gc bench/memory-child.mjs gate|floor '{"proposed":..., "current":..., "smallProposed":..., "smallCurrent":...}' maxItems
//
// Method: read both texts (they stay alive: they are the input), load the library, compile the policy, run one
// evaluation on a small document so code is loaded and compiled, then gc() twice and record the baseline RSS.
// Run ONE evaluation of the large documents and read the process's peak RSS (`process.resourceUsage().maxRSS`,
// the kernel's high-water mark, so short-lived garbage between GCs is included). Peak over baseline is the
// memory the evaluation needed. The maxRSS before the evaluation is checked to be below the baseline-plus-peak so
// an earlier spike cannot hide in the figure.
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import Ajv from 'ajv';
import formatsModule from 'ajv-formats';
import { CONFIG_SCHEMA, gatePolicy } from './lib.mjs';

const [mode, filesJson, maxItems] = process.argv.slice(2);
const files = JSON.parse(filesJson);
const proposedText = readFileSync(files.proposed, 'utf8');
const currentText = readFileSync(files.current, 'utf8');
const smallP = readFileSync(files.smallProposed, 'utf8');
const smallC = readFileSync(files.smallCurrent, 'utf8');
const at = new Date('2025-06-01T12:00:00Z');

let run;
if (mode === 'gate') {
  const cg = await import(process.env.CONFGATE_DIST ?? '../dist/index.js');
  const gate = cg.createGate(gatePolicy(Number(maxItems)));
  run = (p, c) => gate.evaluate({ proposed: { text: p }, current: { text: c }, at });
} else {
  const ajv = new Ajv({ allErrors: true, strict: false, logger: false });
  (formatsModule.default ?? formatsModule)(ajv);
  const validate = ajv.compile(CONFIG_SCHEMA);
  run = (p, c) => {
    const cv = JSON.parse(c);
    const pv = JSON.parse(p);
    return [cv, pv, validate(pv)];
  };
}
for (let i = 0; i < 3; i++) run(smallP, smallC);
globalThis.gc();
globalThis.gc();
const baseline = process.memoryUsage().rss;
const heapBaseline = v8.getHeapStatistics().used_heap_size;
const maxBefore = process.resourceUsage().maxRSS * 1024;
const result = run(proposedText, currentText);
const maxAfter = process.resourceUsage().maxRSS * 1024;
const heapAfter = v8.getHeapStatistics().used_heap_size;
process.stdout.write(
  JSON.stringify({
    mode,
    baseline,
    maxBefore,
    maxAfter,
    peakOverBaseline: maxAfter - baseline,
    heapBaseline,
    heapAfter,
    kept: result !== undefined,
  }) + '\n',
);
