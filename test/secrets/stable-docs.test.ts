/**
 * Documents the gate (or the CLI's `check`) loaded itself are "stable": when their loader saw nothing secret in them,
 * the masker skips walking them for secret values. A URL password is such a value (it is scrubbed wherever it is
 * printed, even without its URL), so a document holding one must never be taken as free of secrets.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { createGate, formatReport } from '../../src/index.js';
import { parseConfig } from '../../src/load/parse.js';
import { knownWithoutSecretKeys, markStableDoc } from '../../src/load/stable.js';

const PW = 'hunter2pw';
const currents = {
  'top-level string': { db: `postgres://app:${PW}@db.internal/x`, name: 'a' },
  'string in a list': { name: 'a', replicas: ['postgres://db1.internal/x', `mysql://app:${PW}@db2.internal/y`] },
  'deep string': { name: 'a', svc: { backends: [{ url: `redis://:${PW}@cache.internal:6379` }] } },
};
// The proposed push drops the URL and repeats its password under a key that does not look secret.
const proposed = { name: 'a', note: PW };

describe('a stable document with a URL password', () => {
  for (const [name, current] of Object.entries(currents)) {
    it(`is walked for secrets (${name}): the password is scrubbed from the report, library and CLI`, async () => {
      const text = JSON.stringify(current);
      const doc = parseConfig(text, { format: 'json' });
      markStableDoc(doc);
      expect(knownWithoutSecretKeys(doc)).toBe(false);

      const gate = createGate();
      // Evaluated twice: the second evaluation answers from the gate's cache of the current document.
      for (let i = 0; i < 2; i++) {
        const report = gate.evaluate({ proposed: JSON.stringify(proposed), current: text, at: '2025-01-01T00:00:00Z' });
        expect(report.changes.changes.some((c) => c.pointer === '/note')).toBe(true);
        for (const format of ['json', 'text', 'sarif'] as const) expect(formatReport(report, format)).not.toContain(PW);
      }

      const dir = mkdtempSync(path.join(tmpdir(), 'confgate-stable-secrets-'));
      writeFileSync(path.join(dir, 'current.json'), text);
      writeFileSync(path.join(dir, 'proposed.json'), JSON.stringify(proposed));
      let out = '';
      const code = await runCli(['check', '--proposed', 'proposed.json', '--current', 'current.json', '--format', 'json', '--at', '2025-01-01T00:00:00Z'], {
        stdout: (t) => void (out += t),
        stderr: () => undefined,
        env: {},
        isTTY: false,
        cwd: dir,
        now: () => new Date(0),
      });
      expect(code).toBe(0);
      expect(out).toContain('/note');
      expect(out).not.toContain(PW);
    });
  }

  it('without secrets (plain URLs, no secret-looking key) it is still known free of them', () => {
    const doc = parseConfig(JSON.stringify({ db: 'postgres://db.internal/x', web: 'https://user@example.com/', name: 'a' }), { format: 'json' });
    markStableDoc(doc);
    expect(knownWithoutSecretKeys(doc)).toBe(true);
  });
});
