/**
 * Planted secrets: every class of secret a config can hold (values under secret-named keys in every spelling,
 * keyed-list keys that are secrets, secrets used as map keys, URL passwords, long secrets that a message preview
 * would cut, secret-named target labels, policy-added names) is planted in a current and a proposed config, and
 * every output (each report format, the diff, the plan, the CLI's check/diff/plan in every format) is scanned for
 * each planted value. Names are also generated (spellings × plurals × prefixes) with values from a seeded PRNG.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import {
  createGate,
  diffConfigs,
  formatChanges,
  formatPlan,
  formatReport,
  isSecretKey,
  planRollout,
  resolvePolicy,
  summarizeChanges,
  type GateReport,
  type ReportFormat,
} from '../../src/index.js';
import { createMasker, maskPlan } from '../../src/secrets.js';
import { mulberry32 as prng } from '../helpers/prng.js';

const REPORT_FORMATS: ReportFormat[] = ['text', 'json', 'markdown', 'sarif', 'github', 'html'];

const rand = prng(15);
const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const secretValue = (tag: string, n = 20): string => `${tag}-${Array.from({ length: n }, () => ALNUM[Math.floor(rand() * ALNUM.length)]).join('')}`;

/* ----------------------------------------------------------------- names */

const STEMS = ['password', 'passwd', 'passphrase', 'secret', 'token', 'credential', 'private_key', 'api_key', 'secret_key', 'access_key', 'bearer'];
const spell = (words: string[]): string[] => [
  words.join('_'),
  words.join('-'),
  words[0] + words.slice(1).map((w) => w[0]!.toUpperCase() + w.slice(1)).join(''),
  words.join('_').toUpperCase(),
];
/** Generated secret-looking names: every stem, spelt four ways, alone, plural, and after a prefix. */
const GENERATED_NAMES = [
  ...new Set(
    STEMS.flatMap((stem) => {
      const w = stem.split('_');
      const plural = [...w.slice(0, -1), `${w[w.length - 1]}s`];
      return [...spell(w), ...spell(plural), ...spell(['db', ...w]), ...spell(['client', ...plural])];
    }),
  ),
];
const NAMED_IN_ISSUE = ['secrets', 'tokens', 'secret_key', 'secretKey', 'private_key_pem', 'passphrase', 'bearer', 'tls_cert_pem', 'session_cookie'];

describe('secret-looking key names', () => {
  it('every generated spelling of every stem is a secret name', () => {
    for (const k of [...GENERATED_NAMES, ...NAMED_IN_ISSUE]) expect(isSecretKey(k), k).toBe(true);
  });
  it('ordinary names stay visible', () => {
    for (const k of ['name', 'key', 'keys', 'tokens_per_second_limit', 'token_bucket_size', 'secretary', 'region', 'monkey', 'tokenizer', 'pemberton', 'public_key_id']) {
      expect(isSecretKey(k), k).toBe(false);
    }
  });
});

/* --------------------------------------------------------------- configs */

const planted: string[] = [];
const plant = (tag: string, n?: number): string => {
  const v = secretValue(tag, n);
  planted.push(v);
  return v;
};

const HOOK_OLD = plant('hookold');
const HOOK_NEW = plant('hooknew');
const MAPKEY_OLD = plant('mapkeyold');
const MAPKEY_NEW = plant('mapkeynew');
const DSN_PW = plant('dsnpw');
const LONG = plant('long', 90); // over every preview's width; fails the schema pattern below
const PIN = plant('pin'); // a name the policy adds
const LABEL = plant('label');
const generatedOld: Record<string, string> = {};
const generatedNew: Record<string, string> = {};
for (const name of [...GENERATED_NAMES, ...NAMED_IN_ISSUE]) {
  generatedOld[name] = plant('g');
  generatedNew[name] = plant('g');
}
const NESTED_OLD = plant('nestold');
const NESTED_NEW = plant('nestnew');

const current = {
  version: '1.0.0',
  webhooks: [{ token: HOOK_OLD, url: 'https://hooks.example/a' }],
  api_key: { [MAPKEY_OLD]: { enabled: true } },
  db: { dsn: 'postgres://app:hunter2-old-dsn@db.internal:5432/app' },
  auth: { bearer: NESTED_OLD },
  client_secret: 'short-and-fine',
  pin: '1111-old-pin',
  generated: generatedOld,
  token_bucket: 'visible-bucket-old',
};
const proposed = {
  version: '1.0.1',
  webhooks: [{ token: HOOK_NEW, url: 'https://hooks.example/a' }],
  api_key: { [MAPKEY_NEW]: { enabled: true } },
  db: { dsn: `postgres://app:${DSN_PW}@db.internal:5432/app` },
  auth: { bearer: NESTED_NEW },
  client_secret: LONG,
  pin: PIN,
  generated: generatedNew,
  token_bucket: 'visible-bucket-new',
};
planted.push('hunter2-old-dsn');

const policyDoc = {
  version: 1 as const,
  keys: { '/webhooks': 'token' },
  schema: {
    type: 'object',
    properties: {
      client_secret: { type: 'string', pattern: '^[a-z-]+$' },
      api_key: { type: 'object', propertyNames: { pattern: '^[a-z]+$' } },
    },
  },
  secretKeys: { add: ['pin'], exempt: ['token_bucket'] },
  rollout: { stages: [{ name: 'canary', count: 1 }, { name: 'all', percent: 100 }] },
};
const targets = [
  { id: 'edge-1', labels: { region: 'eu', api_token: LABEL } },
  { id: 'edge-2', labels: { region: 'us', api_token: LABEL } },
];

