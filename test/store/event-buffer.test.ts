/** The batching both stores use for `--events` lines: 2,000 lines or 200 ms, oldest first, nothing lost or repeated. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventBuffer } from '../../src/store/event-buffer.js';

afterEach(() => vi.useRealTimers());

describe('EventBuffer', () => {
  it('asks for a flush at 2,000 lines and hands them over once, in order', () => {
    let flushes = 0;
    const b = new EventBuffer(() => void flushes++);
    for (let i = 0; i < 1999; i++) b.add(i < 1000 ? 'r1' : 'r2', `l${i}`);
    expect(flushes).toBe(0);
    b.add('r2', 'l1999');
    expect(flushes).toBe(1);
    const batch = b.take();
    expect(batch).toHaveLength(2000);
    expect(batch[0]).toEqual(['r1', 'l0']);
    expect(batch[1999]).toEqual(['r2', 'l1999']);
    expect(b.take()).toEqual([]);
  });

  it('asks for a flush 200 ms after the first line of a batch, and not again once taken', () => {
    vi.useFakeTimers();
    let flushes = 0;
    const b = new EventBuffer(() => void flushes++);
    b.add('r', 'a');
    b.add('r', 'b');
    vi.advanceTimersByTime(199);
    expect(flushes).toBe(0);
    vi.advanceTimersByTime(1);
    expect(flushes).toBe(1);
    expect(b.take()).toEqual([['r', 'a'], ['r', 'b']]);
    b.add('r', 'c');
    expect(b.take()).toEqual([['r', 'c']]); // taken early: its timer is stopped
    vi.advanceTimersByTime(1000);
    expect(flushes).toBe(1);
  });
});
