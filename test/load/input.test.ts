import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError, OptionsError } from '../../src/errors.js';
import { DEFAULT_INPUT_LIMITS, isConfigDoc, loadConfig, parseConfig } from '../../src/load/index.js';

const rules = (d: { findings: readonly { rule: string }[] }) => d.findings.map((f) => f.rule);

describe('defaults', () => {
  it('has the documented limits', () => {
    expect(DEFAULT_INPUT_LIMITS).toEqual({ maxBytes: 64 * 1024 * 1024, maxDepth: 256, maxAliases: 1000, maxNodes: 5_000_000 });
  });
  it('invalid options throw OptionsError naming the field', () => {
    expect(() => parseConfig('a: 1', { limits: { maxDepth: -1 } })).toThrow(OptionsError);
    expect(() => parseConfig('a: 1', { limits: { maxBytes: 1.5 } })).toThrow(/limits\.maxBytes/);
    expect(() => parseConfig('a: 1', { format: 'toml' as never })).toThrow(/format/);
    expect(() => parseConfig(42 as never)).toThrow(OptionsError);
  });
});

describe('encodings and odd input', () => {
  it('empty and whitespace-only input is parse.error "empty document"', () => {
    for (const t of ['', '   \n\t\n', new Uint8Array(0)]) {
      for (const format of ['auto', 'json', 'yaml'] as const) {
        const d = parseConfig(t, { format });
        expect(d.failed).toBe(true);
        expect(d.value).toBeUndefined();
        expect(rules(d)).toEqual(['parse.error']);
        expect(d.findings[0]!.message).toMatch(/empty/);
      }
    }
  });

  it('strips a BOM (string and bytes), positions unaffected', () => {
    const s = '\uFEFF{"a": [1, 2]}';
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...Buffer.from('a:\n  - 1\n  - 2\n')]);
    const j = parseConfig(s);
    expect(j.format).toBe('json');
    expect(j.value).toEqual({ a: [1, 2] });
    expect(j.locate('/a/1')).toEqual({ file: '<input>', line: 1, column: 11 });
    const y = parseConfig(bytes);
    expect(y.value).toEqual({ a: [1, 2] });
    expect(y.bytes).toBe(bytes.length);
    expect(y.locate('/a/1')).toEqual({ file: '<input>', line: 3, column: 5 });
  });

  it('CRLF line endings: same value, same lines', () => {
    const y = parseConfig('a: 1\r\nb:\r\n  c: 2\r\n  c: 3\r\n');
    expect(y.value).toEqual({ a: 1, b: { c: 3 } });
    expect(y.findings[0]).toMatchObject({ rule: 'parse.duplicate-key', location: { line: 4, column: 3 } });
    expect(y.locate('/b/c')).toMatchObject({ line: 4, column: 6 });
    const j = parseConfig('{\r\n  "a": 1,\r\n  "b": {"c": 2}\r\n}\r\n');
    expect(j.locate('/b/c')).toMatchObject({ line: 3, column: 14 });
    const e = parseConfig('{\r\n  "a": 1,\r\n  "b": \r\n}', { format: 'json' });
    expect(e.findings[0]!.location).toMatchObject({ line: 4, column: 1 });
  });

  it('NUL bytes are parse.error with their position', () => {
    for (const t of ['a: 1\nb: x\u0000y\n', '{"a": "x\u0000"}', Buffer.from('a: 1\n\0\0\0')]) {
      const d = parseConfig(t);
      expect(d.failed).toBe(true);
      expect(rules(d)).toEqual(['parse.error']);
      expect(d.findings[0]!.message).toMatch(/NUL/);
    }
    expect(parseConfig('a: 1\nb: x\u0000y\n').findings[0]!.location).toEqual({ file: '<input>', line: 2, column: 5 });
  });

  it('binary (invalid UTF-8) is parse.error, not a crash', () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52]);
    const d = parseConfig(png);
    expect(d.failed).toBe(true);
    expect(rules(d)).toEqual(['parse.error']);
    const late = parseConfig(new Uint8Array([...Buffer.from('a: 1\nb: '), 0xc3, 0x28]));
    expect(late.findings[0]).toMatchObject({ rule: 'parse.error', location: { line: 2, column: 4 }, detail: { byteOffset: 8 } });
    // random bytes never throw
    let seed = 7;
    for (let k = 0; k < 50; k++) {
      const b = new Uint8Array(200).map(() => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed & 0xff));
      const r = parseConfig(b);
      expect(typeof r.failed).toBe('boolean');
    }
  });

  it('truncated documents are parse errors with a location', () => {
    const full = '{\n  "features": [\n    {"name": "a", "type": "x"},\n    {"name": "b", "type": "y"}\n  ]\n}\n';
    for (let cut = 1; cut < full.trimEnd().length; cut += 7) {
      const d = parseConfig(full.slice(0, cut), { file: 'f.json' });
      expect(d.failed).toBe(true);
      expect(d.findings[0]!.rule).toBe('parse.error');
      expect(d.findings[0]!.location!.line).toBeGreaterThanOrEqual(1);
    }
    const y = parseConfig('a:\n  b: [1, 2\n', { file: 'f.yaml' });
    expect(y.failed).toBe(true);
  });

  it('unknown extension: content decides; JSON-looking YAML flow style falls back to YAML', () => {
    expect(parseConfig('{"a": 1}', { file: 'x.conf' }).format).toBe('json');
    expect(parseConfig('a: 1', { file: 'x.conf' }).format).toBe('yaml');
    const flow = parseConfig('{a: 1, b: [x, y]}');
    expect(flow.format).toBe('yaml');
    expect(flow.value).toEqual({ a: 1, b: ['x', 'y'] });
    // declared JSON never falls back
    expect(parseConfig('{a: 1}', { file: 'x.json' }).findings[0]!.rule).toBe('parse.error');
    expect(parseConfig('{a: 1}', { format: 'json' }).failed).toBe(true);
    // when both fail, the JSON error is reported
    const both = parseConfig('{"a": [1, 2}');
    expect(both.format).toBe('json');
    expect(both.findings[0]).toMatchObject({ rule: 'parse.error', location: { line: 1, column: 12 } });
  });
});

