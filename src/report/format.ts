/** Entry points of the report stage: pure functions from data to a string. */
import type { SarifLog } from './sarif-types.js';
import { OptionsError } from '../errors.js';
import type { ChangeSummary, GateReport, RolloutPlan } from '../types.js';
import { reportGithub } from './github.js';
import { reportGitlab } from './gitlab.js';
import { reportJunit, type FailOn } from './junit.js';
import { changesJson, planJson, reportJson } from './json.js';
import { reportMarkdown } from './markdown.js';
import { sarifLog } from './sarif.js';
import { changesText, planText, reportText } from './text.js';
import { guardLineStarts, jsonText } from './util.js';
import { gateHtml } from './html/gate.js';
import type { ReportSource } from './html/sources.js';

/** Output formats of {@link formatReport}. */
export type ReportFormat = 'text' | 'json' | 'markdown' | 'sarif' | 'github' | 'junit' | 'gitlab' | 'html';

/** The formats {@link formatReport} accepts, in documentation order. */
export const REPORT_FORMATS: readonly ReportFormat[] = Object.freeze(['text', 'json', 'markdown', 'sarif', 'github', 'junit', 'gitlab', 'html']);

/** Options shared by the formatters. */
export interface FormatOptions {
  /** ANSI colour in text output. The CLI passes true only on a TTY without NO_COLOR. @default false */
  color?: boolean | undefined;
  /** Tool version written into SARIF. @default package version or '0.0.0' */
  toolVersion?: string | undefined;
  /**
   * Base directory: the directory relative file names in the report are relative to (the working directory of
   * the run). Without `root`, file paths in SARIF/github/junit/gitlab output are made relative to it.
   * @default undefined (names as given)
   */
  baseDir?: string | undefined;
  /**
   * Repository root: SARIF URIs and github/junit/gitlab paths are made relative to it (forward slashes); files
   * outside it are written as absolute paths (`file:///…` URIs in SARIF). The CLI passes `--sarif-root` or the
   * git root (the nearest folder up from the working directory that holds `.git`).
   * @default baseDir
   */
  root?: string | undefined;
  /** `junit`: the lowest severity that fails a test case. @default 'block' */
  failOn?: FailOn | undefined;
  /** `html`: masked source lines shown around each located finding (see `reportSources`). @default none */
  sources?: readonly ReportSource[] | undefined;
  /** `html`: the policy's score thresholds (`scoring`), drawn on the score chart. @default the one a `score.threshold` finding names */
  scoring?: { warn?: number | undefined; block?: number | undefined } | undefined;
}

interface ResolvedFormatOptions {
  color: boolean;
  toolVersion: string | undefined;
  baseDir: string | undefined;
  root: string | undefined;
  failOn: FailOn;
  sources: readonly ReportSource[] | undefined;
  scoring: { warn?: number | undefined; block?: number | undefined } | undefined;
}

function resolveOptions(options: FormatOptions | undefined): ResolvedFormatOptions {
  if (options === undefined || options === null) return { color: false, toolVersion: undefined, baseDir: undefined, root: undefined, failOn: 'block', sources: undefined, scoring: undefined };
  if (typeof options !== 'object') throw new OptionsError(`format options must be an object, got ${typeof options}`);
  const { color, toolVersion, baseDir, root, failOn, sources, scoring } = options;
  if (color !== undefined && typeof color !== 'boolean') {
    throw new OptionsError(`\`color\` must be a boolean, got ${JSON.stringify(color)}`);
  }
  if (toolVersion !== undefined && (typeof toolVersion !== 'string' || toolVersion === '')) {
    throw new OptionsError(`\`toolVersion\` must be a non-empty string, got ${JSON.stringify(toolVersion)}`);
  }
  if (baseDir !== undefined && typeof baseDir !== 'string') {
    throw new OptionsError(`\`baseDir\` must be a string, got ${JSON.stringify(baseDir)}`);
  }
  if (root !== undefined && typeof root !== 'string') {
    throw new OptionsError(`\`root\` must be a string, got ${JSON.stringify(root)}`);
  }
  if (failOn !== undefined && failOn !== 'warn' && failOn !== 'block') {
    throw new OptionsError(`\`failOn\` must be 'warn' or 'block', got ${JSON.stringify(failOn)}`);
  }
  if (sources !== undefined && !Array.isArray(sources)) throw new OptionsError(`\`sources\` must be an array (see reportSources), got ${typeof sources}`);
  if (scoring !== undefined && (scoring === null || typeof scoring !== 'object')) throw new OptionsError(`\`scoring\` must be { warn, block }, got ${JSON.stringify(scoring)}`);
  return { color: color ?? false, toolVersion, baseDir, root, failOn: failOn ?? 'block', sources, scoring };
}

