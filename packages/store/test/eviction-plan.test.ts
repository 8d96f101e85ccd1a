import { describe, expect, it } from 'vitest';
import { effectiveRecency, planEviction, type EvictionCandidate } from '../src/index.js';

const limits = { maxBytes: 1000, maxEntries: 10, bytesPercent: 70, entriesPercent: 50 };
const now = 1_000_000;
const drift = 10_000;

function candidates(count: number, bytes = 10): EvictionCandidate[] {
  return Array.from({ length: count }, (_, i) => ({ hash: `h${String(i).padStart(3, '0')}`, bytes, lastUsed: now - (count - i) * 1000 }));
}

describe('planEviction', () => {
  it('does nothing under both limits', () => {
    const plan = planEviction(candidates(10), limits, now, drift);
    expect(plan.overLimit).toBe(false);
    expect(plan.victims).toEqual([]);
  });

  it('deletes least recently used down to the count percent target', () => {
    const plan = planEviction(candidates(11), limits, now, drift);
    expect(plan.victims.map((v) => v.hash)).toEqual(['h000', 'h001', 'h002', 'h003', 'h004', 'h005']);
    expect(plan.entriesAfter).toBe(5);
  });

  it('deletes down to the size percent target', () => {
    const plan = planEviction(candidates(5, 300), limits, now, drift);
    expect(plan.bytesBefore).toBe(1500);
    expect(plan.bytesAfter).toBeLessThanOrEqual(700);
    expect(plan.victims.map((v) => v.hash)).toEqual(['h000', 'h001', 'h002']);
  });

  it('keeps the most recent entry when it alone is within the limits, even above the percent target', () => {
    const list = [
      { hash: 'older', bytes: 800, lastUsed: now - 2000 },
      { hash: 'newest', bytes: 800, lastUsed: now - 1000 },
    ];
    const plan = planEviction(list, limits, now, drift);
    expect(plan.victims.map((v) => v.hash)).toEqual(['older']);
    expect(plan.bytesAfter).toBe(800);
    // Larger than the capacity on its own (written by something that did not check): it goes too.
    const huge = planEviction([{ hash: 'older', bytes: 10, lastUsed: now - 2000 }, { hash: 'huge', bytes: 1001, lastUsed: now - 1000 }], limits, now, drift);
    expect(huge.victims.map((v) => v.hash)).toEqual(['older', 'huge']);
  });

  it("keeps the most recent entry by the entry's own size, which put measured: its usage sidecar does not push it out", () => {
    // 990 bytes of entry, accepted by put against a capacity of 1000, plus the 28-byte sidecar its first use wrote.
    const list = [
      { hash: 'older', bytes: 10, entryBytes: 10, lastUsed: now - 2000 },
      { hash: 'newest', bytes: 990 + 28, entryBytes: 990, lastUsed: now - 1000 },
    ];
    const plan = planEviction(list, limits, now, drift);
    expect(plan.overLimit).toBe(true);
    expect(plan.victims.map((v) => v.hash)).toEqual(['older']);
    expect(plan.bytesAfter).toBe(1018);
    // Alone, the same: kept. Without entryBytes, bytes is the entry's size, as before.
    expect(planEviction([list[1] as EvictionCandidate], limits, now, drift).victims).toEqual([]);
    expect(planEviction([{ hash: 'newest', bytes: 1018, lastUsed: now }], limits, now, drift).victims.map((v) => v.hash)).toEqual(['newest']);
  });

  it('counts files from the near future as recent and from the far future as oldest', () => {
    expect(effectiveRecency(now + drift, now, drift)).toBe(now);
    expect(effectiveRecency(now + drift + 1, now, drift)).toBe(Number.NEGATIVE_INFINITY);
    expect(effectiveRecency(now - 5, now, drift)).toBe(now - 5);
    const list = candidates(11);
    list[0] = { hash: 'near-future', bytes: 10, lastUsed: now + drift / 2 };
    list[10] = { hash: 'far-future', bytes: 10, lastUsed: now + drift * 2 };
    const victims = planEviction(list, limits, now, drift).victims.map((v) => v.hash);
    expect(victims[0]).toBe('far-future');
    expect(victims).not.toContain('near-future');
  });
});
