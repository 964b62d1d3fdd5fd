/**
 * Notifications in the CLI: a notifier for the policy's `notify:` entries (check and rollout), whose failed deliveries
 * are a line on stderr (and a `notify.failed` event in `--events`), and a bounded wait for deliveries in flight before
 * the command returns. The wait comes after the outcome is decided: it never delays a rollout or its rollback.
 */
import { createNotifier, type Notifier, type NotifyFailedEvent } from '../notify/index.js';
import type { ResolvedPolicy } from '../policy/types.js';
import { safeText } from '../report/util.js';
import type { JsonValue } from '../types.js';
import type { CliIo } from './main.js';

/** Environment variable: how long (ms) a command waits for notifications in flight before it returns. @default 15000 */
export const NOTIFY_WAIT_ENV = 'CONFGATE_NOTIFY_WAIT';
/** Environment variable: the report's URL (e.g. a CI artifact) for Slack messages. @default the --report file */
export const REPORT_URL_ENV = 'CONFGATE_REPORT_URL';

/** A notifier for the policy's entries, or undefined when it has none. Throws OptionsError for a bad entry or an unset `env:`. */
export function cliNotifier(
  policy: ResolvedPolicy,
  io: CliIo,
  opts: { mask?: (v: JsonValue) => JsonValue; onFailure?: (f: NotifyFailedEvent) => void; reportUrl?: string | undefined } = {},
): Notifier | undefined {
  if (!policy.notify || policy.notify.length === 0) return undefined;
  const reportUrl = io.env[REPORT_URL_ENV] || opts.reportUrl;
  return createNotifier(policy.notify, {
    env: io.env,
    ...(opts.mask ? { mask: opts.mask } : {}),
    ...(reportUrl ? { reportUrl } : {}),
    onFailure: (f) => {
      io.stderr(`confgate: notification ${safeText(f.event, true)} to ${safeText(f.channel, true)} failed after ${f.attempts} attempt${f.attempts === 1 ? '' : 's'}: ${safeText(f.error, true)}\n`);
      opts.onFailure?.(f);
    },
  });
}

/** Wait (bounded) for notifications in flight; say how many were abandoned. */
export async function finishNotifier(notifier: Notifier | undefined, io: CliIo): Promise<void> {
  if (!notifier || notifier.pending === 0) return;
  const raw = Number(io.env[NOTIFY_WAIT_ENV]);
  const wait = Number.isFinite(raw) && raw >= 0 ? raw : 15_000;
  const out = await notifier.flush(wait);
  if (out.pending > 0) io.stderr(`confgate: ${out.pending} notification${out.pending === 1 ? '' : 's'} still in flight after ${wait}ms: abandoned\n`);
}
