/**
 * Notifications: the policy's `notify:` entries send chosen events to a JSON webhook or a Slack incoming webhook.
 *
 * - Payloads are the event objects of `--events` (`{ v: 1, ts, type, … }`), with secrets masked by the caller's mask.
 * - Delivery is asynchronous: `notify()` only queues (it never awaits the network, never throws), so a slow or dead
 *   receiver never delays a rollout, let alone its rollback. Each delivery is retried a bounded number of times
 *   (network error, timeout, 408, 429, 5xx) with a doubling back-off; a failure is reported once, as a
 *   `notify.failed` event (its channel is a name, never the URL, which is often a secret).
 * - `flush(ms)` waits (at most `ms`) for deliveries in flight, for a process about to exit.
 */
import { OptionsError } from '../errors.js';
import { tryParseDuration } from '../units.js';
import type { RolloutEvent } from '../rollout/types.js';
import type { Finding, GateReport, JsonValue } from '../types.js';
import { NOTIFY_EVENTS, type GateEvent, type NotifyFailedEvent, type NotifySpec } from './types.js';

export { NOTIFY_EVENTS } from './types.js';
export type { GateEvent, NotifyEventName, NotifyFailedEvent, NotifySpec, SlackSpec, WebhookSpec } from './types.js';

/** Something `notify()` accepts: a rollout event, a gate event, or any event object with a `type`. */
export type NotifiableEvent = RolloutEvent | GateEvent | NotifyFailedEvent | { type: string; [key: string]: unknown };

/** Options of {@link createNotifier}. */
export interface NotifierOptions {
  /** Environment for `env:NAME` URLs and header values. @default process.env */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Masks secrets in a payload before it leaves (pass a masker's `value`). @default identity */
  mask?: ((value: JsonValue) => JsonValue) | undefined;
  /** Called once per delivery that failed for good. @default none */
  onFailure?: ((failure: NotifyFailedEvent) => void) | undefined;
  /** Base of the doubling back-off between attempts: milliseconds or a duration string. @default '500ms' */
  backoff?: number | string | undefined;
  /** A link to the report (a CI artifact URL or a file path) shown in Slack messages. @default none */
  reportUrl?: string | undefined;
  /** Deliveries queued or in flight at most; beyond, new ones fail at once (reported). @default 1000 */
  maxPending?: number | undefined;
  /** The clock for payload timestamps. @default () => new Date() */
  now?: (() => Date) | undefined;
  /** The `fetch` used (tests, proxies). @default globalThis.fetch */
  fetch?: typeof fetch | undefined;
}

/** What {@link Notifier.flush} saw. */
export interface FlushOutcome {
  delivered: number;
  failed: number;
  /** Deliveries still in flight when the wait ended (abandoned by a process that exits). */
  pending: number;
}

/** A running notifier. */
export interface Notifier {
  /** Queue the event for every entry subscribed to it. Returns at once; never throws. */
  notify(event: NotifiableEvent): void;
  /** Wait for deliveries in flight, at most `timeoutMs`. @default timeoutMs 15000 */
  flush(timeoutMs?: number): Promise<FlushOutcome>;
  /** Deliveries queued or in flight. */
  readonly pending: number;
}

interface Channel {
  name: string;
  on: ReadonlySet<string>;
  kind: 'webhook' | 'slack';
  url: string;
  headers: Record<string, string>;
  retries: number;
  timeoutMs: number;
}

const KNOWN = new Set<string>(NOTIFY_EVENTS);

/** Resolve `env:NAME`, naming the entry and field when the variable is missing. */
function fromEnv(value: string, env: Readonly<Record<string, string | undefined>>, where: string): string {
  if (!value.startsWith('env:')) return value;
  const name = value.slice(4);
  const v = env[name];
  if (v === undefined || v === '') throw new OptionsError(`${where} reads the environment variable ${name}, which is not set`);
  return v;
}

function channelsOf(specs: readonly NotifySpec[], env: Readonly<Record<string, string | undefined>>): Channel[] {
  if (!Array.isArray(specs)) throw new OptionsError(`notify must be a list, got ${typeof specs}`);
  return specs.map((s, i) => {
    const where = `notify[${i}]`;
    if (!s || typeof s !== 'object') throw new OptionsError(`${where} must be an object`);
    if (!Array.isArray(s.on) || s.on.length === 0) throw new OptionsError(`${where}.on must list events (${NOTIFY_EVENTS.join(', ')})`);
    for (const e of s.on as unknown[]) if (typeof e !== 'string' || !KNOWN.has(e)) throw new OptionsError(`${where}.on: unknown event ${JSON.stringify(e)} (expected one of ${NOTIFY_EVENTS.join(', ')})`);
    if ((s.webhook === undefined) === (s.slack === undefined)) throw new OptionsError(`${where} needs exactly one of \`webhook\` and \`slack\``);
    const kind = s.webhook ? 'webhook' : 'slack';
    const url = fromEnv((s.webhook ?? s.slack)!.url, env, `${where}.${kind}.url`);
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new OptionsError(`${where}.${kind}.url must be an http(s) URL`);
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new OptionsError(`${where}.${kind}.url must be an http(s) URL, got ${parsed.protocol}`);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(s.webhook?.headers ?? {}) as Array<[string, unknown]>) {
      if (typeof v !== 'string') throw new OptionsError(`${where}.webhook.headers.${k} must be a string`);
      headers[k.toLowerCase()] = fromEnv(v, env, `${where}.webhook.headers.${k}`);
    }
    const retries = s.retries ?? 3;
    if (!Number.isInteger(retries) || retries < 0 || retries > 10) throw new OptionsError(`${where}.retries must be a whole number from 0 to 10, got ${JSON.stringify(s.retries)}`);
    const timeoutMs = s.timeout === undefined ? 10_000 : tryParseDuration(s.timeout);
    if (timeoutMs === undefined || timeoutMs <= 0) throw new OptionsError(`${where}.timeout must be a duration like 10s, got ${JSON.stringify(s.timeout)}`);
    return { name: s.name ?? (kind === 'slack' ? 'slack' : `webhook ${parsed.host}`), on: new Set(s.on), kind, url, headers, retries, timeoutMs };
  });
}

