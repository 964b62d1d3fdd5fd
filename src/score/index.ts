/** Score stage: the explainable additive risk score, its findings and the risk tier it selects. */
export { scorePush } from './score.js';
export type { ScoreInput, ScoreMember, ScoreResult } from './score.js';
export { WEIGHTS, FACTOR_ORDER } from './weights.js';
export type { FactorId } from './weights.js';
