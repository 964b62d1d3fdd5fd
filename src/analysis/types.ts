/** Types shared by the analysis providers, the measurement step and the monitor. */
import { ConfgateError } from '../errors.js';
import type { TemplateContext } from './template.js';

/** One value of a query answer, with the labels that say which target it belongs to (empty for a plain number). */
export interface Series {
  labels: Readonly<Record<string, string>>;
  value: number;
}

/** What a provider measured. No series means no data (never a pass by itself). */
export interface ProviderResult {
  series: Series[];
}

/** Everything a provider needs for one query. */
export interface ProviderContext extends TemplateContext {
  /** Aborts the query (rollout aborted or the query's timeout). */
  signal: AbortSignal;
  /** Environment for `env:NAME` header values. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
}

/**
 * A metric source: queries one thing and returns numbers. It never decides: conditions, limits and "no data" are
 * applied by the measurement step (src/analysis/measure.ts). A new source is a new folder under providers/.
 */
export interface Provider {
  /** Provider name as written in the policy (`prometheus`, `web`, `command`). */
  readonly kind: string;
  /** Whether the query uses `{{target.*}}` (then it runs once per target). */
  readonly perTarget: boolean;
  /** A short description for messages; never contains header values or URL credentials. */
  readonly description: string;
  query(ctx: ProviderContext): Promise<ProviderResult>;
}

/** A query failed (network, HTTP status, bad answer, timeout). The message never contains credentials. */
export class ProviderError extends ConfgateError {
  /** The provider kind. */
  readonly provider: string;
  constructor(provider: string, message: string, options?: { cause?: unknown }) {
    super('E_ANALYSIS_PROVIDER', message, options);
    this.provider = provider;
  }
}

/** Phase of one measurement (Argo Rollouts' vocabulary). */
export type MeasurementPhase = 'Successful' | 'Failed' | 'Inconclusive' | 'Error';
