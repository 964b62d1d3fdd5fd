import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InputError, PolicyError } from '../../src/errors.js';
import { defaultPolicy, getPolicySchema, loadPolicy, POLICY_DEFAULTS, resolvePolicy } from '../../src/policy/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, 'fixtures');

/** Run `fn`, expect a PolicyError, return its problems. */
function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyError);
    expect((err as PolicyError).code).toBe('E_POLICY_INVALID');
    return (err as PolicyError).problems;
  }
  throw new Error('expected a PolicyError');
}

const policyText = (body: string) => ({ text: body, file: 'confgate.yaml' });

describe('defaults', () => {
  it('defaultPolicy() fills every default', () => {
    const p = defaultPolicy();
    expect(p.limits.growth).toEqual({ warn: 1.5, block: 2 });
    expect(p.limits.shrink).toEqual({ warn: 0.2, block: 0.5 });
    expect(p.limits.minListSize).toBe(3);
    expect(p.limits.maxBytes).toBeUndefined();
    expect(p.limits.input).toEqual({ maxBytes: 64 * 1024 * 1024, maxDepth: 256, maxAliases: 1000, maxNodes: 5_000_000 });
    expect(p.scoring).toEqual({ warn: 40, block: 70, tiers: [] });
    expect(p.versionPath).toBe('/version');
    expect(p.rollout.stages).toEqual([]);
    expect(p.rollout.health).toEqual({ intervalMs: 30_000, timeoutMs: 10_000, failureLimit: 0, successes: 1 });
    expect(p.checks).toEqual([]);
    expect(p.keys).toEqual({});
    expect(p.windows).toEqual([]);
    expect(p.schema).toBeUndefined();
    expect(POLICY_DEFAULTS.minListSize).toBe(3);
  });

  it('resolves durations to ms, sizes to bytes, severities and partial thresholds', () => {
    const p = resolvePolicy({
      version: 1,
      limits: { maxBytes: '1MB', growth: { warn: 1.2 }, input: { maxBytes: '2MiB', maxDepth: 64 } },
      checks: [{ path: '/certs/*/notAfter', expiresAfter: '7d' }, { path: '/rules/*/re', regex: { flags: 'i' }, severity: 'warn' }],
      rollout: { health: { interval: '1m', timeout: 5000, failureLimit: 2 } },
      sensitive: [{ path: '/dnssec/**' }],
    });
    expect(p.limits.maxBytes).toBe(1_000_000);
    expect(p.limits.growth).toEqual({ warn: 1.2, block: 2 });
    expect(p.limits.input).toEqual({ maxBytes: 2 * 1024 * 1024, maxDepth: 64, maxAliases: 1000, maxNodes: 5_000_000 });
    expect(p.checks[0]).toEqual({ path: '/certs/*/notAfter', expiresAfterMs: 7 * 86_400_000, severity: 'block' });
    expect(p.checks[1]).toEqual({ path: '/rules/*/re', regex: { flags: 'i' }, severity: 'warn' });
    expect(p.rollout.health).toEqual({ intervalMs: 60_000, timeoutMs: 5000, failureLimit: 2, successes: 1 });
    expect(p.sensitive).toEqual([{ path: '/dnssec/**', weight: 20, reason: 'sensitive path /dnssec/**' }]);
  });

  it('accepts the full example of the design document', () => {
    const p = loadPolicy(
      policyText(`version: 1
keys:
  /features: name
  /rules: id
ordered: [/policy/terms]
limits:
  maxBytes: 1MB
  growth: { warn: 1.5, block: 2 }
  shrink: { warn: 0.2, block: 0.5 }
checks:
  - { path: /features, maxItems: 200, unique: name }
  - { path: /rules/*/expression, regex: true }
  - { path: /dnssec/signatures/*/expires, expiresAfter: 7d }
  - { path: /environment, matchesTarget: env }
sensitive:
  - { path: /dnssec/**, weight: 30, reason: DNSSEC keys }
planes:
  control: [/api/**, /dashboard/**]
  data: [/edge/**, /features/**]
windows:
  - { name: SCL maintenance, kind: maintenance, targets: { region: SCL },
      start: 2025-11-18T09:00:00Z, end: 2025-11-18T15:00:00Z }
  - { name: weekend freeze, kind: freeze, schedule: "0 18 * * FRI",
      duration: 62h, timeZone: America/Los_Angeles }
scoring: { warn: 40, block: 70 }
rollout:
  stages:
    - { name: canary, percent: 1, bake: 10m }
    - { name: early, percent: 10, bake: 30m }
    - { name: global, percent: 100 }
  failureDomain: region
  health: { interval: 30s, timeout: 10s, failureLimit: 0 }
`),
    );
    expect(p.windows).toHaveLength(2);
    expect(p.windows[0]!.source).toBe('confgate.yaml');
    expect(p.rollout.stages.map((s) => s.percent)).toEqual([1, 10, 100]);
    expect(p.rollout.failureDomain).toBe('region');
    expect(p.file).toBe('confgate.yaml');
    expect(p.document.version).toBe(1);
  });

  it('ships a draft-07 schema with descriptions on every property', () => {
    const schema = getPolicySchema() as Record<string, unknown>;
    expect(schema.$schema).toContain('draft-07');
    // Walk every `properties` map: each property has a description (directly or on its $ref target).
    const stack: unknown[] = [schema];
    let checked = 0;
    while (stack.length > 0) {
      const s = stack.pop();
      if (s === null || typeof s !== 'object') continue;
      const o = s as Record<string, unknown>;
      if (o.properties && typeof o.properties === 'object') {
        for (const [k, v] of Object.entries(o.properties as Record<string, Record<string, unknown>>)) {
          expect(typeof v.description, `property ${k}`).toBe('string');
          checked++;
        }
        expect(o.additionalProperties).toBe(false);
      }
      for (const v of Object.values(o)) stack.push(v);
    }
    expect(checked).toBeGreaterThan(60);
  });
});

