/** Errors met during a rollout, kept as data in the result (never thrown out of `runRollout`). */
import type { RolloutErrorPhase, RolloutResult, SerializedError, SerializedResult } from './types.js';

/** One error of a rollout: which phase, which target, and the original error as `cause`. */
export class RolloutError extends Error {
  readonly phase: RolloutErrorPhase;
  readonly targetId?: string;
  /** Stable code of the cause when it had one (`E_JOURNAL`...). */
  readonly code?: string;
  constructor(phase: RolloutErrorPhase, message: string, options?: { targetId?: string; cause?: unknown; code?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RolloutError';
    this.phase = phase;
    if (options?.targetId !== undefined) this.targetId = options.targetId;
    const code = options?.code ?? (options?.cause as { code?: unknown } | undefined)?.code;
    if (typeof code === 'string') this.code = code;
  }

  /** The journal form. */
  toJSON(): SerializedError {
    const out: SerializedError = { message: this.message, phase: this.phase };
    if (this.targetId !== undefined) out.targetId = this.targetId;
    if (this.code !== undefined) out.code = this.code;
    return out;
  }

  /** Rebuild from the journal form. */
  static fromJSON(e: SerializedError): RolloutError {
    const opts: { targetId?: string; code?: string } = {};
    if (e.targetId !== undefined) opts.targetId = e.targetId;
    if (e.code !== undefined) opts.code = e.code;
    return new RolloutError(e.phase, e.message, opts);
  }
}

/** Short text of any thrown value, for states and events (never includes request bodies: hooks' own messages only). */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  if (typeof err === 'string') return err;
  try {
    return JSON.stringify(err) ?? String(err);
  } catch {
    return String(err);
  }
}

/**
 * The JSON form of a result (the form stored in the journal's `rollout.finished` record): `errors` as
 * {@link SerializedError}s, no `error` (it repeats `errors`). Safe to `JSON.stringify`.
 */
export function serializeResult(result: RolloutResult): SerializedResult {
  const out: SerializedResult = {
    status: result.status,
    id: result.id,
    targets: result.targets,
    stages: result.stages,
    errors: result.errors.map((e) =>
      e instanceof RolloutError ? e.toJSON() : { message: describeError(e), phase: ((e as { phase?: RolloutErrorPhase } | null)?.phase ?? 'apply') },
    ),
  };
  if (result.reason !== undefined) out.reason = result.reason;
  if (result.resumed) out.resumed = true;
  if (result.remaining !== undefined) out.remaining = result.remaining;
  if (result.analysis) out.analysis = result.analysis;
  return out;
}