/** The names an event matches: its type, and `rollout.<status>` for `rollout.finished`. */
export function notifyNames(event: NotifiableEvent): string[] {
  const e = event as { type: string; status?: unknown };
  const names = [e.type];
  if (e.type === 'rollout.finished' && typeof e.status === 'string' && e.status !== 'held') names.push(`rollout.${e.status}`);
  return names;
}

/** The gate's verdict as a notification event (`gate.blocked`, `gate.warned`, `gate.allowed`). */
export function gateEvent(report: GateReport): GateEvent {
  const findings = { block: 0, warn: 0, info: 0 };
  for (const f of report.findings) findings[f.severity]++;
  const order = (f: Finding): number => (f.severity === 'block' ? 0 : f.severity === 'warn' ? 1 : 2);
  const top = [...report.findings]
    .filter((f) => f.severity !== 'info')
    .sort((a, b) => order(a) - order(b))
    .slice(0, 10)
    .map((f) => {
      const where = f.location ? `${f.location.file}:${f.location.line}:${f.location.column}` : f.path;
      return { rule: f.rule, severity: f.severity, message: f.message, ...(where !== undefined ? { where } : {}) };
    });
  const type = report.verdict === 'block' ? 'gate.blocked' : report.verdict === 'warn' ? 'gate.warned' : 'gate.allowed';
  return { type, verdict: report.verdict, score: report.score, proposed: report.files.proposed, at: report.at, findings, top };
}

