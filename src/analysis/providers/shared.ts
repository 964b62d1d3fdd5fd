/** Helpers shared by providers: headers from the environment, URL checks, JSON answers to series, fetch without redirects. */
import { ProviderError } from '../types.js';
import type { Series } from '../types.js';

/** Header values as written in the policy: a literal, or `env:NAME` read from the environment at query time. */
export type HeaderSpec = Readonly<Record<string, string>>;

/** Resolves `env:NAME` header values. Errors name the header and the variable, never a value. */
export function resolveHeaders(provider: string, spec: HeaderSpec | undefined, env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  if (!spec) return out;
  for (const [name, raw] of Object.entries(spec)) {
    if (raw.startsWith('env:')) {
      const v = env[raw.slice(4)];
      if (v === undefined || v === '') throw new ProviderError(provider, `header ${name}: environment variable ${raw.slice(4)} is not set`);
      out[name] = v;
    } else out[name] = raw;
  }
  return out;
}

/** Problems with a URL given in a policy (credentials in it, not http/https), or undefined. Templates are allowed. */
export function urlProblem(raw: string): string | undefined {
  let u: URL;
  try {
    u = new URL(raw.replace(/\{\{[^}]*\}\}/g, 'x'));
  } catch {
    return `not a valid URL: ${JSON.stringify(raw)}`;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `URL must be http or https, got ${u.protocol}`;
  if (u.username !== '' || u.password !== '') return 'URL must not contain credentials: pass them in a header as `env:NAME`';
  return undefined;
}

/** A URL for messages: origin and path only (no query string, no credentials). */
export function shownUrl(raw: string): string {
  try {
    const u = new URL(raw);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '<invalid URL>';
  }
}

/** Short reason of a failed fetch (`ECONNREFUSED`, `timeout`), without the request. */
function fetchFailure(err: unknown, signal: AbortSignal, timedOut: () => boolean): string {
  if (timedOut()) return 'timed out';
  if (signal.aborted) return 'aborted';
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.message === 'string') return cause.message;
  return err instanceof Error ? err.message : String(err);
}

/** Options of {@link fetchText}. */
export interface FetchTextOptions {
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
  timeoutMs: number;
  /** Largest answer read, in bytes. */
  maxBytes: number;
}

/**
 * Fetches a URL without following redirects (a 3xx is an error: a redirect could send credentials elsewhere) and with
 * a timeout; returns status and body text. Throws {@link ProviderError} on network errors, timeouts and 3xx.
 */
export async function fetchText(provider: string, url: string, o: FetchTextOptions): Promise<{ status: number; text: string }> {
  const timeout = AbortSignal.timeout(o.timeoutMs);
  const signal = AbortSignal.any([o.signal, timeout]);
  const where = shownUrl(url);
  let res: Response;
  try {
    const init: RequestInit = { method: o.method, headers: o.headers, redirect: 'manual', signal };
    if (o.body !== undefined) init.body = o.body;
    res = await fetch(url, init);
  } catch (err) {
    throw new ProviderError(provider, `${where}: ${fetchFailure(err, o.signal, () => timeout.aborted)}${timeout.aborted ? ` after ${o.timeoutMs}ms` : ''}`);
  }
  if (res.status >= 300 && res.status < 400) {
    await res.body?.cancel().catch(() => {});
    throw new ProviderError(provider, `${where}: HTTP ${res.status} redirect not followed (give the final URL)`);
  }
  const len = Number(res.headers.get('content-length') ?? NaN);
  if (len > o.maxBytes) {
    await res.body?.cancel().catch(() => {});
    throw new ProviderError(provider, `${where}: answer of ${len} bytes is larger than ${o.maxBytes}`);
  }
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    throw new ProviderError(provider, `${where}: reading the answer failed: ${fetchFailure(err, o.signal, () => timeout.aborted)}`);
  }
  if (text.length > o.maxBytes) throw new ProviderError(provider, `${where}: answer larger than ${o.maxBytes} bytes`);
  return { status: res.status, text };
}

/** Describes a JSON value's type for messages. */
function typeOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'list' : typeof v;
}

/**
 * Converts a JSON answer to series: a number → one series; `null` → no data; a list of numbers → one series each;
 * an object of numbers `{ "<target id>": 0.1 }` → one series each, labelled `{ [keyLabel]: key }`. Anything else is a
 * {@link ProviderError}. Numbers may not be strings (no guessing).
 */
export function seriesFromJson(provider: string, value: unknown, keyLabel: string, what: string): Series[] {
  if (value === null) return [];
  if (typeof value === 'number') return [{ labels: {}, value }];
  if (Array.isArray(value)) {
    return value.flatMap((v, i) => {
      if (v === null) return [];
      if (typeof v !== 'number') throw new ProviderError(provider, `${what}: item ${i} is a ${typeOf(v)}, expected a number`);
      return [{ labels: {}, value: v }];
    });
  }
  if (typeof value === 'object') {
    const out: Series[] = [];
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v === null) continue;
      if (typeof v !== 'number') throw new ProviderError(provider, `${what}: "${k}" is a ${typeOf(v)}, expected a number`);
      out.push({ labels: { [keyLabel]: k }, value: v });
    }
    return out;
  }
  throw new ProviderError(provider, `${what}: got a ${typeOf(value)}, expected a number, a list of numbers or an object of numbers`);
}
