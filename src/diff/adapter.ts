/**
 * Adapter from json-diff-ts changesets to confgate `Change`s.
 *
 * json-diff-ts is the engine for every differing subtree that has no keyed or ordered list below it
 * (the walker in `diff.ts` handles those). Its changeset is a tree of `{ type, key, changes? }`; we
 * read it against the two containers it was computed from, so:
 * - a `REMOVE` + `ADD` pair on the same key (json-diff-ts' "type change as replace") becomes one
 *   `modified` change;
 * - a whole added or removed subtree is one change at its root;
 * - siblings are emitted in a stable order (object keys sorted by code unit, array indexes ascending),
 *   independent of the key order of the inputs.
 */
import { diff as jsonDiff, type IChange } from 'json-diff-ts';
import type { JsonValue } from '../types.js';
import { compareKeys, isObject } from './equal.js';
import type { Emitter } from './emit.js';

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * Diff two containers of the same kind (both arrays or both objects) with json-diff-ts, positionally,
 * and emit the converted changes below the emitter's current position.
 */
export function diffWithEngine(oldValue: JsonValue, newValue: JsonValue, out: Emitter): void {
  let changes: IChange[] = jsonDiff(oldValue, newValue, { treatTypeChangeAsReplace: true });
  if (Array.isArray(oldValue)) {
    // Root arrays come back wrapped: [{ type: UPDATE, key: '$root', embeddedKey: '$index', changes }].
    const wrapper = changes[0];
    changes = wrapper?.changes ?? [];
  }
  convert(changes, oldValue, newValue, out);
}

interface Slot {
  key: string;
  nested?: IChange[];
}

function convert(changes: readonly IChange[], oldC: JsonValue, newC: JsonValue, out: Emitter): void {
  const isArr = Array.isArray(oldC) && Array.isArray(newC);
  const slots = new Map<string, Slot>();
  for (const c of changes) {
    const key = String(c.key);
    let slot = slots.get(key);
    if (!slot) {
      slot = { key };
      slots.set(key, slot);
    }
    if (c.changes && c.type === 'UPDATE') slot.nested = c.changes;
  }
  const ordered = [...slots.values()];
  if (isArr) ordered.sort((a, b) => Number(a.key) - Number(b.key));
  else ordered.sort((a, b) => compareKeys(a.key, b.key));

  for (const slot of ordered) {
    const { key } = slot;
    const inOld = has(oldC, key);
    const inNew = has(newC, key);
    const ov = inOld ? child(oldC, key) : undefined;
    const nv = inNew ? child(newC, key) : undefined;
    out.push(key, key, key);
    if (inOld && inNew) {
      const sameKind = ov !== undefined && nv !== undefined && Array.isArray(ov) === Array.isArray(nv) && isContainer(ov) && isContainer(nv);
      if (slot.nested && sameKind) convert(slot.nested, ov, nv, out);
      else out.emit('modified', ov, nv);
    } else if (inNew) {
      out.emit('added', undefined, nv);
    } else if (inOld) {
      out.emit('removed', ov, undefined);
    }
    out.pop();
  }
}

function isContainer(v: JsonValue): boolean {
  return typeof v === 'object' && v !== null;
}

function has(c: JsonValue, key: string): boolean {
  if (Array.isArray(c)) {
    const i = Number(key);
    return Number.isInteger(i) && i >= 0 && i < c.length;
  }
  return isObject(c) && hasOwn.call(c, key);
}

function child(c: JsonValue, key: string): JsonValue | undefined {
  if (Array.isArray(c)) return c[Number(key)];
  return isObject(c) ? c[key] : undefined;
}
