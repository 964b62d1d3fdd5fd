// Top self-time functions of a V8 CPU profile: node bench/profile-top.mjs FILE.cpuprofile [N]
// (record one with: node --cpu-prof --cpu-prof-dir=/tmp/prof bench/run.mjs --only=gate)
import { readFileSync } from 'node:fs';
const p = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const self = new Map(); const byId = new Map(p.nodes.map(n => [n.id, n]));
const dt = p.timeDeltas; const total = dt.reduce((a,b)=>a+b,0);
const counts = new Map();
p.samples.forEach((id, i) => counts.set(id, (counts.get(id) ?? 0) + (dt[i] ?? 0)));
for (const [id, t] of counts) { const n = byId.get(id); const cf = n.callFrame; const k = `${cf.functionName || '(anon)'} ${cf.url.split('/').slice(-2).join('/')}:${cf.lineNumber}`; self.set(k, (self.get(k) ?? 0) + t); }
const rows = [...self].sort((a,b)=>b[1]-a[1]).slice(0, Number(process.argv[3] ?? 30));
for (const [k, t] of rows) console.log((t/1000).toFixed(0).padStart(8), 'ms', (100*t/total).toFixed(1).padStart(5)+'%', k);
