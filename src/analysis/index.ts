/** Health analysis: metric providers, templates, measurements and the canary judge. */
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
export { classify, measure } from './measure.js';
export type { AnalysisMetric, Condition, Measurement, MeasureContext } from './measure.js';
export { ProviderError } from './types.js';
export type { MeasurementPhase, Provider, ProviderContext, ProviderResult, Series } from './types.js';
export { prometheusProvider } from './providers/prometheus/index.js';
export type { PrometheusSpec, ProviderOptions } from './providers/prometheus/index.js';
export { webProvider } from './providers/web/index.js';
export type { WebSpec } from './providers/web/index.js';
export { commandProvider } from './providers/command/index.js';
export type { CommandSpec } from './providers/command/index.js';
export { compileTemplate, escapePromQLString, escapeRegex, joinForRegex } from './template.js';
export type { Template, TemplateContext } from './template.js';
export { compileJsonPath } from './json-path.js';
export type { JsonPath } from './json-path.js';
export { combineHealth, createAnalysis } from './monitor.js';
export type { Analysis, AnalysisFinding, AnalysisOptions, StageJudgement, StageMeasurement } from './monitor.js';
export { ANALYSIS_DEFAULTS } from './policy.js';
export type { AnalysisSpec, MetricSpec, ResolvedAnalysis } from './policy.js';
