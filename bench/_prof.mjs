import { createGate } from '../dist/index.js';
import { generate, gatePolicy } from './lib.mjs';
const n = Number(process.argv[2] ?? 100000);
const { currentText, proposedText } = generate(n);
const gate = createGate(gatePolicy(n * 2));
const at = new Date('2025-01-01T00:00:00Z');
for (let i = 0; i < 8; i++) gate.evaluate({ proposed: { text: proposedText }, current: { text: currentText }, at });