function badFormat(format: unknown, allowed: readonly string[]): never {
  throw new OptionsError(`\`format\` must be one of ${allowed.map((f) => `\`${f}\``).join(', ')}, got ${JSON.stringify(format)}`);
}

/**
 * Format a gate report.
 * - `text`: for people (verdict, findings, factors, tier/override, change summary); ANSI colour only with `color: true`.
 * - `json`: `{ verdict, score, findings, factors, changes, tier?, plan?, override?, at, files }`, fixed key order.
 * - `markdown`: a PR comment / `$GITHUB_STEP_SUMMARY`.
 * - `sarif`: SARIF 2.1.0 JSON (see {@link toSarif}).
 * - `github`: the text report, then GitHub Actions annotations (at most 10 per level, the rest grouped), then a verdict notice.
 * - `junit`: JUnit XML, one test case per rule and file (GitLab test reports, Jenkins).
 * - `gitlab`: GitLab Code Quality JSON (`description`, `check_name`, `fingerprint`, `severity`, `location`).
 * - `html`: one self-contained page (inline CSS and SVG, no scripts, a CSP that forbids network loads): verdict, findings
 *   with source excerpts (`sources`), the score chart, the plan and the diff.
 *
 * Deterministic: equal inputs give byte-identical output. Throws {@link OptionsError} for an unknown format or bad options.
 */
export function formatReport(report: GateReport, format: ReportFormat, options?: FormatOptions): string {
  const o = resolveOptions(options);
  switch (format) {
    case 'text':
      return guardLineStarts(reportText(report, o.color));
    case 'json':
      return reportJson(report);
    case 'markdown':
      return guardLineStarts(reportMarkdown(report));
    case 'sarif':
      return jsonText(sarifLog(report, o.toolVersion, o.baseDir, o.root));
    case 'github':
      return reportGithub(report, o.baseDir, o.root);
    case 'junit':
      return reportJunit(report, { ...(o.baseDir !== undefined ? { baseDir: o.baseDir } : {}), ...(o.root !== undefined ? { root: o.root } : {}), failOn: o.failOn });
    case 'gitlab':
      return reportGitlab(report, { ...(o.baseDir !== undefined ? { baseDir: o.baseDir } : {}), ...(o.root !== undefined ? { root: o.root } : {}) });
    case 'html':
      return guardLineStarts(gateHtml(report, { sources: o.sources, scoring: o.scoring, toolVersion: o.toolVersion }));
    default:
      return badFormat(format, REPORT_FORMATS);
  }
}

/**
 * Format a change summary: `text` prints one line per change (`~ path: old -> new`, `+ path: value`, `- path`,
 * `↕ path reordered`, values as compact JSON truncated at 80 characters) then the counts; `json` prints
 * `{ added, removed, modified, reordered, total, changes }`. Values are printed as given (mask secrets before).
 */
export function formatChanges(changes: ChangeSummary, format: 'text' | 'json', options?: FormatOptions): string {
  const o = resolveOptions(options);
  if (format === 'text') return guardLineStarts(changesText(changes, o.color));
  if (format === 'json') return changesJson(changes);
  return badFormat(format, ['text', 'json']);
}

/**
 * Format a rollout plan: `text` lists each wave (name, target count, bake, approval, failure domains covered,
 * target ids), then deferred/excluded targets with reasons and the planner's warnings; `json` prints the plan object.
 */
export function formatPlan(plan: RolloutPlan, format: 'text' | 'json', options?: FormatOptions): string {
  const o = resolveOptions(options);
  if (format === 'text') return guardLineStarts(planText(plan, o.color));
  if (format === 'json') return planJson(plan);
  return badFormat(format, ['text', 'json']);
}

/**
 * Convert a gate report to a SARIF 2.1.0 log object (one run; the whole rule catalog in `tool.driver.rules`;
 * one result per finding with level error/warning/note; `verdict` and `score` in the run's `properties`).
 * File URIs are made relative to `options.root` (default `options.baseDir`) when inside it, absolute otherwise.
 */
export function toSarif(report: GateReport, options?: FormatOptions): SarifLog {
  const o = resolveOptions(options);
  return sarifLog(report, o.toolVersion, o.baseDir, o.root);
}
