/**
 * The `--events` lines a store keeps for `confgate history --format ndjson`, buffered per rollout id and handed
 * over in batches: at 2,000 lines, or 200 ms after the first line of a batch, whichever comes first (the timer does
 * not keep the process alive). Each store writes a batch its own way; this holds only the batching.
 */
export class EventBuffer {
  #lines: Array<[rolloutId: string, line: string]> = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #flush: () => void;

  /** @param flush called when a batch is due; it takes the batch with {@link take}. */
  constructor(flush: () => void) {
    this.#flush = flush;
  }

  add(rolloutId: string, line: string): void {
    this.#lines.push([rolloutId, line]);
    if (this.#lines.length >= 2000) this.#flush();
    else if (this.#timer === undefined) {
      this.#timer = setTimeout(this.#flush, 200);
      this.#timer.unref();
    }
  }

  /** The lines buffered so far (oldest first), leaving the buffer empty and its timer stopped. */
  take(): Array<[rolloutId: string, line: string]> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#lines;
    this.#lines = [];
    return batch;
  }
}
