/** Report stage: formatters from data to strings. */
export { formatChanges, formatPlan, formatReport, REPORT_FORMATS, toSarif } from './format.js';
export type { FormatOptions, ReportFormat } from './format.js';
export { RULES } from './rules.js';
export type { RuleInfo } from './rules.js';
export { ANNOTATIONS_PER_LEVEL } from './github.js';
export type { CodeQualityIssue } from './gitlab.js';
export type { FailOn } from './junit.js';
export { reportSources } from './html/sources.js';
export type { ReportSource, ReportSourcesOptions } from './html/sources.js';
export { formatRolloutReport } from './html/rollout.js';
export type { RolloutReportInput, RolloutReportOptions, TimedRolloutEvent } from './html/rollout.js';
