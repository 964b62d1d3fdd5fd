/**
 * Collects `Change`s while the walker descends: three parallel segment stacks (the keyed `path`,
 * the plain pointer into the current document, the plain pointer into the proposed one), each with the
 * JSON Pointer of its prefix already encoded, so that emitting a change costs no encoding at all.
 */
import type { Change, ChangeKind, JsonValue } from '../types.js';

/** One JSON Pointer segment escaped (RFC 6901: `~` -> `~0`, `/` -> `~1`); the usual segment is returned as is. */
export function escapeSegment(segment: string): string {
  return segment.indexOf('~') === -1 && segment.indexOf('/') === -1 ? segment : segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Internal sink for changes; segments are raw (unescaped), and encoded once when pushed. */
export class Emitter {
  readonly changes: Change[] = [];
  readonly display: string[] = [];
  readonly oldSegs: string[] = [];
  readonly newSegs: string[] = [];
  /**
   * Encoded pointers of every prefix of the three stacks: index `d` is the pointer of the first `d` segments
   * (index 0 is the root, `''`). The walker pushes only where a change can be, so this costs one concatenation per
   * segment pushed instead of one per segment of every emitted change (twice: path and pointer).
   */
  private readonly displayPtr: string[] = [''];
  private readonly oldPtr: string[] = [''];
  private readonly newPtr: string[] = [''];

  push(display: string, oldSeg: string, newSeg: string): void {
    const d = this.display.length;
    this.display.push(display);
    this.oldSegs.push(oldSeg);
    this.newSegs.push(newSeg);
    // The three stacks usually hold the same segments (they differ only inside keyed lists): one escape, shared.
    const base = this.newPtr[d]!;
    const np = base + '/' + escapeSegment(newSeg);
    this.newPtr.push(np);
    const ob = this.oldPtr[d]!;
    this.oldPtr.push(oldSeg === newSeg && ob === base ? np : ob + '/' + escapeSegment(oldSeg));
    const db = this.displayPtr[d]!;
    this.displayPtr.push(display === newSeg && db === base ? np : db + '/' + escapeSegment(display));
  }

  pop(): void {
    this.display.pop();
    this.oldSegs.pop();
    this.newSegs.pop();
    this.displayPtr.pop();
    this.oldPtr.pop();
    this.newPtr.pop();
  }

  /**
   * `push(seg, seg, seg)`, `emit(...)`, `pop()` at the root (nothing pushed): the change of one top-level key of a
   * first push, without touching the stacks.
   */
  emitTop(kind: ChangeKind, seg: string, oldValue: JsonValue | undefined, newValue: JsonValue | undefined): void {
    if (this.display.length !== 0) {
      this.push(seg, seg, seg);
      this.emit(kind, oldValue, newValue);
      this.pop();
      return;
    }
    const pointer = '/' + escapeSegment(seg);
    const change: Change = { kind, path: pointer, pointer };
    if (oldValue !== undefined) change.oldValue = oldValue;
    if (newValue !== undefined) change.newValue = newValue;
    this.changes.push(change);
  }

  emit(kind: ChangeKind, oldValue: JsonValue | undefined, newValue: JsonValue | undefined): void {
    const d = this.display.length;
    const change: Change = {
      kind,
      path: this.displayPtr[d]!,
      pointer: kind === 'removed' ? this.oldPtr[d]! : this.newPtr[d]!,
    };
    if (oldValue !== undefined) change.oldValue = oldValue;
    if (newValue !== undefined) change.newValue = newValue;
    this.changes.push(change);
  }
}
