import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { clockMs } from '../src/index.js';

describe('clockMs', () => {
  it('counts milliseconds and never goes back', async () => {
    const started = clockMs();
    const startedWall = Date.now();
    let previous = started;
    for (let i = 0; i < 1000; i += 1) {
      const now = clockMs();
      expect(now).toBeGreaterThanOrEqual(previous);
      previous = now;
    }
    await sleep(30);
    const elapsed = clockMs() - started;
    // Milliseconds, not seconds or nanoseconds: at least the sleep, and no more than the wall clock saw (plus rounding).
    expect(elapsed).toBeGreaterThanOrEqual(25);
    expect(elapsed).toBeLessThanOrEqual(Date.now() - startedWall + 2);
  });
});