function expectClean(out: string, what: string): void {
  for (const s of planted) expect(out.includes(s), `${what} leaks ${s}`).toBe(false);
  // No first 16 characters of a long secret either (a preview cut it).
  expect(out.includes(LONG.slice(0, 16)), `${what} leaks the start of the long secret`).toBe(false);
}

describe('planted secrets never reach an output', () => {
  const policy = resolvePolicy(policyDoc);
  const report: GateReport = createGate(policy).evaluate({ proposed, current, targets, at: '2025-06-01T12:00:00Z' });

  it('the report has the changes and findings that would carry them', () => {
    const paths = report.changes.changes.map((c) => c.path);
    expect(paths.some((p) => p.startsWith('/webhooks/[token='))).toBe(true);
    expect(paths.some((p) => p.startsWith('/api_key/'))).toBe(true);
    expect(report.findings.some((f) => f.rule === 'schema' && f.path === '/client_secret')).toBe(true);
    expect(report.plan?.waves.length).toBeGreaterThan(0);
  });

  it.each(REPORT_FORMATS.map((f) => [f] as const))('report format %s', (format) => {
    expectClean(formatReport(report, format), format);
  });

  it('paths keep their shape: masked keyed-list values and map keys, visible ordinary segments', () => {
    const paths = report.changes.changes.map((c) => c.path);
    const hooks = paths.filter((p) => p.startsWith('/webhooks/'));
    expect(hooks.length).toBe(2); // the old entry removed, the new one added
    for (const p of hooks) expect(p).toMatch(/^\/webhooks\/\[token=«secret sha256:[0-9a-f]{8}»\]$/);
    expect(paths.filter((p) => p.startsWith('/api_key/')).every((p) => /^\/api_key\/«secret sha256:[0-9a-f]{8}»/.test(p))).toBe(true);
    const dsn = report.changes.changes.find((c) => c.path === '/db/dsn')!;
    expect(dsn.newValue).toMatch(/^postgres:\/\/app:«secret sha256:[0-9a-f]{8}»@db\.internal:5432\/app$/);
  });

  it('exempt names stay visible, added names are masked', () => {
    const bucket = report.changes.changes.find((c) => c.path === '/token_bucket')!;
    expect(bucket.newValue).toBe('visible-bucket-new');
    expect(report.changes.changes.find((c) => c.path === '/pin')!.newValue).toMatch(/^«secret sha256:/);
  });

  it('secret-named target labels are masked in the plan of the report and in the plan command', () => {
    const labels = report.plan!.waves.flatMap((w) => w.targets.map((t) => t.labels['api_token']));
    expect(labels.every((l) => /^«secret sha256:[0-9a-f]{8}»$/.test(l ?? ''))).toBe(true);
    const plan = maskPlan(planRollout({ targets, stages: policy.rollout.stages, at: new Date('2025-06-01T12:00:00Z') }), policy);
    for (const f of ['text', 'json'] as const) expectClean(formatPlan(plan, f), `plan ${f}`);
  });

  it('the diff masks paths and values (library)', () => {
    const changes = summarizeChanges(diffConfigs(current, proposed, { keys: policy.keys }));
    const masked = { ...changes, changes: createMasker(policy, [{ value: current } as never, { value: proposed } as never]).changes(changes.changes) };
    for (const f of ['text', 'json'] as const) expectClean(formatChanges(masked, f), `diff ${f}`);
  });

  describe('through the CLI', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'confgate-planted-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(path.join(dir, 'current.json'), JSON.stringify(current));
    writeFileSync(path.join(dir, 'proposed.json'), JSON.stringify(proposed));
    writeFileSync(path.join(dir, 'confgate.json'), JSON.stringify(policyDoc));
    writeFileSync(path.join(dir, 'targets.json'), JSON.stringify({ targets }));
    const run = async (args: string[]): Promise<{ code: number; out: string }> => {
      let out = '';
      const code = await runCli(args, {
        stdout: (t) => void (out += t),
        stderr: (t) => void (out += t),
        env: {},
        isTTY: false,
        cwd: dir,
        now: () => new Date('2025-06-01T12:00:00Z'),
      });
      return { code, out };
    };
    const base = ['--proposed', 'proposed.json', '--current', 'current.json', '--policy', 'confgate.json', '--targets', 'targets.json'];
    it.each(REPORT_FORMATS.map((f) => [f] as const))('check --format %s', async (format) => {
      const r = await run(['check', ...base, '--format', format]);
      expect(r.code).toBe(1);
      expectClean(r.out, `check ${format}`);
    });
    it.each([['text'], ['json']])('diff and plan --format %s', async (format) => {
      const d = await run(['diff', 'current.json', 'proposed.json', '--policy', 'confgate.json', '--format', format]);
      expect(d.code).toBe(0);
      expectClean(d.out, `diff ${format}`);
      const p = await run(['plan', '--targets', 'targets.json', '--policy', 'confgate.json', '--format', format]);
      expect(p.code).toBe(0);
      expect(p.out).toContain('edge-1');
      expectClean(p.out, `plan ${format}`);
    });
  });
});
