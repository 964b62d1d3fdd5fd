// node bench/sets.mjs (after npm run build). Median of 5 runs each, measured one after the other.
// A config set of 1,000 members (100 keyed entries each, ~100,000 entries in all) vs one file holding the same
// 100,000 entries: the set costs one load, validation, diff and rule run per member.
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
const here = path.dirname(fileURLToPath(import.meta.url));
const cg = await import(pathToFileURL(path.join(here, '..', 'dist', 'index.js')).href);
const dir = mkdtempSync(path.join(tmpdir(), 'set-scale-'));
const M = 1000, E = 100;
const all = { cur: [], next: [] };
for (const side of ['cur', 'next']) {
  for (let m = 0; m < M; m++) {
    const entries = Array.from({ length: E }, (_, i) => ({ name: `f${m}-${i}`, type: 'bool', weight: (side === 'next' && m === 7 && i === 3) ? 99 : i }));
    const p = path.join(dir, side, `r${String(m).padStart(4, '0')}`, 'features.json');
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, JSON.stringify({ version: '1.0.0', features: entries }));
    all[side].push(...entries);
  }
  writeFileSync(path.join(dir, `${side}.json`), JSON.stringify({ version: '1.0.0', features: all[side] }));
}
const policy = { version: 1, keys: { '/features': 'name' }, rules: [{ id: 'w', path: '/features/*', expr: 'self.weight < 1000' }] };
const gate = cg.createGate(policy);
const at = '2025-06-01T12:00:00Z';
const time = (f) => { const t = []; for (let i = 0; i < 5; i++) { const s = performance.now(); f(); t.push(performance.now() - s); } t.sort((a, b) => a - b); return t[2]; };
const set = time(() => gate.evaluate({ proposed: path.join(dir, 'next'), current: path.join(dir, 'cur'), at }));
const one = time(() => gate.evaluate({ proposed: path.join(dir, 'next.json'), current: path.join(dir, 'cur.json'), at }));
const r = gate.evaluate({ proposed: path.join(dir, 'next'), current: path.join(dir, 'cur'), at });
console.log(`set of ${M} files x ${E} entries: ${set.toFixed(0)} ms (changes ${r.changes.total}, verdict ${r.verdict}); one file of ${M * E} entries: ${one.toFixed(0)} ms; ratio ${(set / one).toFixed(2)}`);
rmSync(dir, { recursive: true, force: true });
