/** JSON Schema validation of a config: one `schema` finding per ajv error, with a message for people. */
import { encodePointer, getAtPointer } from '../pointer.js';
import type { ConfigDoc, Finding, JsonValue } from '../types.js';
import type { ErrorObject, ValidateFunction } from './ajv.js';
import { makeFinding, preview, showPath } from './util.js';

/** Most schema findings reported for one document; the rest are summarised in one more finding. */
export const MAX_SCHEMA_FINDINGS = 1000;

/** The pointer an error is about: the instance path, plus the missing/extra property for keywords that name one. */
export function errorPointer(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  const extra =
    e.keyword === 'required' || e.keyword === 'dependentRequired' || e.keyword === 'dependencies'
      ? p.missingProperty
      : e.keyword === 'additionalProperties'
        ? p.additionalProperty
        : e.keyword === 'unevaluatedProperties'
          ? p.unevaluatedProperty
          : undefined;
  return typeof extra === 'string' ? e.instancePath + encodePointer([extra]) : e.instancePath;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number' && Number.isInteger(v)) return 'integer';
  return typeof v;
}

/** JSON-safe copy of ajv params (drops undefined, functions, cycles). */
function jsonSafe(params: unknown): Record<string, JsonValue> {
  try {
    const s = JSON.stringify(params ?? {});
    const v = JSON.parse(s) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, JsonValue>) : {};
  } catch {
    return {};
  }
}

/** A message for people from an ajv error. `root` is the validated value (to show what was received). */
export function describeSchemaError(e: ErrorObject, root: JsonValue | undefined): string {
  const at = showPath(e.instancePath);
  const p = e.params as Record<string, unknown>;
  const value = (): JsonValue | undefined => getAtPointer(root, e.instancePath);
  switch (e.keyword) {
    case 'required':
    case 'dependentRequired':
    case 'dependencies':
      return `${showPath(errorPointer(e))} is required but missing`;
    case 'additionalProperties':
      return `${showPath(errorPointer(e))} is not allowed: ${at} has no property \`${String(p.additionalProperty)}\` in the schema`;
    case 'unevaluatedProperties':
      return `${showPath(errorPointer(e))} is not allowed by the schema (unevaluated property)`;
    case 'type':
      return `${at} must be of type ${String(p.type).replace(/,/g, ' or ')}, got ${typeName(value())} ${preview(value())}`;
    case 'minLength': {
      const v = value();
      if (typeof v === 'string' && v.length === 0) return `${at} must not be empty (at least ${String(p.limit)} character${p.limit === 1 ? '' : 's'})`;
      return `${at} must be at least ${String(p.limit)} characters long, got ${typeof v === 'string' ? v.length : '?'}`;
    }
    case 'maxLength':
      return `${at} must be at most ${String(p.limit)} characters long, got ${String((value() as string | undefined)?.length ?? '?')}`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `${at} must be ${String(p.comparison)} ${String(p.limit)}, got ${preview(value())}`;
    case 'multipleOf':
      return `${at} must be a multiple of ${String(p.multipleOf)}, got ${preview(value())}`;
    case 'enum':
      return `${at} must be one of ${(p.allowedValues as unknown[]).map((v) => preview(v, 30)).join(', ')}, got ${preview(value())}`;
    case 'const':
      return `${at} must equal ${preview(p.allowedValue)}, got ${preview(value())}`;
    case 'pattern':
      return `${at} must match the pattern \`${String(p.pattern)}\`, got ${preview(value())}`;
    case 'format':
      return `${at} must be a valid ${String(p.format)}, got ${preview(value())}`;
    case 'minItems': {
      const v = value();
      return `${at} must have at least ${String(p.limit)} items, has ${Array.isArray(v) ? v.length : '?'}`;
    }
    case 'maxItems': {
      const v = value();
      return `${at} must have at most ${String(p.limit)} items, has ${Array.isArray(v) ? v.length : '?'}`;
    }
    case 'minProperties':
    case 'maxProperties': {
      const v = value();
      const n = v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.keys(v).length : '?';
      return `${at} must have ${e.keyword === 'minProperties' ? 'at least' : 'at most'} ${String(p.limit)} properties, has ${n}`;
    }
    case 'uniqueItems':
      return `${at} must not contain duplicate items (items ${String(p.j)} and ${String(p.i)} are equal)`;
    case 'if':
      return `${at} does not satisfy the schema's \`${String(p.failingKeyword)}\` branch of its \`if\` condition`;
    case 'oneOf':
      return Array.isArray(p.passingSchemas)
        ? `${at} matches more than one of the allowed shapes (oneOf)`
        : `${at} does not match any of the allowed shapes (oneOf)`;
    case 'anyOf':
      return `${at} does not match any of the allowed shapes (anyOf)`;
    case 'not':
      return `${at} matches a shape the schema forbids (not)`;
    case 'contains':
      return `${at} must contain at least ${String(p.minContains ?? 1)} matching item(s)`;
    case 'propertyNames':
      return `${at} has an invalid property name \`${String(p.propertyName)}\``;
    case 'false schema':
      return `${at} is not allowed by the schema`;
    default:
      return `${at} ${e.message ?? 'is invalid'} (${e.keyword})`;
  }
}

/** Validate the proposed document: one finding per error (capped at {@link MAX_SCHEMA_FINDINGS}). */
export function schemaFindings(validate: ValidateFunction, doc: ConfigDoc): Finding[] {
  const value = doc.value;
  if (value === undefined) return [];
  if (validate(value)) return [];
  const errors = validate.errors ?? [];
  const out: Finding[] = [];
  for (const e of errors.slice(0, MAX_SCHEMA_FINDINGS)) {
    const path = errorPointer(e);
    out.push(
      makeFinding(doc, 'schema', 'block', describeSchemaError(e, value), path, {
        keyword: e.keyword,
        params: jsonSafe(e.params),
        schemaPath: e.schemaPath,
      }),
    );
  }
  if (errors.length > MAX_SCHEMA_FINDINGS) {
    out.push(
      makeFinding(doc, 'schema', 'block', `${errors.length - MAX_SCHEMA_FINDINGS} more schema errors not listed (${errors.length} in total)`, '', {
        keyword: 'summary',
        total: errors.length,
      }),
    );
  }
  return out;
}

/** Validate a document and return its errors (for the LKG check). */
export function schemaErrors(validate: ValidateFunction, value: JsonValue): ErrorObject[] {
  return validate(value) ? [] : [...(validate.errors ?? [])];
}
