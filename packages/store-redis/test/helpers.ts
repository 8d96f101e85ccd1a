import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import type { RedisStore } from '../src/index.js';

/** Deterministic bytes. */
export function pseudoRandom(size: number, seed: string): Buffer {
  const out = Buffer.alloc(size);
  let block = createHash('sha256').update(seed).digest();
  for (let offset = 0; offset < size; offset += block.length) {
    block.copy(out, offset, 0, Math.min(block.length, size - offset));
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

/** Polls `check` until it is true (no timing assertion: the test's own timeout bounds it). */
export async function until(check: () => boolean | Promise<boolean>, stepMs = 20): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, stepMs));
}

/** Collects the warnings emitted while `action` runs. */
export async function warningsDuring(action: () => Promise<void>): Promise<Array<{ code: string | undefined; message: string }>> {
  const seen: Array<{ code: string | undefined; message: string }> = [];
  const listener = (warning: Error & { code?: string }): void => void seen.push({ code: warning.code, message: warning.message });
  process.on('warning', listener);
  try {
    await action();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', listener);
  }
  return seen;
}

/** Calls get, put and has `times` times on a store that cannot use its server: each misses or stores nothing, and nothing throws. */
export async function expectTurnedAway(redis: RedisStore, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    expect(await redis.get('k')).toBeUndefined();
    // Not stored for a fault (the server is not there), not a refusal of the value: the put says which.
    expect(await redis.put('k', Buffer.from('v'))).toMatchObject({ stored: false, faultCode: expect.stringMatching(/^(ECONNREFUSED|ENOTCONNECTED)$/) });
    expect(await redis.has('k')).toBe(false);
  }
}
