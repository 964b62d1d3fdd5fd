import { loadConfig } from '../../src/load/index.js';
import { resolvePolicy } from '../../src/policy/index.js';
import type { ConfigDoc, Finding, JsonValue } from '../../src/types.js';
import { compileValidator, type ValidateInput } from '../../src/validate/index.js';

export const AT = new Date('2025-11-18T12:00:00Z');

/** A ConfigDoc from YAML/JSON text (with real source locations). */
export function doc(text: string, file = 'proposed.yaml'): ConfigDoc {
  return loadConfig({ text, file });
}

/** A ConfigDoc from a value, serialised as JSON. */
export function jsonDoc(value: JsonValue, file = 'proposed.json'): ConfigDoc {
  return loadConfig({ text: JSON.stringify(value, null, 2), file });
}

/** Validate with a policy given as a document. */
export function run(policy: Record<string, unknown>, input: Omit<ValidateInput, 'at'> & { at?: Date }): Finding[] {
  const v = compileValidator(resolvePolicy({ version: 1, ...policy }));
  return v.validate({ at: AT, ...input });
}

export const rules = (fs: readonly Finding[]) => fs.map((f) => `${f.rule}:${f.severity}`);
export const only = (fs: readonly Finding[], rule: string) => fs.filter((f) => f.rule === rule);
