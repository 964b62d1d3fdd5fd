import { createGate, parseConfig, diffConfigs } from '/work/main/dist/index.js';
import Ajv from 'ajv';
import { generate, gatePolicy, CONFIG_SCHEMA, measurePair, fmtMs } from '/work/main/bench/lib.mjs';
const n = Number(process.argv[2] ?? 100000);
const { currentText, proposedText } = generate(n);
console.log('MB', proposedText.length/1e6);
const gate = createGate(gatePolicy(n * 2));
const ajv = new Ajv({ allErrors: true, strict: false });
const v = ajv.compile(CONFIG_SCHEMA);
const at = new Date('2025-01-01T00:00:00Z');
const [g, f] = measurePair([
  () => gate.evaluate({ proposed: { text: proposedText }, current: { text: currentText }, at }),
  () => { const c = JSON.parse(currentText); const p = JSON.parse(proposedText); if (!v(p)) throw 1; return p; },
], { runs: 5, warmup: 2 });
console.log('gate', fmtMs(g.ms), 'floor', fmtMs(f.ms), 'ratio', (g.ms / f.ms).toFixed(2));
console.log(g.result.verdict, g.result.findings.map(x => x.rule), g.result.changes.total);
