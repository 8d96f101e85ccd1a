import type { StoreStats } from '../contract/store.js';

/** The counters every store keeps, in one mutable object. */
export interface StatsCounters {
  hits: number;
  misses: number;
  writes: number;
  bytesRead: number;
  bytesWritten: number;
  evictions: number;
  corruptEntries: number;
  errors: number;
  timeSpentMs: number;
}

/** Names of the counters, in display order. */
export const COUNTER_NAMES = [
  'hits',
  'misses',
  'writes',
  'bytesRead',
  'bytesWritten',
  'evictions',
  'corruptEntries',
  'errors',
  'timeSpentMs',
] as const satisfies readonly (keyof StatsCounters)[];

/** All counters at zero. */
export function zeroCounters(): StatsCounters {
  return { hits: 0, misses: 0, writes: 0, bytesRead: 0, bytesWritten: 0, evictions: 0, corruptEntries: 0, errors: 0, timeSpentMs: 0 };
}

/** Adds `from` into `into` (for aggregating processes' counters). */
export function addCounters(into: StatsCounters, from: object): StatsCounters {
  const record = from as Partial<Record<string, unknown>>;
  for (const name of COUNTER_NAMES) {
    const value = record[name];
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) into[name] += value;
  }
  return into;
}

/** A frozen snapshot of counters plus optional size figures. */
export function snapshot(counters: StatsCounters, extra: { entries?: number; bytes?: number } = {}): StoreStats {
  return Object.freeze({ ...counters, ...extra });
}