/** Slack mrkdwn escaping: data cannot form links, mentions or `<!channel>`. */
function slackEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** One line for people about an event (Slack messages). */
export function eventSummary(e: Record<string, unknown>): string {
  const s = (k: string): string => (e[k] === undefined ? '' : String(e[k]));
  switch (e['type']) {
    case 'gate.blocked':
    case 'gate.warned':
    case 'gate.allowed': {
      const top = (e['top'] as Array<{ rule: string; message: string }> | undefined)?.[0];
      return `gate ${s('verdict').toUpperCase()} for ${s('proposed')} (score ${s('score')}/100)${top ? `: ${top.rule}: ${top.message}` : ''}`;
    }
    case 'rollout.finished':
      return `rollout ${s('id')} ${s('status').toUpperCase()}${e['reason'] ? `: ${s('reason')}` : ''}`;
    case 'stage.failed':
      return `stage ${s('name')} FAILED: ${s('reason')}`;
    case 'rollout.held':
      return `rollout HELD at stage ${s('stage')} (${s('kind')}): ${s('reason')}; decide with \`confgate control continue|promote|abort\``;
    case 'rollback.started':
      return `rolling back ${s('targets')} targets: ${s('reason')}`;
    default:
      return `${s('type')}${e['reason'] ? `: ${s('reason')}` : e['error'] ? `: ${s('error')}` : ''}`;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Create a notifier for the policy's `notify` entries. Throws {@link OptionsError} at once for a bad entry or an
 * `env:NAME` that is not set (before anything is sent or changed).
 */
export function createNotifier(specs: readonly NotifySpec[], options: NotifierOptions = {}): Notifier {
  const env = options.env ?? process.env;
  const channels = channelsOf(specs, env);
  const mask = options.mask ?? ((v: JsonValue): JsonValue => v);
  const doFetch = options.fetch ?? globalThis.fetch;
  const backoffMs = options.backoff === undefined ? 500 : tryParseDuration(options.backoff);
  if (backoffMs === undefined || backoffMs < 0) throw new OptionsError(`\`backoff\` must be a duration like 500ms, got ${JSON.stringify(options.backoff)}`);
  const maxPending = options.maxPending ?? 1000;
  const now = options.now ?? (() => new Date());
  const inFlight = new Set<Promise<void>>();
  let delivered = 0;
  let failed = 0;

  const fail = (c: Channel, event: string, attempts: number, error: string): void => {
    failed++;
    // the URL (and its path, which carries a Slack webhook's secret) never appears in the report
    const clean = error.split(c.url).join(c.kind === 'slack' ? 'slack' : '<webhook url>');
    try {
      options.onFailure?.({ type: 'notify.failed', channel: c.name, event, attempts, error: clean });
    } catch {
      /* a failing callback must not break the caller */
    }
  };

  const deliver = async (c: Channel, event: string, body: string): Promise<void> => {
    let last = '';
    for (let attempt = 1; attempt <= c.retries + 1; attempt++) {
      try {
        const res = await doFetch(c.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'confgate', ...c.headers },
          body,
          redirect: 'error',
          signal: AbortSignal.timeout(c.timeoutMs),
        });
        await res.body?.cancel().catch(() => undefined);
        if (res.ok) {
          delivered++;
          return;
        }
        last = `HTTP ${res.status}`;
        if (res.status < 500 && res.status !== 408 && res.status !== 429) {
          fail(c, event, attempt, `${last} (not retried)`);
          return;
        }
      } catch (err) {
        const e = err as Error & { cause?: { code?: string; message?: string } };
        last = e.name === 'TimeoutError' ? `timed out after ${c.timeoutMs}ms` : `${e.message}${e.cause?.code ? ` (${e.cause.code})` : e.cause?.message ? ` (${e.cause.message})` : ''}`;
      }
      if (attempt <= c.retries) await sleep(backoffMs * 2 ** (attempt - 1));
    }
    fail(c, event, c.retries + 1, last);
  };

  return {
    notify(event: NotifiableEvent): void {
      try {
        const names = notifyNames(event);
        const targets = channels.filter((c) => names.some((n) => c.on.has(n)));
        if (targets.length === 0) return;
        const payload = mask({ v: 1, ts: now().toISOString(), ...(event as object) } as JsonValue) as Record<string, unknown>;
        const json = JSON.stringify(payload);
        for (const c of targets) {
          if (inFlight.size >= maxPending) {
            fail(c, event.type, 0, `more than ${maxPending} notifications pending: dropped`);
            continue;
          }
          let body = json;
          if (c.kind === 'slack') {
            const link = options.reportUrl ? `\nreport: ${slackEscape(String(mask(options.reportUrl)))}` : '';
            body = JSON.stringify({ text: `confgate: ${slackEscape(eventSummary(payload))}${link}` });
          }
          const p: Promise<void> = deliver(c, event.type, body)
            .catch((err: unknown) => fail(c, event.type, 0, String(err)))
            .finally(() => inFlight.delete(p));
          inFlight.add(p);
        }
      } catch (err) {
        // notify() never throws into the rollout
        for (const c of channels) fail(c, String((event as { type?: unknown })?.type ?? '?'), 0, `could not be sent: ${err instanceof Error ? err.message : String(err)}`);
      }
    },
    async flush(timeoutMs = 15_000): Promise<FlushOutcome> {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((r) => {
        timer = setTimeout(r, timeoutMs);
      });
      const all = async (): Promise<void> => {
        while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      };
      try {
        // what is still in flight when the wait runs out is reported as pending
        await Promise.race([all(), deadline]);
      } finally {
        clearTimeout(timer);
      }
      return { delivered, failed, pending: inFlight.size };
    },
    get pending(): number {
      return inFlight.size;
    },
  };
}
