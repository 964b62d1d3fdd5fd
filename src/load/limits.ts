/**
 * Input limits applied while loading a document: one place for the defaults and their validation.
 */
import { OptionsError } from '../errors.js';
import type { InputLimits } from '../types.js';

/** Default input limits: 64 MiB, 256 levels of nesting, 1000 YAML alias resolutions, 5,000,000 nodes. */
export const DEFAULT_INPUT_LIMITS: Required<InputLimits> = Object.freeze({
  maxBytes: 64 * 1024 * 1024,
  maxDepth: 256,
  maxAliases: 1000,
  maxNodes: 5_000_000,
});

/**
 * Fill the defaults of `limits` and check every field. Throws `OptionsError` naming the field when a
 * value is not a non-negative integer (or `Infinity`).
 */
export function resolveLimits(limits: InputLimits | undefined): Required<InputLimits> {
  const out: Required<InputLimits> = {
    maxBytes: limits?.maxBytes ?? DEFAULT_INPUT_LIMITS.maxBytes,
    maxDepth: limits?.maxDepth ?? DEFAULT_INPUT_LIMITS.maxDepth,
    maxAliases: limits?.maxAliases ?? DEFAULT_INPUT_LIMITS.maxAliases,
    maxNodes: limits?.maxNodes ?? DEFAULT_INPUT_LIMITS.maxNodes,
  };
  for (const key of Object.keys(out) as Array<keyof InputLimits>) {
    const v = out[key];
    if (typeof v !== 'number' || Number.isNaN(v) || v < 0 || (!Number.isInteger(v) && v !== Infinity)) {
      throw new OptionsError(`limits.${key} must be a non-negative integer, got ${String(v)}`);
    }
  }
  return out;
}
