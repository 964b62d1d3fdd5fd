/**
 * The operator-command channel's format, shared by the stores: commands (`pause`, `continue`, `promote`, `abort`)
 * posted by `confgate control` from another process and read by the running rollout.
 */
import { OptionsError } from '../errors.js';
import type { OperatorCommand, OperatorCommandRecord } from '../rollout/types.js';

const COMMANDS = new Set(['pause', 'continue', 'promote', 'abort']);

/** A command as posted, checked (the channel is shared with other processes: never trust its shape); its JSON line. */
export function checkCommand(c: OperatorCommand): string {
  if (c === null || typeof c !== 'object' || !COMMANDS.has(c.command)) throw new OptionsError(`unknown operator command ${JSON.stringify(c?.command)}`);
  for (const k of ['id', 'user', 'host', 'ts'] as const) {
    if (typeof c[k] !== 'string') throw new OptionsError(`operator command needs a string \`${k}\``);
  }
  const line = JSON.stringify(c);
  if (line.length > 16_384) throw new OptionsError('operator command is too large (reason over 16 KB?)');
  return line;
}

/** Whether a value read back from a channel is a command. */
export function isCommand(c: unknown): c is OperatorCommand {
  const o = c as Partial<OperatorCommand> | null;
  return o !== null && typeof o === 'object' && COMMANDS.has(o.command as string) && typeof o.user === 'string' && typeof o.host === 'string';
}

/** Parse a command side file's lines: a torn or malformed line is skipped (it keeps its seq = line number). */
export function parseCommands(text: string, afterSeq: number): OperatorCommandRecord[] {
  const out: OperatorCommandRecord[] = [];
  const lines = text.split('\n');
  lines.pop(); // '' after the last newline, or a torn last line (a post in progress): not yet a command
  for (let i = afterSeq; i < lines.length; i++) {
    try {
      const c = JSON.parse(lines[i]!) as unknown;
      if (isCommand(c)) out.push({ ...c, seq: i + 1 });
    } catch {
      /* a malformed line is not a command */
    }
  }
  return out;
}
