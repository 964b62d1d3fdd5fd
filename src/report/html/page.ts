/**
 * The page shell shared by the gate and rollout reports: one self-contained HTML document, inline CSS, no scripts, no
 * external resources. A Content-Security-Policy forbids every network load (`default-src 'none'`), so a report opened
 * from a CI artifact cannot call home even if something slipped through escaping.
 */
import { esc } from './escape.js';

/** The CSP of every report: inline styles and `data:` images only; no scripts, no fetches, no frames, no forms. */
export const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

const CSS = `
:root{--fg:#1b1f24;--muted:#59636e;--bg:#fff;--card:#f6f8fa;--line:#d1d9e0;--block:#c62828;--warn:#b26a00;--allow:#2e7d32;--info:#1565c0;--hold:#6a1b9a;--bake:#90caf9;--apply:#1e88e5;--wait:#ffcc80;--rb:#ef9a9a;--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9aa6b2;--bg:#0d1117;--card:#161b22;--line:#30363d;--block:#ff6b6b;--warn:#e3a008;--allow:#56d364;--info:#79c0ff;--hold:#d2a8ff;--bake:#1f6feb;--apply:#58a6ff;--wait:#9e6a03;--rb:#8e1519}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1120px;margin:0 auto;padding:16px}
h1{font-size:1.5rem;margin:0}h2{font-size:1.15rem;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}h3{font-size:1rem;margin:16px 0 6px}
p{margin:6px 0}code,pre,.mono{font-family:var(--mono);font-size:.85rem}
.verdict{border-radius:8px;padding:14px 16px;color:#fff;display:flex;flex-wrap:wrap;gap:6px 20px;align-items:baseline}
.verdict h1{font-size:1.9rem;letter-spacing:.04em}
.v-block,.v-failed,.v-rolled-back,.v-aborted{background:var(--block)}.v-warn,.v-incomplete{background:var(--warn)}.v-allow,.v-completed{background:var(--allow)}.v-held,.v-running{background:var(--hold)}
.verdict .sub{font-size:1rem;opacity:.95;overflow-wrap:anywhere}
.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:10px 0;font-size:.9rem}.meta dt{color:var(--muted)}.meta dd{margin:0;overflow-wrap:anywhere}
.badge{display:inline-block;border-radius:4px;padding:0 6px;font-size:.78rem;font-weight:600;color:#fff;vertical-align:1px;white-space:nowrap}
.s-block{background:var(--block)}.s-warn{background:var(--warn)}.s-info{background:var(--info)}
.finding{background:var(--card);border:1px solid var(--line);border-left:4px solid var(--info);border-radius:6px;padding:8px 12px;margin:8px 0}
.finding.block{border-left-color:var(--block)}.finding.warn{border-left-color:var(--warn)}
.finding .msg{white-space:pre-wrap;overflow-wrap:anywhere;margin:4px 0}
.where{color:var(--muted);font-size:.85rem;overflow-wrap:anywhere}
.scroll{overflow-x:auto;max-width:100%}
pre.src{margin:6px 0 0;padding:6px 0;background:var(--bg);border:1px solid var(--line);border-radius:4px;line-height:1.35}
pre.src span.l{display:block;padding:0 8px;white-space:pre}pre.src span.l.hit{background:rgba(198,40,40,.14)}
pre.src span.n{display:inline-block;min-width:4ch;color:var(--muted);text-align:right;margin-right:10px;user-select:none}
pre.src span.caret{color:var(--block);font-weight:700}
table{border-collapse:collapse;width:100%;font-size:.88rem}th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}th{color:var(--muted);font-weight:600}
td.val{font-family:var(--mono);font-size:.8rem;overflow-wrap:anywhere;word-break:break-word;max-width:360px}
td.path{font-family:var(--mono);font-size:.8rem;overflow-wrap:anywhere;word-break:break-word}
.k-added{color:var(--allow)}.k-removed{color:var(--block)}.k-modified{color:var(--warn)}.k-reordered{color:var(--info)}
svg{max-width:100%;height:auto;display:block}svg.chart{width:100%;max-width:none}svg text{fill:var(--fg);font:12px system-ui,sans-serif}svg .muted{fill:var(--muted)}
.note{color:var(--muted);font-size:.85rem}
.grid{display:flex;flex-wrap:wrap;gap:3px;margin:4px 0 10px}.cell{width:14px;height:14px;border-radius:2px;display:inline-block}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:.85rem;margin:6px 0}.legend span.sw{display:inline-block;width:12px;height:12px;border-radius:2px;vertical-align:-1px;margin-right:4px}
.t-pending{background:#bdbdbd}.t-skipped{background:#e0e0e0;outline:1px dashed #9e9e9e}.t-applying,.t-applied{background:var(--apply)}.t-healthy{background:var(--allow)}.t-failed,.t-apply-timed-out,.t-rollback-failed{background:var(--block)}.t-rolling-back,.t-rolled-back{background:var(--warn)}
details>summary{cursor:pointer;color:var(--muted)}
footer{margin:32px 0 8px;color:var(--muted);font-size:.8rem}
@media (max-width:600px){main{padding:10px}.verdict h1{font-size:1.5rem}td.val{max-width:none}.hide-narrow{display:none}th,td{padding:3px 5px}.scroll>table{min-width:540px}td.val,td.path{overflow-wrap:break-word;word-break:normal}}
`;

/**
 * Attributes of a chart drawn in a `W`×`H` user space: it fills its container's width, but never shrinks below 84 % of
 * `W` pixels (12-pixel chart text stays at least 10 pixels on a phone; a narrow screen scrolls the chart sideways)
 * nor grows above 125 % (text at most 15 pixels on a wide screen).
 */
export function chartBox(w: number, h: number): string {
  return `viewBox="0 0 ${w} ${h}" style="min-width:${Math.ceil(w * 0.84)}px;max-width:${Math.ceil(w * 1.25)}px"`;
}

/** A complete, self-contained HTML document. `body` must already be escaped markup. */
export function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="generator" content="confgate">
<title>${esc(title)}</title>
<style>${CSS.trim()}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}
