import { describe, expect, it } from 'vitest';
import { PolicyError } from '../../src/errors.js';
import { resolvePolicy } from '../../src/policy/index.js';
import type { ResolvedPolicy } from '../../src/policy/types.js';
import { compileValidator } from '../../src/validate/index.js';
import { AT, doc, jsonDoc, only, run } from './helpers.js';

describe('schema', () => {
  const quotaSchema = {
    type: 'object',
    required: ['quota'],
    properties: {
      quota: {
        type: 'object',
        required: ['name', 'limit'],
        properties: { name: { type: 'string', minLength: 1 }, limit: { type: 'integer', minimum: 0 } },
      },
    },
  };

  it('flags the Google quota-policy blank and missing fields with key and line', () => {
    const proposed = doc('quota:\n  name: ""\n  region: us-central1\n');
    const fs = run({ schema: quotaSchema }, { proposed });
    expect(fs.map((f) => f.path)).toEqual(['/quota/limit', '/quota/name']);
    const [missing, blank] = fs;
    expect(missing!.rule).toBe('schema');
    expect(missing!.severity).toBe('block');
    expect(missing!.message).toBe('`/quota/limit` is required but missing');
    expect(missing!.detail).toEqual({ keyword: 'required', params: { missingProperty: 'limit' }, schemaPath: '#/properties/quota/required' });
    // The missing property has no line of its own: the nearest ancestor's.
    expect(missing!.location?.file).toBe('proposed.yaml');
    expect(missing!.location?.line).toBeLessThanOrEqual(2);
    expect(blank!.message).toMatch(/^`\/quota\/name` must not be empty/);
    expect(blank!.location).toMatchObject({ file: 'proposed.yaml', line: 2 });
  });

  it('does not fire on a valid config', () => {
    expect(run({ schema: quotaSchema }, { proposed: doc('quota:\n  name: cpu\n  limit: 10\n') })).toEqual([]);
  });

  it('enforces the Cloudflare 2020 conditional rule (an accept term must have a match)', () => {
    const schema = {
      type: 'object',
      properties: {
        terms: {
          type: 'array',
          items: {
            type: 'object',
            required: ['name', 'action'],
            properties: { name: { type: 'string' }, action: { enum: ['accept', 'reject'] }, match: { type: 'object', minProperties: 1 } },
            if: { properties: { action: { const: 'accept' } } },
            then: { required: ['match'] },
          },
        },
      },
    };
    const proposed = doc(`terms:
  - name: ANYCAST
    action: accept
    match: { prefix-list: anycast }
  - name: SITE-LOCAL
    action: accept
  - name: REJECT-THE-REST
    action: reject
`);
    const fs = run({ schema }, { proposed });
    expect(fs.map((f) => `${f.path} ${(f.detail as { keyword: string }).keyword}`)).toEqual(['/terms/1 if', '/terms/1/match required']);
    expect(fs[1]!.message).toBe('`/terms/1/match` is required but missing');
    expect(fs[0]!.location?.line).toBe(5);
  });

  it('picks the 2020-12 dialect from $schema (prefixItems, dependentRequired)', () => {
    const schema = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: { pair: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'integer' }], items: false } },
      dependentRequired: { cert: ['key'] },
    };
    const fs = run({ schema }, { proposed: jsonDoc({ pair: ['a', 'b', 3], cert: 'x' }) });
    const kw = fs.map((f) => (f.detail as { keyword: string }).keyword).sort();
    expect(kw).toEqual(['dependentRequired', 'items', 'type']);
    expect(fs.find((f) => (f.detail as { keyword: string }).keyword === 'dependentRequired')!.path).toBe('/key');
    expect(run({ schema }, { proposed: jsonDoc({ pair: ['a', 1], cert: 'x', key: 'y' }) })).toEqual([]);
  });

  it('catches a CrowdStrike-like field count mismatch (consumer contract: 20 fields)', () => {
    const schema = {
      type: 'object',
      additionalProperties: false,
      properties: { template: { type: 'string' }, fields: { type: 'array', maxItems: 20, items: { type: 'string' } } },
    };
    const fields = Array.from({ length: 21 }, (_, i) => `f${i}`);
    const fs = run({ schema }, { proposed: jsonDoc({ template: 'ipc', fields, extra: true }) });
    expect(fs.map((f) => f.path)).toEqual(['/extra', '/fields']);
    expect(fs[1]!.message).toBe('`/fields` must have at most 20 items, has 21');
    expect(fs[0]!.message).toMatch(/^`\/extra` is not allowed/);
    expect(run({ schema }, { proposed: jsonDoc({ template: 'ipc', fields: fields.slice(0, 20) }) })).toEqual([]);
  });

  it('uses formats (ajv-formats) and reports what was received', () => {
    const schema = { type: 'object', properties: { url: { type: 'string', format: 'uri' }, port: { type: 'integer' } } };
    const fs = run({ schema }, { proposed: jsonDoc({ url: 'not a uri', port: '80' }) });
    expect(fs.map((f) => f.message)).toEqual(['`/port` must be of type integer, got string `80`', '`/url` must be a valid uri, got `not a uri`']);
  });

  it('reports ONE rollback.lkg-invalid warning when the LKG fails the schema', () => {
    const current = doc('quota:\n  name: ""\n', 'current.yaml');
    const proposed = doc('quota:\n  name: cpu\n  limit: 5\n');
    const fs = run({ schema: quotaSchema }, { proposed, current });
    expect(fs).toHaveLength(1);
    expect(fs[0]).toMatchObject({ rule: 'rollback.lkg-invalid', severity: 'warn', document: 'current' });
    expect(fs[0]!.detail).toMatchObject({ reason: 'schema', errorCount: 2 });
    expect(fs[0]!.location?.file).toBe('current.yaml');
    // A valid LKG: nothing.
    expect(run({ schema: quotaSchema }, { proposed, current: doc('quota:\n  name: cpu\n  limit: 4\n', 'current.yaml') })).toEqual([]);
  });

  it('throws PolicyError from compileValidator when a hand-made policy has an invalid schema', () => {
    const p: ResolvedPolicy = { ...resolvePolicy({ version: 1 }), schema: { type: 'nope' } };
    expect(() => compileValidator(p)).toThrow(PolicyError);
  });

  it('skips value checks when the proposed document did not parse', () => {
    const proposed = doc('a: [1, 2\n');
    expect(proposed.value).toBeUndefined();
    expect(only(run({ schema: quotaSchema }, { proposed, at: AT }), 'schema')).toEqual([]);
  });
});
