/**
 * Web provider: an HTTP request whose JSON answer holds the number(s), picked with a JSONPath of the documented subset
 * (src/analysis/json-path.ts). Non-2xx, redirects, non-JSON answers and timeouts are errors; a path that matches
 * nothing, or `null`, is no data.
 */
import { compileJsonPath } from '../../json-path.js';
import { compileTemplate } from '../../template.js';
import { ProviderError } from '../../types.js';
import type { Provider, ProviderContext, ProviderResult } from '../../types.js';
import type { ProviderOptions } from '../prometheus/index.js';
import { fetchText, resolveHeaders, seriesFromJson, shownUrl, urlProblem } from '../shared.js';
import type { HeaderSpec } from '../shared.js';

/** `web:` in a metric. */
export interface WebSpec {
  /** URL; a template (substituted values are URL-encoded). */
  url: string;
  /** @default 'GET' */
  method?: 'GET' | 'POST' | 'PUT';
  /** Request headers; values may be `env:NAME`. */
  headers?: HeaderSpec;
  /** Request body; a template (values substituted as they are). */
  body?: string;
  /**
   * Where the value is in the JSON answer, e.g. `$.latency.p99`. It may select a number, a list of numbers, or an
   * object of numbers keyed by target id (for `scope: stage`).
   */
  jsonPath: string;
}

const KIND = 'web';

/** Problems of a spec, each `[key, message]`, checked at policy load. */
export function checkWebSpec(spec: WebSpec): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const u = urlProblem(spec.url);
  if (u) out.push(['url', u]);
  for (const key of ['url', 'body'] as const) {
    const v = spec[key];
    if (v === undefined) continue;
    try {
      compileTemplate(v);
    } catch (err) {
      out.push([key, (err as Error).message]);
    }
  }
  try {
    compileJsonPath(spec.jsonPath);
  } catch (err) {
    out.push(['jsonPath', (err as Error).message]);
  }
  return out;
}

/** Creates a web provider for one metric. The spec must have passed {@link checkWebSpec}. */
export function webProvider(spec: WebSpec, options: ProviderOptions & { targetLabel?: string } = {}): Provider {
  const url = compileTemplate(spec.url);
  const body = spec.body === undefined ? undefined : compileTemplate(spec.body);
  const path = compileJsonPath(spec.jsonPath);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  const keyLabel = options.targetLabel ?? 'target';
  return {
    kind: KIND,
    perTarget: url.usesTarget || (body?.usesTarget ?? false),
    description: `${shownUrl(spec.url)} ${spec.jsonPath}`,
    async query(ctx: ProviderContext): Promise<ProviderResult> {
      const target = url.render(ctx, encodeURIComponent);
      const where = `web ${shownUrl(target)}`;
      const headers = resolveHeaders(KIND, spec.headers, ctx.env ?? process.env);
      headers.accept ??= 'application/json';
      const init = { method: spec.method ?? 'GET', headers, signal: ctx.signal, timeoutMs, maxBytes } as Parameters<typeof fetchText>[2];
      if (body) init.body = body.render(ctx);
      const { status, text } = await fetchText(KIND, target, init);
      if (status < 200 || status >= 300) throw new ProviderError(KIND, `${where}: HTTP ${status}`);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new ProviderError(KIND, `${where}: answer is not JSON`);
      }
      const nodes = path.select(json);
      const what = `${where} ${spec.jsonPath}`;
      if (nodes.length === 0) return { series: [] };
      if (!path.multiple && nodes.length === 1) return { series: seriesFromJson(KIND, nodes[0], keyLabel, what) };
      return { series: seriesFromJson(KIND, nodes, keyLabel, what) };
    },
  };
}
