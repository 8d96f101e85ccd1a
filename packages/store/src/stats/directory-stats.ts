// `fs.promises` is read where it is used: loading node:fs/promises costs a process 1-2 ms, so only the calls that
// need it pay. node:fs itself is taken with `nodeBuiltin`, not an ES `import`, whose namespace Node builds by reading
// every export (`fs.promises` on Node 24, and the streams: 2-3 ms).
import path from 'node:path';
import { readIfExists } from '../disk/fs-helpers.js';
import { nodeFs } from '../disk/fs-layer.js';
import { CLAIMED_STATS_PATTERN, FORMAT_DIRECTORY, INSTANCE_STATS_PATTERN } from '../disk/layout.js';
import { addCounters, zeroCounters, type StatsCounters } from './stats-counter.js';
import { nodeBuiltin } from '../node/node-builtin.js';

const fs = nodeBuiltin<typeof import('node:fs')>('node:fs');

/** The persisted statistics of one namespace of a cache directory. */
export interface NamespaceStats {
  /** The namespace (engine fingerprint) directory name. */
  readonly namespace: string;
  /** Counters summed over every process that used it (finished ones folded into `total.json`, running ones as last flushed). */
  readonly counters: StatsCounters;
  /** Entries as of the last cleanup scan, if one ran (each cleanup scans every namespace of the directory). */
  readonly entries?: number;
  /** Bytes as of the last cleanup scan, if one ran. */
  readonly bytes?: number;
  /** When the last cleanup scan ran (ms since the epoch), if one ran. */
  readonly scannedAt?: number;
  /** Store instances whose counters are still separate files (usually the running ones; a cleanup folds the others into the total). */
  readonly processes: number;
}

/** Statistics of a whole cache directory, for `wasm-cache cache stats`. */
export interface DirectoryStats {
  readonly directory: string;
  readonly namespaces: readonly NamespaceStats[];
  /** Counters summed over every namespace. */
  readonly total: StatsCounters;
}

async function readJson(file: string): Promise<Record<string, unknown> | undefined> {
  try {
    // Only a small regular file, opened without blocking: a FIFO in the stats folder hung `cache stats` for ever.
    const data = await readIfExists(nodeFs, file);
    if (data === undefined) return undefined;
    const value: unknown = JSON.parse(data.toString('utf8'));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function finite(record: Record<string, unknown> | undefined, name: string): number | undefined {
  const value = record?.[name];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * Reads the statistics disk stores persisted under `directory` (the cache
 * directory, holding one folder per namespace), without opening a store and
 * without writing anything. Counters are flushed by running stores about once
 * a second and on `close()`, so they are approximate while stores run.
 */
export async function readDirectoryStats(directory: string): Promise<DirectoryStats> {
  let names: string[];
  try {
    names = await fs.promises.readdir(directory);
  } catch {
    names = [];
  }
  const namespaces: NamespaceStats[] = [];
  const total = zeroCounters();
  for (const namespace of names.sort()) {
    const statsDirectory = path.join(directory, namespace, FORMAT_DIRECTORY, 'stats');
    let files: string[];
    try {
      files = await fs.promises.readdir(statsDirectory);
    } catch {
      continue;
    }
    const counters = zeroCounters();
    let processes = 0;
    const folds = await readJson(path.join(statsDirectory, 'total.json'));
    if (folds) addCounters(counters, folds);
    // The files a cleanup claimed to fold in: their counters are in the total once it lists them.
    const folded = new Set(Array.isArray(folds?.['folded']) ? (folds['folded'] as unknown[]) : []);
    for (const file of files) {
      if (!INSTANCE_STATS_PATTERN.test(file) && !(CLAIMED_STATS_PATTERN.test(file) && !folded.has(file))) continue;
      const record = await readJson(path.join(statsDirectory, file));
      if (!record) continue;
      addCounters(counters, record);
      processes++;
    }
    const usage = await readJson(path.join(statsDirectory, 'usage.json'));
    const entries = finite(usage, 'entries');
    const bytes = finite(usage, 'bytes');
    const scannedAt = finite(usage, 'at');
    addCounters(total, counters);
    namespaces.push({
      namespace,
      counters,
      processes,
      ...(entries !== undefined ? { entries } : {}),
      ...(bytes !== undefined ? { bytes } : {}),
      ...(scannedAt !== undefined ? { scannedAt } : {}),
    });
  }
  return { directory, namespaces, total };
}
