import { createGate, parseConfig, compileValidator, diffConfigs, summarizeChanges, resolvePolicy } from '../dist/index.js';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { generate, gatePolicy, CONFIG_SCHEMA, measure, fmtMs } from './lib.mjs';
const n = Number(process.argv[2] ?? 100000);
const { currentText, proposedText } = generate(n);
const policy = resolvePolicy(gatePolicy(n * 2));
const gate = createGate(policy);
const v = compileValidator(policy);
const ajv = new Ajv({ allErrors: true, strict: false }); addFormats.default(ajv);
const vf = ajv.compile(CONFIG_SCHEMA);
const at = new Date('2025-01-01T00:00:00Z');
const limits = policy.limits.input;
const p = parseConfig(proposedText, { limits }); const c = parseConfig(currentText, { limits });
const o = { runs: 7, warmup: 2 };
const rows = {
  'JSON.parse x1': measure(() => JSON.parse(proposedText), o).ms,
  'ajv proposed': measure(() => vf(p.value), o).ms,
  'parseConfig x1': measure(() => parseConfig(proposedText, { limits }), o).ms,
  'validate': measure(() => v.validate({ proposed: p, current: c, at }), o).ms,
  'diff+summary': measure(() => summarizeChanges(diffConfigs(c.value, p.value, { keys: policy.keys })), o).ms,
  'gate (docs)': measure(() => gate.evaluate({ proposed: p, current: c, at }), o).ms,
  'gate (text)': measure(() => gate.evaluate({ proposed: { text: proposedText }, current: { text: currentText }, at }), o).ms,
};
for (const [k, ms] of Object.entries(rows)) console.log(k.padEnd(20), fmtMs(ms));
