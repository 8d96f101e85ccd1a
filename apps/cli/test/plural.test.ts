import { zeroCounters } from '@cache/store';
import { describe, expect, it } from 'vitest';
import { statisticsLine } from '../src/commands/demo.js';
import { counted } from '../src/output/plural.js';

describe('counts in messages: singular for exactly one', () => {
  it('counted', () => {
    expect(counted(1, 'hit')).toBe('1 hit');
    expect(counted(0, 'hit')).toBe('0 hits');
    expect(counted(2, 'miss', 'misses')).toBe('2 misses');
    expect(counted(1, 'miss', 'misses')).toBe('1 miss');
  });

  it("the demo's statistics line", () => {
    const one = { ...zeroCounters(), hits: 1, misses: 1, writes: 1, bytesRead: 2048 };
    expect(statisticsLine(one)).toBe('Cache statistics: 1 hit, 1 miss, 1 write, 0 B written, 2.0 KiB read, 0 corrupt.');
    const two = { ...one, hits: 2, misses: 2, writes: 0 };
    expect(statisticsLine(two)).toBe('Cache statistics: 2 hits, 2 misses, 0 writes, 0 B written, 2.0 KiB read, 0 corrupt.');
  });
});