describe('problems name the key and the line', () => {
  it('reports an unknown key with its line and a suggestion', () => {
    const problems = problemsOf(() =>
      loadPolicy(
        policyText(`version: 1
limits:
  growth:
    wran: 1.5
`),
      ),
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^confgate\.yaml:4:\d+: \/limits\/growth\/wran: unknown key `wran` \(did you mean `warn`\?\)$/);
  });

  it('reports a bad duration the way people write it', () => {
    const problems = problemsOf(() =>
      loadPolicy(
        policyText(`version: 1
rollout:
  stages:
    - { name: canary, percent: 1, bake: 10 minutes }
`),
      ),
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^confgate\.yaml:4:\d+: \/rollout\/stages\/0\/bake: `bake` must be a duration like `10m` \(or milliseconds\), got `10 minutes`$/);
  });

  it('collects EVERY problem: bad size, bad cron, unknown keys, warn > block, unsorted stages', () => {
    const problems = problemsOf(() =>
      loadPolicy(
        policyText(`version: 1
limits:
  maxBytes: 1 megabyte
  shrink: { warn: 0.6, block: 0.5 }
windows:
  - { name: broken cron, kind: freeze, schedule: "61 * * * *", duration: 1h }
  - { name: two forms, kind: freeze, schedule: "0 1 * * *", start: 2025-01-01T00:00:00Z, end: 2025-01-02T00:00:00Z }
scoring: { warn: 80, block: 70 }
rollout:
  stages:
    - { name: a, percent: 10 }
    - { name: b, percent: 5 }
  helth: {}
checks:
  - { path: features, maxItems: 3 }
  - { path: /x/y* , regex: true }
  - { path: /z }
`),
      ),
    );
    const text = problems.join('\n');
    expect(text).toMatch(/confgate\.yaml:3:\d+: \/limits\/maxBytes: `maxBytes` must be a size like `1MB` \(or a byte count\), got `1 megabyte`/);
    expect(text).toMatch(/confgate\.yaml:4:\d+: \/limits\/shrink: `shrink.warn` \(0.6\) must not exceed `shrink.block` \(0.5\)/);
    expect(text).toMatch(/confgate\.yaml:6:\d+: \/windows\/0: window `broken cron`: /);
    expect(text).toMatch(/confgate\.yaml:7:\d+: \/windows\/1: a window needs exactly one timing form/);
    expect(text).toMatch(/confgate\.yaml:8:\d+: \/scoring: `scoring.warn` \(80\) must not exceed `scoring.block` \(70\)/);
    expect(text).toMatch(/confgate\.yaml:12:\d+: \/rollout\/stages\/1\/percent: stage percents are cumulative and must increase/);
    expect(text).toMatch(/confgate\.yaml:13:\d+: \/rollout\/helth: unknown key `helth` \(did you mean `health`\?\)/);
    expect(text).toMatch(/confgate\.yaml:15:\d+: \/checks\/0\/path: `path` must be a JSON Pointer starting with `\/`/);
    expect(text).toMatch(/\/checks\/1\/path: `path`: a wildcard must be a whole segment/);
    expect(text).toMatch(/\/checks\/2: a check must declare at least one of/);
    expect(problems.length).toBe(10);
    // Sorted by line.
    const lines = problems.map((p) => Number(/^confgate\.yaml:(\d+):/.exec(p)?.[1]));
    expect([...lines].sort((a, b) => a - b)).toEqual(lines);
  });

  it('reports a bad time zone of a window', () => {
    const problems = problemsOf(() =>
      resolvePolicy({ version: 1, windows: [{ name: 'w', kind: 'freeze', schedule: '0 18 * * FRI', duration: '1h', timeZone: 'Mars/Olympus' }] }),
    );
    expect(problems.join('\n')).toMatch(/\/windows\/0: window `w`: .*Mars\/Olympus/);
  });

  it('rejects a wrong version and a non-object', () => {
    expect(problemsOf(() => resolvePolicy({ version: 2 })).join('\n')).toMatch(/`version` must be 1, got `2`/);
    expect(problemsOf(() => resolvePolicy({})).join('\n')).toMatch(/`version` is required/);
    expect(problemsOf(() => resolvePolicy(['x'])).join('\n')).toMatch(/must be an object/);
  });

  it('treats parse problems of the policy file itself as PolicyErrors (duplicate key, syntax)', () => {
    const dup = problemsOf(() => loadPolicy(policyText('version: 1\nkeys: {}\nkeys: {}\n')));
    expect(dup.join('\n')).toMatch(/confgate\.yaml:3:\d+: .*keys/);
    const syntax = problemsOf(() => loadPolicy(policyText('version: 1\nlimits: { growth: [\n')));
    expect(syntax.length).toBeGreaterThan(0);
    expect(syntax[0]).toMatch(/^confgate\.yaml:\d+:\d+: /);
  });

  it('throws InputError when the policy file is missing', () => {
    expect(() => loadPolicy(join(fixtures, 'nope.yaml'))).toThrow(InputError);
  });

  it('checks tiers are sorted and stage counts increase', () => {
    const problems = problemsOf(() =>
      resolvePolicy({
        version: 1,
        scoring: {
          tiers: [
            { name: 'high', min: 70, stages: [{ name: 'c', count: 5 }, { name: 'd', count: 5 }] },
            { name: 'low', min: 0, stages: [{ name: 'all', percent: 100 }] },
          ],
        },
      }),
    );
    const text = problems.join('\n');
    expect(text).toMatch(/\/scoring\/tiers\/1\/min: tiers must be sorted/);
    expect(text).toMatch(/\/scoring\/tiers\/0\/stages\/1\/count: stage counts are cumulative/);
  });

  it('rejects a stage with two sizes, a check with a bad regex flag and a bad selector value', () => {
    const text = problemsOf(() =>
      resolvePolicy({
        version: 1,
        rollout: { stages: [{ name: 'x', count: 1, percent: 5 }] },
        checks: [{ path: '/a', regex: { flags: 'q' } }],
        windows: [{ name: 'w', kind: 'maintenance', targets: { region: 5 }, start: '2025-01-01T00:00:00Z', end: '2025-01-02T00:00:00Z' }],
      }),
    ).join('\n');
    expect(text).toMatch(/\/rollout\/stages\/0: a stage needs exactly one of `count`, `percent` or `select`; got `count` \+ `percent`/);
    expect(text).toMatch(/\/checks\/0\/regex\/flags/);
    expect(text).toMatch(/\/windows\/0\/targets\/region: a label value must be a string or a list of strings/);
  });
});