describe('size limits', () => {
  const big = '{"blob": "' + 'x'.repeat(20 * 1024 * 1024) + '", "n": 1}';
  it('a 20 MB string value parses with the default limits (JSON and YAML)', () => {
    const d = parseConfig(big);
    expect(d.failed).toBe(false);
    expect((d.value as { blob: string }).blob.length).toBe(20 * 1024 * 1024);
    expect(d.locate('/n')).toEqual({ file: '<input>', line: 1, column: big.length - 1 });
    const y = parseConfig('blob: "' + 'y'.repeat(20 * 1024 * 1024) + '"\nn: 1\n');
    expect(y.failed).toBe(false);
    expect(y.locate('/n')).toMatchObject({ line: 2, column: 4 });
  });
  it('over maxBytes: input.too-large, not parsed at all', () => {
    const d = parseConfig(big, { limits: { maxBytes: 1024 * 1024 } });
    expect(d.failed).toBe(true);
    expect(d.value).toBeUndefined();
    expect(rules(d)).toEqual(['input.too-large']);
    expect(d.findings[0]!.detail).toMatchObject({ bytes: big.length, maxBytes: 1024 * 1024 });
    expect(d.format).toBe('json');
    // counted in UTF-8 bytes, not characters
    expect(rules(parseConfig('a: ééé', { limits: { maxBytes: 8 } }))).toEqual(['input.too-large']);
    expect(parseConfig('a: ééé', { limits: { maxBytes: 9 } }).failed).toBe(false);
  });
});

describe('loadConfig', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'confgate-load-'));
    writeFileSync(join(dir, 'c.yaml'), 'rules:\n  - id: a\n    pattern: x\n');
    writeFileSync(join(dir, 'c.json'), '{"a": 1, "a": 2}');
    writeFileSync(join(dir, 'noext'), '{"a": 1}');
    writeFileSync(join(dir, 'big.yaml'), 'a: ' + 'x'.repeat(5000) + '\n');
    mkdirSync(join(dir, 'sub.yaml'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a path; file defaults to the path; format from the extension', () => {
    const p = join(dir, 'c.yaml');
    const d = loadConfig(p);
    expect(d.file).toBe(p);
    expect(d.format).toBe('yaml');
    expect(d.value).toEqual({ rules: [{ id: 'a', pattern: 'x' }] });
    expect(d.locate('/rules/0/pattern')).toEqual({ file: p, line: 3, column: 14 });
    expect(isConfigDoc(d)).toBe(true);
    const j = loadConfig({ path: join(dir, 'c.json') }, { file: 'shown.json' });
    expect(j.file).toBe('shown.json');
    expect(j.findings[0]).toMatchObject({ rule: 'parse.duplicate-key', location: { file: 'shown.json', line: 1, column: 10 } });
    expect(loadConfig(join(dir, 'noext')).format).toBe('json');
  });

  it('a missing file, a directory or an empty path throw InputError E_INPUT_UNREADABLE naming the path', () => {
    const missing = join(dir, 'nope.yaml');
    expect(() => loadConfig(missing)).toThrow(InputError);
    try {
      loadConfig({ path: missing });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      expect((e as InputError).code).toBe('E_INPUT_UNREADABLE');
      expect((e as InputError).message).toContain(missing);
    }
    expect(() => loadConfig(join(dir, 'sub.yaml'))).toThrow(/directory/);
    expect(() => loadConfig({ path: '' })).toThrow(InputError);
  });

  it('a file over maxBytes is refused without parsing', () => {
    const d = loadConfig(join(dir, 'big.yaml'), { limits: { maxBytes: 100 } });
    expect(rules(d)).toEqual(['input.too-large']);
    expect(d.failed).toBe(true);
    expect(isConfigDoc(d)).toBe(true);
  });

  it('string rule: newline or leading {, [ or --- means text, anything else is a path', () => {
    expect(loadConfig('a: 1\n').value).toEqual({ a: 1 });
    expect(loadConfig('  {"a": 1}').value).toEqual({ a: 1 });
    expect(loadConfig('[1, 2]').value).toEqual([1, 2]);
    expect(loadConfig('--- {b: 2}').value).toEqual({ b: 2 });
    expect(() => loadConfig('a: 1')).toThrow(InputError);
    expect(() => loadConfig('config.yaml')).toThrow(/config\.yaml/);
    expect(loadConfig({ text: 'a: 1' }).value).toEqual({ a: 1 });
    expect(loadConfig({ text: '{"a": 1}', file: 'x.json' }).file).toBe('x.json');
    expect(loadConfig(Buffer.from('a: 2')).value).toEqual({ a: 2 });
    expect(() => loadConfig({} as never)).toThrow(OptionsError);
  });

  it('isConfigDoc', () => {
    expect(isConfigDoc(parseConfig('a: 1'))).toBe(true);
    expect(isConfigDoc({ value: 1 })).toBe(false);
    expect(isConfigDoc(null)).toBe(false);
    expect(isConfigDoc({ value: 1, format: 'yaml', bytes: 1, file: 'x', findings: [], failed: false, locate: () => undefined })).toBe(true);
  });
});
