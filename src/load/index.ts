/**
 * Load stage: read and parse YAML/JSON configuration with source positions, duplicate-key detection and
 * input limits.
 */
export { DEFAULT_INPUT_LIMITS } from './limits.js';
export { parseConfig, isConfigDoc } from './parse.js';
export type { ParseOptions } from './parse.js';
export { loadConfig } from './load.js';
export type { ConfigSource } from './load.js';
