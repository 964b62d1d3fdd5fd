/** Types of notifications: the policy's `notify:` entries, the events they subscribe to, and delivery outcomes. */

/** The event names a `notify` entry can subscribe to (`on:`). */
export const NOTIFY_EVENTS = Object.freeze([
  'gate.blocked',
  'gate.warned',
  'gate.allowed',
  'rollout.started',
  'stage.started',
  'stage.passed',
  'stage.failed',
  'approval',
  'rollout.held',
  'rollout.released',
  'command',
  'rollback.started',
  'target.rollback-failed',
  'target.apply-timed-out',
  'promote.failed',
  'rollout.finished',
  'rollout.completed',
  'rollout.incomplete',
  'rollout.rolled-back',
  'rollout.aborted',
  'rollout.failed',
] as const);

/** An event name of {@link NOTIFY_EVENTS}. `rollout.<status>` names match `rollout.finished` events by their status. */
export type NotifyEventName = (typeof NOTIFY_EVENTS)[number];

/** A generic JSON webhook: the event object is POSTed as the body. */
export interface WebhookSpec {
  /** `https://…` (or `http://`), or `env:NAME` to read it from the environment. */
  url: string;
  /** Extra request headers; a value `env:NAME` is read from the environment (e.g. `Authorization: env:HOOK_TOKEN`). @default {} */
  headers?: Record<string, string>;
}

/** A Slack incoming webhook: a message with the event's summary, its reason and a link to the report. */
export interface SlackSpec {
  /** The incoming-webhook URL (a secret: write `env:SLACK_WEBHOOK_URL`). */
  url: string;
}

/** One `notify:` entry of the policy. Exactly one of `webhook` and `slack`. */
export interface NotifySpec {
  /** A name for messages (`notify.failed`). @default `webhook <host>` or `slack` */
  name?: string;
  /** The events to send. */
  on: NotifyEventName[];
  webhook?: WebhookSpec;
  slack?: SlackSpec;
  /** Attempts after the first one for a failed delivery (network error, timeout, 429 or 5xx). @default 3 */
  retries?: number;
  /** Time allowed for one attempt: milliseconds or a duration string. @default '10s' */
  timeout?: number | string;
}

/** The gate's verdict as an event (`confgate check` and the gate step of `confgate rollout`). */
export interface GateEvent {
  type: 'gate.blocked' | 'gate.warned' | 'gate.allowed';
  verdict: 'block' | 'warn' | 'allow';
  score: number;
  /** The proposed config's file name. */
  proposed: string;
  /** Evaluation time (ISO-8601). */
  at: string;
  /** How many findings, by severity. */
  findings: { block: number; warn: number; info: number };
  /** The first blocking (else warning) findings: rule, message and where. At most 10. */
  top: Array<{ rule: string; severity: string; message: string; where?: string }>;
}

/** A delivery that failed for good (after its retries): emitted as an event, and a line on stderr in the CLI. */
export interface NotifyFailedEvent {
  type: 'notify.failed';
  /** The entry's name (never its URL: webhook URLs are secrets). */
  channel: string;
  /** The event that was not delivered. */
  event: string;
  attempts: number;
  error: string;
}