describe('schema and imports resolve relative to the policy file', () => {
  it('loads a schema path relative to the policy file folder', () => {
    const p = loadPolicy(join(fixtures, 'nested', 'confgate.yaml'));
    expect(p.baseDir).toBe(join(fixtures, 'nested'));
    expect(p.schemaFile).toBe(join(fixtures, 'edge.schema.json'));
    expect(p.schema?.required).toEqual(['features']);
    expect(p.limits.maxBytes).toBe(1_000_000);
    expect(p.limits.input.maxBytes).toBe(2 * 1024 * 1024);
    expect(p.checks[2]!.expiresAfterMs).toBe(7 * 86_400_000);
    expect(p.checks[2]!.severity).toBe('warn');
    expect(p.rollout.health.intervalMs).toBe(60_000);
  });

  it('loads a YAML schema and an inline schema', () => {
    expect(resolvePolicy({ version: 1, schema: 'edge.schema.yaml' }, { baseDir: fixtures }).schema?.required).toEqual(['name']);
    expect(resolvePolicy({ version: 1, schema: { type: 'object' } }).schema).toEqual({ type: 'object' });
  });

  it('names the path of a missing or unparsable schema', () => {
    const missing = problemsOf(() => resolvePolicy({ version: 1, schema: './missing.schema.json' }, { baseDir: fixtures, file: 'p.yaml' }));
    expect(missing[0]).toMatch(/^p\.yaml: \/schema: schema file `\.\/missing\.schema\.json` could not be read/);
    expect(missing[0]).toContain(join(fixtures, 'missing.schema.json'));
    const broken = problemsOf(() => resolvePolicy({ version: 1, schema: 'broken.schema.json' }, { baseDir: fixtures }));
    expect(broken[0]).toMatch(/schema file `broken\.schema\.json` is not valid JSON\/YAML/);
  });

  it('rejects a config schema that is not a valid JSON Schema', () => {
    const problems = problemsOf(() => resolvePolicy({ version: 1, schema: { type: 'strnig' } }));
    expect(problems[0]).toMatch(/\/schema: the config schema is not a valid JSON Schema/);
  });

  it('imports Statuspage windows and reports a missing import file', () => {
    const p = resolvePolicy({ version: 1, windowImports: [{ statuspage: 'statuspage.json' }] }, { baseDir: fixtures });
    expect(p.windows).toHaveLength(1);
    expect(p.windows[0]).toMatchObject({ kind: 'maintenance', targets: { region: 'SCL' }, source: 'statuspage.json' });
    const problems = problemsOf(() => resolvePolicy({ version: 1, windowImports: [{ ical: 'nope.ics' }] }, { baseDir: fixtures }));
    expect(problems[0]).toMatch(/\/windowImports\/0\/ical: window import `nope\.ics` failed .*file not found/);
  });

  it('imports iCalendar windows relative to the policy file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'confgate-policy-'));
    writeFileSync(
      join(dir, 'freeze.ics'),
      [
        'BEGIN:VCALENDAR',
        'VERSION:2.0',
        'PRODID:-//test//EN',
        'BEGIN:VEVENT',
        'UID:1@test',
        'DTSTAMP:20251101T000000Z',
        'DTSTART:20251124T000000Z',
        'DTEND:20251201T000000Z',
        'SUMMARY:Thanksgiving freeze',
        'END:VEVENT',
        'END:VCALENDAR',
        '',
      ].join('\r\n'),
    );
    writeFileSync(join(dir, 'confgate.yaml'), 'version: 1\nwindowImports:\n  - { ical: freeze.ics, targets: { env: prod } }\n');
    const p = loadPolicy(join(dir, 'confgate.yaml'));
    expect(p.windows).toHaveLength(1);
    expect(p.windows[0]).toMatchObject({ kind: 'freeze', targets: { env: 'prod' } });
  });
});

