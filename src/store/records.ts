/**
 * Journal integrity, shared by every store: the record schema, the line format of the file store (a versioned header
 * line, then one line per record carrying the writer's fencing token and a CRC-32 of the record text), and the
 * checks made when records are read back (fencing order, matching rollout ids).
 */
import { crc32 } from 'node:zlib';
import { Ajv, type ValidateFunction } from 'ajv';
import { ConfgateError } from '../errors.js';
import type { JournalRecord } from '../rollout/types.js';

/** Version of the journal format (the header's `v`). Version 1 was the header-less format of confgate ≤ 0.1. */
export const JOURNAL_FORMAT_VERSION = 2;

/** The first line of a journal file. */
export interface JournalHeader {
  confgate: 'journal';
  v: number;
  created: string;
  scope: string;
}

const RECORD_SCHEMA = {
  type: 'object',
  required: ['type'],
  properties: { type: { type: 'string', minLength: 1 } },
  allOf: [
    {
      if: { properties: { type: { const: 'rollout.started' } } },
      then: {
        required: ['id', 'ts', 'plan'],
        properties: { id: { type: 'string', minLength: 1 }, ts: { type: 'string' }, plan: { type: 'object', required: ['waves'] } },
      },
    },
    {
      if: { properties: { type: { const: 'target' } } },
      then: {
        required: ['targetId', 'state'],
        properties: {
          targetId: { type: 'string' },
          state: { type: 'object', required: ['status'], properties: { status: { type: 'string' } } },
        },
      },
    },
    {
      if: { properties: { type: { const: 'stage' } } },
      then: { required: ['stage', 'status'], properties: { stage: { type: 'integer', minimum: 0 }, status: { type: 'string' } } },
    },
    {
      if: { properties: { type: { const: 'rollout.finished' } } },
      then: {
        required: ['result'],
        properties: {
          result: { type: 'object', required: ['id', 'status', 'targets'], properties: { id: { type: 'string' }, status: { type: 'string' } } },
        },
      },
    },
  ],
} as const;

let validateFn: ValidateFunction | undefined;

/** Why a record is not a valid journal record, or undefined when it is. */
export function recordProblem(record: unknown): string | undefined {
  validateFn ??= new Ajv({ allErrors: false, strict: false, logger: false }).compile(RECORD_SCHEMA);
  if (validateFn(record)) return undefined;
  const e = validateFn.errors?.[0];
  return e ? `${e.instancePath || 'record'} ${e.message ?? 'is invalid'}` : 'invalid record';
}

/** CRC-32 of a record's text and fence, as 8 hex digits. */
export function lineCrc(fence: number, text: string): string {
  return crc32(text, crc32(`${fence}:`)).toString(16).padStart(8, '0');
}

/** One journal line (with its newline) for a record already serialised as JSON text. */
export function encodeLine(fence: number, text: string): string {
  return `{"f":${fence},"c":"${lineCrc(fence, text)}","r":${text}}\n`;
}

