/**
 * JSON fast path against plain JSON.parse on a generated ~8-10 MB document (100,000 objects in a list).
 * Run: npx vitest bench --run test/load/json-load.bench.ts
 */
import { bench, describe } from 'vitest';
import { parseConfig } from '../../src/load/index.js';

const features = [];
for (let i = 0; i < 100_000; i++) {
  features.push({ id: `feature-${i}`, name: `bot_score_${i}`, type: 'numeric', enabled: i % 2 === 0, weight: i * 0.5 });
}
const text = JSON.stringify({ features });
let keep: unknown;

describe(`JSON load, ${(Buffer.byteLength(text) / 1e6).toFixed(1)} MB`, () => {
  bench('JSON.parse', () => {
    keep = JSON.parse(text);
  });
  bench('parseConfig (json)', () => {
    keep = parseConfig(text, { format: 'json' });
  });
  bench('parseConfig (auto)', () => {
    keep = parseConfig(text);
  });
});
void keep;
