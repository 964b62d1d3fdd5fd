/** ajv instances for user config schemas: dialect chosen by `$schema`, formats, no logging, cached per schema object. */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formatsModule from 'ajv-formats';
import type { FormatsPlugin } from 'ajv-formats';
import type { JsonObject } from '../types.js';
import { linearRegExp } from './linear-regex.js';

// ajv-formats is CommonJS with a `default` property; the default import differs between Node ESM and bundlers.
// Read on first use, not when this module loads: the CLI bundle requires ajv-formats only when a schema is compiled
// (scripts/lazy-externals.mjs).
function addFormats(ajv: Parameters<FormatsPlugin>[0]): void {
  const plugin = (formatsModule as unknown as { default?: FormatsPlugin }).default ?? (formatsModule as unknown as FormatsPlugin);
  plugin(ajv);
}

/** JSON Schema dialect picked from `$schema`. */
export type SchemaDialect = 'draft-07' | '2019-09' | '2020-12';

/** The dialect of a schema: 2020-12 and 2019-09 by their `$schema` URI, everything else draft-07. */
export function schemaDialect(schema: JsonObject): SchemaDialect {
  const uri = typeof schema.$schema === 'string' ? schema.$schema : '';
  if (uri.includes('2020-12')) return '2020-12';
  if (uri.includes('2019-09')) return '2019-09';
  return 'draft-07';
}

const cache = new WeakMap<object, ValidateFunction>();

/**
 * Compile a user's config schema. Throws ajv's error when the schema itself is invalid.
 * Older drafts (04, 06) are compiled as draft-07 (their `$schema` is dropped); the differences rarely matter for configs.
 */
export function compileConfigSchema(schema: JsonObject): ValidateFunction {
  const hit = cache.get(schema);
  if (hit) return hit;
  const dialect = schemaDialect(schema);
  // ownProperties: `properties`/`required` look at own keys only, so a config's own `__proto__` or `constructor`
  // key is validated as data and an absent one is not "present" through Object.prototype.
  // code.regExp: schema patterns run natively only when their form is linear, else in RE2JS (linear-time matching),
  // so that `pattern: ^(a+)+$` cannot make a config value cost minutes (see linear-regex.ts).
  const opts = { allErrors: true, strict: false, logger: false as const, verbose: false, ownProperties: true, code: { regExp: linearRegExp } };
  const ajv = dialect === '2020-12' ? new Ajv2020(opts) : dialect === '2019-09' ? new Ajv2019(opts) : new Ajv(opts);
  addFormats(ajv);
  let toCompile: JsonObject = schema;
  if (dialect === 'draft-07' && typeof schema.$schema === 'string' && !/draft-07/.test(schema.$schema)) {
    const { $schema: _dropped, ...rest } = schema;
    toCompile = rest as JsonObject;
  }
  const fn = ajv.compile(toCompile);
  cache.set(schema, fn);
  return fn;
}

export type { ErrorObject, ValidateFunction };
