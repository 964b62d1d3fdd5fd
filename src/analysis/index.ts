/** Health analysis: metric providers, templates, conditions and the canary judge. */
export { aggregate, hodgesLehmann, judge, mannWhitney } from './judge/index.js';
export type {
  Alternative,
  DomainJudgement,
  Judgement,
  JudgeOutcome,
  JudgeSpec,
  MannWhitneyOptions,
  MannWhitneyTestResult,
  Observation,
  ShiftEstimate,
} from './judge/index.js';
