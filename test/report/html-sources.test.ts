/**
 * Source excerpts of the HTML gate report (`reportSources`): every line around a finding is shown, secrets never.
 * Shapes that defeat a naive "mask the value on its line": YAML block scalars, sequences at the key's indentation,
 * flow maps on one line, pretty and minified JSON, secrets as map keys, secrets quoted in comments, a policy `secrets`
 * pattern, a document that does not parse (only the key name is known), and a secret-named key whose siblings must
 * stay readable.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig, reportSources, type GateReport } from '../../src/index.js';

/** A report with one finding on every line of `file` (so that every line is wanted). */
function everyLine(file: string, lines: number): GateReport {
  return {
    verdict: 'block',
    score: 0,
    findings: Array.from({ length: lines }, (_, i) => ({ rule: 'schema', severity: 'block' as const, message: 'x', location: { file, line: i + 1, column: 1 } })),
    factors: [],
    changes: { added: 0, removed: 0, modified: 0, reordered: 0, total: 0, changes: [] },
    at: '2025-11-18T11:20:00Z',
    files: { proposed: file },
  };
}

function excerpt(text: string, file: string, secrets: string[] = []): string[] {
  const doc = loadConfig({ text, file });
  const n = text.split('\n').length;
  const src = reportSources(everyLine(file, n), [doc], { policy: { secrets } });
  expect(src.length, 'an excerpt is made').toBe(1);
  return Object.entries(src[0]!.lines)
    .sort((a, b) => Number(a[0]) - Number(b[0]))
    .map(([, l]) => l);
}

const CASES: Array<{ name: string; file: string; text: string; secrets: string[]; visible: string[]; policy?: string[] }> = [
  {
    name: 'YAML block scalar, then a sibling key',
    file: 'a.yaml',
    text: 'user: deploy\nprivate_key: |\n  -----BEGIN KEY-----\n  MIIplantedline1xx\n  user: not-a-key-planted2\n  -----END KEY-----\nport: 443\n',
    secrets: ['MIIplantedline1xx', 'not-a-key-planted2', 'BEGIN KEY'],
    visible: ['user: deploy', 'port: 443', 'private_key: «secret»'],
  },
  {
    name: 'YAML sequence at the key indentation',
    file: 'b.yaml',
    text: 'name: edge\ntokens:\n- tokplanted-aaaa1\n- tokplanted-bbbb2\nregion: ams\n',
    secrets: ['tokplanted-aaaa1', 'tokplanted-bbbb2'],
    visible: ['name: edge', 'region: ams'],
  },
  {
    name: 'YAML flow map on one line and a folded scalar',
    file: 'c.yaml',
    text: 'db: { host: db1, password: pw-planted-flow1, port: 5432 }\napi_token: >\n  folded-planted-part1\n  folded-planted-part2\nnext: 1\n',
    secrets: ['pw-planted-flow1', 'folded-planted-part1', 'folded-planted-part2'],
    visible: ['next: 1'],
  },
  {
    name: 'pretty JSON with a secret object and a PEM with \\n escapes',
    file: 'd.json',
    text: '{\n  "credentials": {\n    "user": "cred-planted-user1",\n    "pass": "cred-planted-pass1"\n  },\n  "tls_pem": "-----BEGIN-----\\nMIIpemplanted01\\n-----END-----",\n  "listen": 8443\n}\n',
    secrets: ['cred-planted-user1', 'cred-planted-pass1', 'MIIpemplanted01'],
    visible: ['"listen": 8443'],
  },
  {
    name: 'minified JSON',
    file: 'e.json',
    text: '{"a":1,"secret":"min-planted-secret1","b":[1,2],"token":"min-planted-token2","c":"visible-c"}\n',
    secrets: ['min-planted-secret1', 'min-planted-token2'],
    visible: ['{"a":1,'],
  },
  {
    name: 'a secret used as a map key, and quoted in a comment',
    file: 'f.yaml',
    text: '# rotated keyplanted-name-01 last week\napi_keys:\n  keyplanted-name-01: { scope: read }\nold: old-planted-rotated1\nmode: fast\n',
    secrets: ['keyplanted-name-01'],
    visible: ['mode: fast'],
  },
  {
    name: 'a policy secrets pattern on an ordinary name',
    file: 'g.yaml',
    text: 'dns:\n  zone: example.com\n  tsig: tsig-planted-value1\n  ttl: 300\n',
    secrets: ['tsig-planted-value1'],
    visible: ['zone: example.com', 'ttl: 300'],
    policy: ['/dns/tsig'],
  },
  {
    name: 'a document that does not parse: secret-named keys keep their key only',
    file: 'h.yaml',
    text: 'user: deploy\npassword: broken-planted-pw1\nlist: [1, 2\nother: x\n',
    secrets: ['broken-planted-pw1'],
    visible: ['user: deploy', 'password: «secret»'],
  },
];

describe('reportSources masks secrets in every excerpt line', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const lines = excerpt(c.text, c.file, c.policy ?? []);
      const all = lines.join('\n');
      for (const s of c.secrets) expect(all, `${s} in\n${all}`).not.toContain(s);
      for (const v of c.visible) expect(all, `${v} missing from\n${all}`).toContain(v);
    });
  }

  it('a value passed in memory (no source text) gives no excerpt', () => {
    const report = everyLine('<memory>', 3);
    expect(reportSources(report, [undefined])).toEqual([]);
  });

  it('only the lines around findings are kept', () => {
    const text = Array.from({ length: 50 }, (_, i) => `k${i}: ${i}`).join('\n') + '\n';
    const doc = loadConfig({ text, file: 'big.yaml' });
    const report: GateReport = { ...everyLine('big.yaml', 0), findings: [{ rule: 'schema' as const, severity: 'block' as const, message: 'x', location: { file: 'big.yaml', line: 20, column: 1 } }] };
    const src = reportSources(report, [doc]);
    expect(Object.keys(src[0]!.lines).map(Number)).toEqual([17, 18, 19, 20, 21, 22, 23]);
  });
});
