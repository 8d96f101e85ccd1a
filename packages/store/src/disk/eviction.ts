/** One entry as cleanup sees it. */
export interface EvictionCandidate {
  /** The entry's hash (file name stem). */
  readonly hash: string;
  /** Bytes on disk (entry plus sidecar). */
  readonly bytes: number;
  /**
   * Bytes of the entry file alone, without its sidecar: what `put` compares
   * to the capacity, and so what decides whether the most recently used
   * entry is kept. `bytes` when not given.
   */
  readonly entryBytes?: number;
  /** Last use or write, ms since the epoch, as read from the file system. */
  readonly lastUsed: number;
}

/** The limits cleanup enforces (from a CacheConfig). */
export interface EvictionLimits {
  /** `filesTotalSizeSoftLimit` (capacity), bytes. */
  readonly maxBytes: number;
  /** `fileCountSoftLimit`. */
  readonly maxEntries: number;
  /** `filesTotalSizeLimitPercentIfDeleting`: delete down to this percent of `maxBytes`. */
  readonly bytesPercent: number;
  /** `fileCountLimitPercentIfDeleting`: delete down to this percent of `maxEntries`. */
  readonly entriesPercent: number;
}

/** What cleanup should delete and what remains. */
export interface EvictionPlan<T extends EvictionCandidate = EvictionCandidate> {
  /** Whether a soft limit is exceeded. */
  readonly overLimit: boolean;
  /** Entries to delete, least recently used first. */
  readonly victims: readonly T[];
  readonly bytesBefore: number;
  readonly entriesBefore: number;
  readonly bytesAfter: number;
  readonly entriesAfter: number;
}

/**
 * The recency used for ordering: a date in the future within `allowedDrift`
 * counts as now (recent); beyond it the clock that wrote it is wrong and the
 * entry counts as the oldest possible (Wasmtime's rule, which otherwise would
 * keep such files forever).
 */
export function effectiveRecency(lastUsed: number, now: number, allowedDrift: number): number {
  if (lastUsed <= now) return lastUsed;
  if (lastUsed - now <= allowedDrift) return now;
  return Number.NEGATIVE_INFINITY;
}

/**
 * Plans a cleanup: nothing when both soft limits hold; otherwise the least
 * recently used entries until both the size and the count are at or below
 * their percent-if-deleting targets.
 *
 * The most recently used entry is never a victim when it alone is within
 * both soft limits (`maxBytes` and `maxEntries`): an entry larger than the
 * percent target but within the capacity was accepted by `put`, so the
 * cleanup that put triggers must not delete it. Its size there is the
 * entry's own (`entryBytes`), as `put` measured it: the usage sidecar its
 * first use adds (a few dozen bytes) must not turn an entry just within the
 * capacity into one evicted after that use. The older entries go first,
 * and the plan may then stop above the targets (and, by that sidecar, the
 * capacity).
 */
export function planEviction<T extends EvictionCandidate>(candidates: readonly T[], limits: EvictionLimits, now: number, allowedDrift: number): EvictionPlan<T> {
  let bytes = 0;
  for (const candidate of candidates) bytes += candidate.bytes;
  const entries = candidates.length;
  const overLimit = bytes > limits.maxBytes || entries > limits.maxEntries;
  if (!overLimit) return { overLimit, victims: [], bytesBefore: bytes, entriesBefore: entries, bytesAfter: bytes, entriesAfter: entries };
  const targetBytes = Math.floor((limits.maxBytes * limits.bytesPercent) / 100);
  const targetEntries = Math.floor((limits.maxEntries * limits.entriesPercent) / 100);
  const ordered = candidates
    .map((candidate) => ({ candidate, recency: effectiveRecency(candidate.lastUsed, now, allowedDrift) }))
    .sort((a, b) => a.recency - b.recency || (a.candidate.hash < b.candidate.hash ? -1 : 1));
  const newest = ordered[ordered.length - 1]?.candidate;
  const keepNewest = newest !== undefined && (newest.entryBytes ?? newest.bytes) <= limits.maxBytes && limits.maxEntries >= 1;
  const victims: T[] = [];
  let remainingBytes = bytes;
  let remainingEntries = entries;
  for (const { candidate } of ordered) {
    if (remainingBytes <= targetBytes && remainingEntries <= targetEntries) break;
    if (candidate === newest && keepNewest) break;
    victims.push(candidate);
    remainingBytes -= candidate.bytes;
    remainingEntries--;
  }
  return { overLimit, victims, bytesBefore: bytes, entriesBefore: entries, bytesAfter: remainingBytes, entriesAfter: remainingEntries };
}
