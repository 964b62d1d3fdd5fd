/** Past rollouts of a scope, rebuilt from journal records (`confgate history`). */
import type { JournalRecord } from '../rollout/types.js';
import type { AuditInfo } from './holder.js';
import type { HistoryEntry } from './types.js';

const AUDIT_FIELDS = ['actor', 'reason', 'commit', 'ciUrl', 'verdict', 'score'] as const;

/** One entry per `rollout.started` record, newest first. */
export function historyFromRecords(records: readonly JournalRecord[], scope: string, fence?: (i: number) => number | undefined): HistoryEntry[] {
  const out: HistoryEntry[] = [];
  let cur: HistoryEntry | undefined;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]! as JournalRecord | ({ type: string } & Record<string, unknown>);
    switch (r.type) {
      case 'rollout.started': {
        const s = r as Extract<JournalRecord, { type: 'rollout.started' }>;
        cur = {
          id: s.id,
          scope,
          startedAt: s.ts,
          status: 'unfinished',
          targets: s.plan.waves.reduce((n, w) => n + w.targets.length, 0),
          waves: s.plan.waves.length,
          events: [],
        };
        const f = fence?.(i);
        if (f !== undefined) cur.fence = f;
        out.push(cur);
        break;
      }
      case 'audit': {
        const a = r as unknown as Record<string, unknown>;
        if (cur && a['id'] === cur.id) {
          const audit: AuditInfo = { actor: String(a['actor'] ?? 'unknown') };
          for (const k of AUDIT_FIELDS) if (a[k] !== undefined && k !== 'actor') (audit as unknown as Record<string, unknown>)[k] = a[k];
          cur.audit = audit;
        }
        break;
      }
      case 'rollout.finished': {
        const fin = r as Extract<JournalRecord, { type: 'rollout.finished' }>;
        if (cur && fin.result.id === cur.id) {
          cur.status = fin.result.status;
          cur.finishedAt = fin.ts;
          if (fin.result.reason !== undefined) cur.reason = fin.result.reason;
        }
        break;
      }
      case 'resume.started':
      case 'promoted':
      case 'rollback.started':
        if (cur) cur.events.push({ ts: String((r as { ts?: unknown }).ts ?? ''), type: r.type, ...('reason' in r && r.reason !== undefined ? { detail: String(r.reason) } : {}) });
        break;
      default: {
        // operator commands (the engine's command records) and anything else with a `command` field
        const c = r as Record<string, unknown>;
        if (cur && typeof c['command'] === 'string') {
          const by = [c['user'] ?? c['actor'], c['host']].filter((x) => typeof x === 'string').join('@');
          const detail = [c['command'], by && `by ${by}`, c['reason'] && `(${String(c['reason'])})`].filter(Boolean).join(' ');
          cur.events.push({ ts: String(c['ts'] ?? ''), type: String(c['type']), detail });
        }
      }
    }
  }
  return out.reverse();
}
