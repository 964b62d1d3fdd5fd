/**
 * Collects `Change`s while the walker descends: three parallel segment stacks (the keyed `path`,
 * the plain pointer into the current document, the plain pointer into the proposed one).
 */
import { encodePointer } from '../pointer.js';
import type { Change, ChangeKind, JsonValue } from '../types.js';

/** Internal sink for changes; segments are raw (unescaped) and encoded on emission. */
export class Emitter {
  readonly changes: Change[] = [];
  readonly display: string[] = [];
  readonly oldSegs: string[] = [];
  readonly newSegs: string[] = [];

  push(display: string, oldSeg: string, newSeg: string): void {
    this.display.push(display);
    this.oldSegs.push(oldSeg);
    this.newSegs.push(newSeg);
  }

  pop(): void {
    this.display.pop();
    this.oldSegs.pop();
    this.newSegs.pop();
  }

  emit(kind: ChangeKind, oldValue: JsonValue | undefined, newValue: JsonValue | undefined): void {
    const change: Change = {
      kind,
      path: encodePointer(this.display),
      pointer: encodePointer(kind === 'removed' ? this.oldSegs : this.newSegs),
    };
    if (oldValue !== undefined) change.oldValue = oldValue;
    if (newValue !== undefined) change.newValue = newValue;
    this.changes.push(change);
  }
}
