/** Import maintenance windows from an Atlassian Statuspage `scheduled-maintenances.json` export. */
import { ConfgateError } from '../errors.js';
import type { LabelSelector, WindowKind, WindowSpec } from '../types.js';
import { parseTimeInput } from './time.js';

/** Options of {@link importStatuspage}. */
export interface StatuspageImportOptions {
  /** Kind of every imported window. @default 'maintenance' */
  kind?: WindowKind;
  /** Target label that component codes are matched against. @default 'region' */
  label?: string;
  /** Component name -> label value, checked before the code is derived from the name. */
  components?: Record<string, string>;
  /** `source` of every imported window. @default 'statuspage' */
  source?: string;
}

const KINDS = new Set<WindowKind>(['maintenance', 'freeze', 'allow']);

/**
 * End given to a maintenance the page reports as still `in_progress` or `verifying`: it stays active, past its
 * `scheduled_until`, until a later export says `completed`.
 */
export const OPEN_END = '9999-12-31T23:59:59.999Z';
const OPEN_END_MS = Date.parse(OPEN_END);

/**
 * The label value of a Statuspage component name: an IATA-like three-letter code in parentheses
 * ("Santiago, Chile - (SCL)" -> "SCL") or as a leading or trailing token set off by a separator
 * ("SCL - Santiago", "Santiago - SCL"), else the whole (trimmed) name.
 */
export function componentCode(name: string): string {
  const n = name.trim();
  const paren = /\(([A-Z]{3})\)/.exec(n);
  if (paren) return paren[1]!;
  const lead = /^([A-Z]{3})\s*[-–—:|]\s*\S/.exec(n);
  if (lead) return lead[1]!;
  const trail = /\S\s*[-–—:|,]\s*([A-Z]{3})$/.exec(n);
  if (trail) return trail[1]!;
  return n;
}

function fail(message: string, cause?: unknown): never {
  throw new ConfgateError('E_WINDOW_INVALID', message, cause === undefined ? undefined : { cause });
}

/**
 * Atlassian Statuspage `scheduled-maintenances.json` (an object with `scheduled_maintenances: [...]`, or the array
 * itself) -> one-off windows. Uses `name`, `status` (`completed` ones are skipped), `scheduled_for`,
 * `scheduled_until` and `components[].name`. A maintenance whose status is `in_progress` or `verifying` is not over
 * whatever `scheduled_until` says: its window ends at {@link OPEN_END} (it counts until a fresher export marks it
 * `completed`). Each component name maps to a value of `options.label`
 * (the `components` table if it lists the name, else {@link componentCode}); a maintenance without components
 * gets no selector, so it applies to every target. Output is in file order.
 * Throws `ConfgateError` with code `E_WINDOW_INVALID`, naming the JSON Pointer of the bad field, for a malformed file.
 */
export function importStatuspage(json: unknown, options: StatuspageImportOptions = {}): WindowSpec[] {
  const kind = options.kind ?? 'maintenance';
  const label = options.label ?? 'region';
  const source = options.source ?? 'statuspage';
  if (!KINDS.has(kind)) fail(`Statuspage import: \`kind\` must be maintenance, freeze or allow, got ${JSON.stringify(kind)}`);
  if (typeof label !== 'string' || label === '') fail('Statuspage import: `label` must be a non-empty string');

  let list: unknown;
  let base: string;
  if (Array.isArray(json)) {
    list = json;
    base = '';
  } else if (json !== null && typeof json === 'object' && 'scheduled_maintenances' in json) {
    list = (json as { scheduled_maintenances: unknown }).scheduled_maintenances;
    base = '/scheduled_maintenances';
    if (!Array.isArray(list)) fail(`${source}: /scheduled_maintenances must be an array`);
  } else {
    fail(`${source}: expected a Statuspage scheduled-maintenances.json object with \`scheduled_maintenances: [...]\`, or that array`);
  }

  const windows: WindowSpec[] = [];
  (list as unknown[]).forEach((raw, i) => {
    const at = `${base}/${i}`;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail(`${source}: ${at} must be a scheduled maintenance object`);
    const m = raw as Record<string, unknown>;
    if (m.status !== undefined && typeof m.status !== 'string') fail(`${source}: ${at}/status must be a string`);
    if (m.status === 'completed') return;
    const name = typeof m.name === 'string' && m.name.trim() !== '' ? m.name.trim() : typeof m.id === 'string' ? m.id : undefined;
    if (name === undefined) fail(`${source}: ${at}/name must be a non-empty string`);
    const start = instant(m.scheduled_for, `${source}: ${at}/scheduled_for`);
    let end = instant(m.scheduled_until, `${source}: ${at}/scheduled_until`);
    if (end <= start) fail(`${source}: ${at}/scheduled_until must be after scheduled_for`);
    // The page says the work is not over: it keeps counting past scheduled_until until it is marked completed.
    if (m.status === 'in_progress' || m.status === 'verifying') end = Math.max(end, OPEN_END_MS);

    const values: string[] = [];
    if (m.components !== undefined && m.components !== null) {
      if (!Array.isArray(m.components)) fail(`${source}: ${at}/components must be an array`);
      m.components.forEach((c: unknown, j: number) => {
        const cname = c !== null && typeof c === 'object' ? (c as { name?: unknown }).name : undefined;
        if (typeof cname !== 'string' || cname.trim() === '') fail(`${source}: ${at}/components/${j}/name must be a non-empty string`);
        const mapped = options.components && Object.hasOwn(options.components, cname) ? options.components[cname] : undefined;
        const value = mapped ?? componentCode(cname);
        if (!values.includes(value)) values.push(value);
      });
    }
    const w: WindowSpec = { name, kind };
    if (values.length > 0) {
      const targets: LabelSelector = { [label]: values.length === 1 ? values[0]! : values };
      w.targets = targets;
    }
    w.start = new Date(start).toISOString();
    w.end = new Date(end).toISOString();
    w.source = source;
    windows.push(w);
  });
  return windows;
}

function instant(v: unknown, where: string): number {
  const t = parseTimeInput(v);
  if (!t || t.kind !== 'instant') fail(`${where} must be an ISO-8601 date-time with an offset, got ${JSON.stringify(v)}`);
  return t.ms;
}
