/**
 * Errors thrown for misuse of the API or unreadable input. Every class has a stable `code`
 * that callers match on; messages are for people and may change.
 */

/** Stable error codes. */
export type ConfgateErrorCode =
  /** The journal holds an unfinished rollout: resume it first (a disk or file problem is `E_JOURNAL`). */
  | 'E_JOURNAL_UNFINISHED'
  | 'E_INPUT_UNREADABLE'
  | 'E_POLICY_INVALID'
  | 'E_TARGETS_INVALID'
  | 'E_OPTIONS_INVALID'
  | 'E_WINDOW_INVALID'
  | 'E_PLAN_INVALID'
  | 'E_ROLLOUT_LOCKED'
  | 'E_JOURNAL'
  | 'E_JOURNAL_FORMAT'
  | 'E_JOURNAL_CORRUPT'
  | 'E_JOURNAL_DOCUMENTS'
  | 'E_FENCED'
  | 'E_ROLLOUT_ABORTED'
  | 'E_CEL_COMPILE'
  | 'E_CEL_EVAL'
  | 'E_ANALYSIS_PROVIDER';

/** Base class of every error confgate throws on purpose. */
export class ConfgateError extends Error {
  readonly code: ConfgateErrorCode;
  /** Where the problem is, when it is in a file. */
  readonly location?: { file: string; line?: number; column?: number };
  constructor(
    code: ConfgateErrorCode,
    message: string,
    options?: { cause?: unknown; location?: { file: string; line?: number; column?: number } },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    if (options?.location) this.location = options.location;
  }
}

/** A file could not be read (missing, unreadable, a directory). CLI exit code 2. */
export class InputError extends ConfgateError {
  constructor(message: string, options?: { cause?: unknown; location?: { file: string; line?: number; column?: number } }) {
    super('E_INPUT_UNREADABLE', message, options);
  }
}

/** The policy file is invalid: unknown key, bad duration or size, schema not found. CLI exit code 2. */
export class PolicyError extends ConfgateError {
  /** Every problem found, each naming the key and, when known, the line. */
  readonly problems: readonly string[];
  constructor(message: string, options?: { cause?: unknown; location?: { file: string; line?: number; column?: number }; problems?: string[] }) {
    super('E_POLICY_INVALID', message, options);
    this.problems = options?.problems ?? [message];
  }
}

/** The targets file or value is invalid. CLI exit code 2. */
export class TargetsError extends ConfgateError {
  constructor(message: string, options?: { cause?: unknown; location?: { file: string; line?: number; column?: number } }) {
    super('E_TARGETS_INVALID', message, options);
  }
}

/** An option passed to the API is invalid; the message names the field, what was expected and what was received. */
export class OptionsError extends ConfgateError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_OPTIONS_INVALID', message, options);
  }
}