describe('rollout.health timing', () => {
  it('rejects a zero interval or timeout, naming the key', () => {
    for (const key of ['interval', 'timeout']) {
      let err: unknown;
      try {
        loadPolicy({ text: `version: 1\nrollout:\n  health:\n    ${key}: 0s\n`, file: 'p.yaml' });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(PolicyError);
      expect((err as PolicyError).problems.join('\n')).toMatch(new RegExp(`p\\.yaml:4:\\d+: /rollout/health/${key}: .*greater than 0`));
    }
  });
});

describe('windowImports: iCalendar timeZone', () => {
  it('reads all-day events in the given zone', async () => {
    const { occurrencesBetween } = await import('../../src/windows/index.js');
    const dir = mkdtempSync(join(tmpdir(), 'confgate-ics-'));
    writeFileSync(
      join(dir, 'holidays.ics'),
      'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:thanksgiving@test\r\nDTSTAMP:20250101T000000Z\r\nDTSTART;VALUE=DATE:20251127\r\nDTEND;VALUE=DATE:20251128\r\nSUMMARY:Thanksgiving freeze\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n',
    );
    writeFileSync(join(dir, 'p.yaml'), 'version: 1\nwindowImports:\n  - { ical: ./holidays.ics, timeZone: America/New_York }\n');
    const policy = loadPolicy(join(dir, 'p.yaml'));
    const occ = occurrencesBetween(policy.windows, new Date('2025-11-26T00:00:00Z'), new Date('2025-11-29T00:00:00Z'));
    expect(occ.map((o) => [o.start, o.end])).toEqual([['2025-11-27T05:00:00.000Z', '2025-11-28T05:00:00.000Z']]);
    writeFileSync(join(dir, 'bad.yaml'), 'version: 1\nwindowImports:\n  - { ical: ./holidays.ics, timeZone: Mars/Olympus }\n');
    expect(() => loadPolicy(join(dir, 'bad.yaml'))).toThrow(PolicyError);
  });
});
