/**
 * Factor weights of the risk score. The README documents these exact numbers; change them together.
 *
 * The score is the sum of the factors' points, clamped to 0..100. Every factor's points are an integer.
 * `log2` below is the base-2 logarithm; `round` rounds half up; `min` caps a factor.
 *
 * | factor id         | points                                                                                           | cap |
 * | ----------------- | ------------------------------------------------------------------------------------------------ | --- |
 * | `change.size`     | `round(5 × log2(1 + changed paths))` (max 15) + `floor(log2(1 + abs(bytes delta) / 1024))` (max 5)| 20  |
 * | `change.removals` | `round(4 × log2(1 + removed paths))`: removals count twice, once here and once in size             | 12  |
 * | `growth`          | `round(20 × (ratio − 1))`, largest ratio of `limit.growth` findings and proposed/current bytes*   | 20  |
 * | `shrink`          | `round(40 × fraction removed)`, largest of `limit.shrink` findings and 1 − proposed/current bytes*| 20  |
 * | `sensitive`       | sum of the policy `sensitive[].weight` of every pattern a change touches (each pattern once)      | —   |
 * | `blast-radius`    | `round(10 × first-wave share of targets + 10 × first-wave share of failure domains)`             | 20  |
 * | `plane.coupled`   | 15 when one push changes both control-plane and data-plane paths                                 | 15  |
 * | `version`         | 10 when the semver is unchanged although content changed, 20 when it went down                   | 20  |
 * | `maintenance`     | 5 per target under maintenance (from `window.maintenance` findings)                              | 15  |
 * | `override`        | 10 when a break-glass override is in use                                                         | 10  |
 * | `rules`           | 10 per policy rule (`rule.*`) or plugin rule id with findings (each id once, any severity)        | 30  |
 *
 * \* The document byte ratio counts only when the current document is at least 1 KiB (`minDocumentBytes`):
 * for tiny documents one added key is a large ratio and says nothing.
 */
export const WEIGHTS = Object.freeze({
  'change.size': Object.freeze({ pathsPerDoubling: 5, pathsMax: 15, bytesPerDoublingKiB: 1, bytesMax: 5 }),
  'change.removals': Object.freeze({ perDoubling: 4, max: 12 }),
  growth: Object.freeze({ perUnit: 20, max: 20, minDocumentBytes: 1024 }),
  shrink: Object.freeze({ perUnit: 40, max: 20, minDocumentBytes: 1024 }),
  /** Weights of sensitive paths come from the policy (`sensitive[].weight`); this is the fallback. No cap beyond the score's 100. */
  sensitive: Object.freeze({ defaultWeight: 20 }),
  'blast-radius': Object.freeze({ targets: 10, domains: 10 }),
  'plane.coupled': Object.freeze({ points: 15 }),
  version: Object.freeze({ equal: 10, lower: 20 }),
  maintenance: Object.freeze({ perTarget: 5, max: 15 }),
  override: Object.freeze({ points: 10 }),
  rules: Object.freeze({ perRule: 10, max: 30 }),
} as const);

/** Factor ids in the fixed order they appear in a report. */
export const FACTOR_ORDER = Object.freeze([
  'change.size',
  'change.removals',
  'growth',
  'shrink',
  'sensitive',
  'blast-radius',
  'plane.coupled',
  'version',
  'maintenance',
  'override',
  'rules',
] as const);

/** A factor id. */
export type FactorId = (typeof FACTOR_ORDER)[number];
