import { describe, expect, it } from 'vitest';
import { createGate } from '../../src/gate.js';
import { loadConfig } from '../../src/load/index.js';

describe('a current config that does not load', () => {
  it('rollback.lkg-invalid points at the first load problem of the current file', () => {
    const current = loadConfig({ text: 'a: 1\nb: [1,\n', file: 'live.yaml' });
    const proposed = loadConfig({ text: '{"a": 2, "b": [1]}', file: 'next.json' });
    const r = createGate().evaluate({ proposed, current, at: new Date('2025-01-01T00:00:00Z') });
    const f = r.findings.find((x) => x.rule === 'rollback.lkg-invalid');
    expect(f?.severity).toBe('warn');
    expect(f?.document).toBe('current');
    expect(f?.location?.file).toBe('live.yaml');
    expect(f?.location?.line).toBe(3);
  });
});
