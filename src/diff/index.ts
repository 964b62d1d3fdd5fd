/** The diff stage: current (LKG) vs proposed config -> `Change[]`. */
export { diffConfigs, summarizeChanges } from './diff.js';
export type { DiffOptions } from './diff.js';
