/**
 * `serializeResult` (the CLI's `rollout --format json`, the HTML report) keeps every field of a result but the
 * error objects, which become plain `{ message, phase }`: a JSON consumer must never be told less than the library
 * caller (a field left out reads as "nothing remaining").
 */
import { describe, expect, it } from 'vitest';
import { RolloutError, serializeResult } from '../../src/index.js';
import type { RolloutResult } from '../../src/rollout/index.js';

describe('serializeResult', () => {
  it('keeps status, targets, stages, reason, resumed, remaining and analysis; errors become plain objects', () => {
    const result: RolloutResult = {
      status: 'incomplete',
      id: 'r-1',
      targets: { a: { status: 'healthy', stage: 0 }, b: { status: 'pending' } },
      stages: [],
      errors: [new RolloutError('apply', 'apply failed on a', { targetId: 'a' }), new Error('plain')],
      reason: 'b deferred',
      resumed: true,
      remaining: [{ targetId: 'b', reason: 'maintenance window "nightly" until 2025-06-01T13:00:00Z' }],
      analysis: { findings: [], judgements: [] } as unknown as RolloutResult['analysis'],
    };
    result.error = new AggregateError(result.errors);
    const s = serializeResult(result);
    const { errors: _e, error: _a, ...rest } = result;
    for (const [k, v] of Object.entries(rest)) expect(s[k as keyof typeof s], k).toEqual(v);
    expect(s.errors).toHaveLength(2);
    for (const e of s.errors) expect(typeof e.message).toBe('string');
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });
});