const LINE = /^\{"f":(\d{1,15}),"c":"([0-9a-f]{8})","r":/;

/** Decode one line: its fence and record, or a problem. */
export function decodeLine(line: string): { fence: number; record: unknown } | { problem: string } {
  const m = LINE.exec(line);
  if (!m || line[line.length - 1] !== '}') return { problem: 'not a journal record line' };
  const fence = Number(m[1]);
  const text = line.slice(m[0].length, -1);
  if (lineCrc(fence, text) !== m[2]) return { problem: 'checksum mismatch' };
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch {
    return { problem: 'not JSON' };
  }
  const p = recordProblem(record);
  return p ? { problem: p } : { fence, record };
}

/** The header line of a new journal. */
export function headerLine(scope: string): string {
  const h: JournalHeader = { confgate: 'journal', v: JOURNAL_FORMAT_VERSION, created: new Date().toISOString(), scope };
  return `${JSON.stringify(h)}\n`;
}

/** Parse a header line, or say why it is not one. */
export function parseHeader(line: string): JournalHeader | { problem: string } {
  let h: unknown;
  try {
    h = JSON.parse(line);
  } catch {
    return { problem: 'no journal header line (this is not a confgate journal)' };
  }
  const o = h as Partial<JournalHeader> | null;
  if (!o || typeof o !== 'object' || o.confgate !== 'journal') return { problem: 'no journal header line (this is not a confgate journal)' };
  if (o.v !== JOURNAL_FORMAT_VERSION) return { problem: `journal format version ${String(o.v)} is not supported (this confgate reads version ${JOURNAL_FORMAT_VERSION})` };
  return o as JournalHeader;
}

/** Something wrong found while reading a journal back. */
export interface JournalProblem {
  /** 1-based line (file store) or sequence number (PostgreSQL). */
  at: number;
  message: string;
}

/** Records read back, with what was wrong: an empty `problems` means the journal is whole. */
export interface ReadOutcome {
  records: JournalRecord[];
  problems: JournalProblem[];
  /** Lines written by a holder whose lease had been taken over (lower fencing token): left out of `records`. */
  fencedOut: number;
}

/**
 * Checks across records: a record from a fenced-out writer (its token is lower than one already seen) is dropped;
 * target/stage records need a `rollout.started` before them; a `rollout.finished` must carry the id of the rollout it
 * finishes. Problems are collected; the offending record is left out.
 */
export class RecordChecker {
  readonly out: ReadOutcome = { records: [], problems: [], fencedOut: 0 };
  #maxFence = 0;
  #current: string | undefined;

  add(at: number, fence: number, record: JournalRecord): void {
    if (fence < this.#maxFence) {
      this.out.fencedOut++;
      return;
    }
    this.#maxFence = fence;
    if (record.type === 'rollout.started') {
      this.#current = record.id;
    } else if (this.#current === undefined) {
      this.out.problems.push({ at, message: `a ${record.type} record before any rollout.started record` });
      return;
    } else if (record.type === 'rollout.finished' && record.result.id !== this.#current) {
      this.out.problems.push({ at, message: `rollout.finished for rollout ${record.result.id} inside rollout ${this.#current}` });
      return;
    }
    this.out.records.push(record);
  }

  problem(at: number, message: string): void {
    this.out.problems.push({ at, message });
  }
}

/** The error thrown by `read()` when a journal has problems (the first few are listed). */
export function corruptError(where: string, problems: JournalProblem[]): ConfgateError {
  const list = problems.slice(0, 3).map((p) => `at ${p.at}: ${p.message}`).join('; ');
  return new ConfgateError('E_JOURNAL_CORRUPT', `journal ${where} is corrupt (${problems.length} problem${problems.length === 1 ? '' : 's'}: ${list})`);
}

/**
 * Records for a resume when the journal is in doubt (`problems` is not empty): the valid records, plus an
 * `applying` record for every target of every stage that may have started (each stage seen started or touched, and
 * the one after the last of them), so that a resume rolls all of them back (rollback is idempotent: a target that
 * never got the config is rolled back to the LKG it already has). A journal whose last rollout finished (its
 * `rollout.finished` record is whole) needs nothing more. Throws `E_JOURNAL_CORRUPT` when no whole `rollout.started`
 * record is left to say which targets the rollout had.
 */
export function salvage(out: ReadOutcome, where: string): JournalRecord[] {
  if (out.problems.length === 0) return out.records;
  const records = out.records;
  let start = -1;
  for (let i = records.length - 1; i >= 0; i--) {
    if (records[i]!.type === 'rollout.started') {
      start = i;
      break;
    }
  }
  if (start < 0) throw corruptError(`${where} (no whole rollout.started record: the rollout's targets are unknown, check them by hand)`, out.problems);
  const started = records[start] as Extract<JournalRecord, { type: 'rollout.started' }>;
  let maxStage = -1;
  for (let i = start + 1; i < records.length; i++) {
    const r = records[i]!;
    if (r.type === 'rollout.finished') return records;
    if (r.type === 'stage') maxStage = Math.max(maxStage, r.stage);
    else if (r.type === 'target' && 'stage' in r.state) maxStage = Math.max(maxStage, r.state.stage);
  }
  const last = Math.min(maxStage + 1, started.plan.waves.length - 1);
  const extra: JournalRecord[] = [];
  for (let w = 0; w <= last; w++) {
    for (const t of started.plan.waves[w]!.targets) extra.push({ type: 'target', targetId: t.id, state: { status: 'applying', stage: w } });
  }
  return [...records, ...extra];
}
