/**
 * Prometheus provider: one instant query through the HTTP API (`POST /api/v1/query`, form-encoded, so long queries such
 * as a stage-wide regex fit). Vector and scalar answers become series; `NaN` samples are dropped (no data); matrix and
 * string answers, `status: error`, non-2xx, redirects and timeouts are errors.
 */
import { compileTemplate, escapePromQLString } from '../../template.js';
import type { Template } from '../../template.js';
import { ProviderError } from '../../types.js';
import type { Provider, ProviderContext, ProviderResult, Series } from '../../types.js';
import { fetchText, resolveHeaders, shownUrl, urlProblem } from '../shared.js';
import type { HeaderSpec } from '../shared.js';

/** `prometheus:` in a metric. */
export interface PrometheusSpec {
  /** Base URL of the Prometheus server (or a compatible API: Thanos, Mimir, VictoriaMetrics), e.g. `http://127.0.0.1:9090`. */
  url: string;
  /** PromQL instant query; a template (values substituted into it are escaped for PromQL string literals). */
  query: string;
  /** Request headers; values may be `env:NAME`. */
  headers?: HeaderSpec;
}

/** Options shared by the providers' factories. */
export interface ProviderOptions {
  /** Time limit of one query. @default 10000 */
  timeoutMs?: number;
  /** Largest answer read, in bytes. @default 64 MiB */
  maxBytes?: number;
}

const KIND = 'prometheus';

/** Problems of a spec, each `[key, message]`, checked at policy load. */
export function checkPrometheusSpec(spec: PrometheusSpec): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const u = urlProblem(spec.url);
  if (u) out.push(['url', u]);
  try {
    compileTemplate(spec.query);
  } catch (err) {
    out.push(['query', (err as Error).message]);
  }
  return out;
}

interface PromAnswer {
  status?: unknown;
  errorType?: unknown;
  error?: unknown;
  data?: { resultType?: unknown; result?: unknown };
}

function sampleValue(pair: unknown, where: string): number {
  if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[1] !== 'string') throw new ProviderError(KIND, `${where}: malformed sample ${JSON.stringify(pair)?.slice(0, 80)}`);
  const t = pair[1];
  // Prometheus writes "NaN", "+Inf" and "-Inf"; Number() reads "NaN" but not the infinities.
  if (t === '+Inf' || t === 'Inf') return Infinity;
  if (t === '-Inf') return -Infinity;
  const v = Number(t);
  if (Number.isNaN(v) && t !== 'NaN') throw new ProviderError(KIND, `${where}: sample value ${JSON.stringify(t.slice(0, 40))} is not a number`);
  return v;
}

/** Series of a Prometheus instant-query answer (parsed JSON). Exported for the benchmark. */
export function seriesFromPrometheus(body: unknown, where: string): Series[] {
  const a = body as PromAnswer | null;
  if (a === null || typeof a !== 'object') throw new ProviderError(KIND, `${where}: answer is not a JSON object`);
  if (a.status === 'error') throw new ProviderError(KIND, `${where}: ${String(a.errorType ?? 'error')}: ${String(a.error ?? '')}`.slice(0, 500));
  if (a.status !== 'success' || !a.data || typeof a.data !== 'object') throw new ProviderError(KIND, `${where}: unexpected answer (no "status": "success" with "data")`);
  const { resultType, result } = a.data;
  if (resultType === 'scalar') {
    const v = sampleValue(result, where);
    return Number.isNaN(v) ? [] : [{ labels: {}, value: v }];
  }
  if (resultType === 'vector') {
    if (!Array.isArray(result)) throw new ProviderError(KIND, `${where}: vector result is not a list`);
    const out: Series[] = [];
    for (const s of result as Array<{ metric?: unknown; value?: unknown }>) {
      const v = sampleValue(s?.value, where);
      if (Number.isNaN(v)) continue;
      const metric = s.metric;
      out.push({ labels: metric !== null && typeof metric === 'object' ? (metric as Record<string, string>) : {}, value: v });
    }
    return out;
  }
  throw new ProviderError(KIND, `${where}: result type ${JSON.stringify(resultType)} is not supported (write an instant query giving a vector or a scalar)`);
}

/** Creates a Prometheus provider for one metric. The spec must have passed {@link checkPrometheusSpec}. */
export function prometheusProvider(spec: PrometheusSpec, options: ProviderOptions = {}): Provider {
  const template: Template = compileTemplate(spec.query);
  const base = spec.url.replace(/\/+$/, '');
  const endpoint = `${base}/api/v1/query`;
  const where = `Prometheus ${shownUrl(endpoint)}`;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  return {
    kind: KIND,
    perTarget: template.usesTarget,
    description: `${where} query ${JSON.stringify(spec.query)}`,
    async query(ctx: ProviderContext): Promise<ProviderResult> {
      const query = template.render(ctx, escapePromQLString);
      const headers = resolveHeaders(KIND, spec.headers, ctx.env ?? process.env);
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers.accept = 'application/json';
      const { status, text } = await fetchText(KIND, endpoint, {
        method: 'POST', headers, body: new URLSearchParams({ query }).toString(), signal: ctx.signal, timeoutMs, maxBytes,
      });
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new ProviderError(KIND, status >= 200 && status < 300 ? `${where}: HTTP ${status}, answer is not JSON` : `${where}: HTTP ${status}`);
      }
      if (status < 200 || status >= 300) {
        const b = body as PromAnswer | null;
        const detail = b && typeof b === 'object' && b.status === 'error' ? `: ${String(b.errorType ?? '')}: ${String(b.error ?? '')}` : '';
        throw new ProviderError(KIND, `${where}: HTTP ${status}${detail}`.slice(0, 500));
      }
      return { series: seriesFromPrometheus(body, where) };
    },
  };
}
