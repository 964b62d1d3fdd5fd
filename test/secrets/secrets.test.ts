/**
 * Secrets never appear in any report, diff or message: they are shown as a short fingerprint so a rotation
 * is still visible as a change.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { createGate, fingerprint, formatReport, isSecretKey, resolvePolicy, type ReportFormat } from '../../src/index.js';
import { DEFAULT_SECRET_KEY_PATTERN, normalizeKeyName } from '../../src/secrets.js';

const OLD = 'AKIAOLDSECRETVALUE1234';
const NEW = 'AKIANEWSECRETVALUE5678';
const TOKEN = 'ghp_exampleTokenValue0000';

const current = { version: '1.0.0', storage: { bucket: 'logs', access_key_id: OLD, region: 'eu' }, api: { token: TOKEN } };
const proposed = { version: '1.0.1', storage: { bucket: 'logs', access_key_id: NEW, region: 'eu' }, api: { token: TOKEN } };

describe('secret masking', () => {
  it('recognises secret-looking keys', () => {
    for (const k of ['password', 'db_password', 'secret', 'client_secret', 'token', 'api_token', 'private_key', 'access_key_id', 'AccessKey', 'apiKey']) {
      expect(isSecretKey(k), k).toBe(true);
    }
    for (const k of ['name', 'tokens_per_second_limit', 'secretary', 'region', 'key']) expect(isSecretKey(k), k).toBe(false);
  });

  it('answers exactly as the documented pattern over the normalised name (its fast path included)', () => {
    // Names built from the pattern's words and near misses, in mixed case, with separators anywhere, so the quick
    // "no secret word here" answer and the normalisation are both exercised.
    const pieces = ['pass', 'word', 'wd', 'phrase', 'secret', 'ar', 'token', 'cred', 'ential', 'private', 'api', 'access', 'auth', 'signing', 'encryption', 'key', 'bearer', 'cookie', 'pem', 's', 'id', 'x', 'k', 'ey', 'to', 'ken'];
    const piece = fc.tuple(fc.constantFrom(...pieces), fc.boolean(), fc.constantFrom('', '', '', '-', '_', '.')).map(([w, up, sep]) => (up ? w.toUpperCase() : w) + sep);
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 5 }), (parts) => {
        const key = parts.join('');
        expect(isSecretKey(key), key).toBe(DEFAULT_SECRET_KEY_PATTERN.test(normalizeKeyName(key)));
      }),
      { numRuns: 5000, seed: 20261130 },
    );
  });

  it('masks rotated credentials in every report format, keeping the rotation visible', () => {
    const report = createGate().evaluate({ proposed, current, at: '2025-01-01T00:00:00Z' });
    const change = report.changes.changes.find((c) => c.pointer === '/storage/access_key_id');
    expect(change).toBeDefined();
    expect(change!.oldValue).toBe(fingerprint(OLD));
    expect(change!.newValue).toBe(fingerprint(NEW));
    expect(change!.oldValue).not.toBe(change!.newValue);
    for (const format of ['text', 'json', 'markdown', 'sarif', 'github'] as ReportFormat[]) {
      const out = formatReport(report, format);
      expect(out, format).not.toContain(OLD);
      expect(out, format).not.toContain(NEW);
      expect(out, format).not.toContain(TOKEN);
    }
  });

  it('masks values at policy `secrets` paths, also inside messages', () => {
    const policy = resolvePolicy({
      version: 1,
      secrets: ['/upstream/*/auth'],
      checks: [{ path: '/upstream/*/auth', regex: true }],
    });
    // The value is not a valid regex, so the check's message would quote it: it must be masked there too.
    const value = 'hunter2-(unbalanced';
    const report = createGate(policy).evaluate({
      proposed: { upstream: [{ host: 'a', auth: value }] },
      current: { upstream: [{ host: 'a', auth: 'previous-value' }] },
      at: '2025-01-01T00:00:00Z',
    });
    expect(report.findings.some((f) => f.rule === 'check.regex')).toBe(true);
    const json = formatReport(report, 'json');
    expect(json).not.toContain(value);
    expect(json).not.toContain('previous-value');
    expect(json).toContain(fingerprint(value));
  });

  it('masks secrets in `confgate diff` output', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'confgate-secrets-'));
    writeFileSync(path.join(dir, 'a.json'), JSON.stringify(current));
    writeFileSync(path.join(dir, 'b.json'), JSON.stringify(proposed));
    for (const format of ['text', 'json']) {
      let out = '';
      const code = await runCli(['diff', 'a.json', 'b.json', '--format', format], {
        stdout: (t) => void (out += t),
        stderr: () => undefined,
        env: {},
        isTTY: false,
        cwd: dir,
        now: () => new Date(0),
      });
      expect(code).toBe(0);
      expect(out).toContain('access_key_id');
      expect(out).not.toContain(OLD);
      expect(out).not.toContain(NEW);
    }
  });
});
