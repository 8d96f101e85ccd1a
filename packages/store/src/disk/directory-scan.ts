import path from 'node:path';
import { toFault, type FaultRecord } from '../faults/fault-reporter.js';
import type { EvictionCandidate } from './eviction.js';
import { isMissing } from './fs-helpers.js';
import { nodeFs, type FsLayer } from './fs-layer.js';
import { ENTRY_PATTERN, isNamespace, Layout, SHARD_PATTERN, STATS_PATTERN } from './layout.js';

/** An entry as cleanup sees it, with the namespace it lives in. */
export interface ScannedEntry extends EvictionCandidate {
  readonly layout: Layout;
}

/** What scanning one namespace found. */
export interface NamespaceScan {
  readonly candidates: ScannedEntry[];
  /** Hashes of sidecars without an entry. */
  readonly orphans: string[];
}

const CONCURRENCY = 32;

/** Runs `work` on every item, at most {@link CONCURRENCY} at a time. */
export async function inChunks<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += CONCURRENCY) {
    await Promise.all(items.slice(i, i + CONCURRENCY).map(work));
  }
}

async function isRealDirectory(fs: FsLayer, file: string): Promise<boolean> {
  try {
    return (await fs.lstat(file)).isDirectory();
  } catch {
    return false;
  }
}

/** Whether `file` is a directory (not a link) or does not exist; false for anything else in its place, or when it cannot be looked at. */
async function isDirectoryOrMissing(fs: FsLayer, file: string): Promise<boolean> {
  try {
    return (await fs.lstat(file)).isDirectory();
  } catch (error) {
    return isMissing(error);
  }
}

/**
 * Whether `name` in the cache directory `directory` is a namespace of the
 * store's, as its cleanup takes one: a valid namespace name, a directory (not
 * a link) holding the `v1/` folder (not a link), with its `v1/entries` folder
 * or without it yet (a writer killed during its first put leaves only a temp
 * file, a process that only read leaves only its statistics), but not with
 * anything else in its place. Dot-folders (the store's `.store`, the engine's
 * `.fingerprints` and `.producers`) and foreign folders never qualify. What
 * cannot be looked at does not either.
 */
export async function isNamespaceFolder(directory: string, name: string, fs: FsLayer = nodeFs): Promise<boolean> {
  if (!isNamespace(name)) return false;
  const layout = new Layout(directory, name);
  return (await isRealDirectory(fs, layout.namespaceDirectory)) && (await isRealDirectory(fs, layout.root)) && (await isDirectoryOrMissing(fs, layout.entries));
}

/**
 * The namespaces of the cache directory that cleanup looks after: `own`
 * (the calling store's, always), and every other directory (not a link)
 * whose name is a valid namespace and that holds the `v1/` folder (not a
 * link), including ones no process opens any more. A namespace without
 * `v1/entries` counts, with no entries (one with anything other than a
 * folder in its place does not): a writer killed during its first
 * put leaves only a temp file, and a process that only read leaves only its
 * statistics, and both are the cleanup's to remove or fold. Dot-folders (the
 * store's `.store`, the engine's `.fingerprints` and `.producers`) never
 * qualify, nor does anything else: what is not ours is never touched.
 */
export async function namespaceLayouts(fs: FsLayer, own: Layout, faults: FaultRecord[]): Promise<Layout[]> {
  let names: string[];
  try {
    names = await fs.readdir(own.directory);
  } catch (error) {
    if (!isMissing(error)) faults.push(toFault('cleanup', error));
    return [own];
  }
  const others: Layout[] = [];
  await inChunks(names.filter((name) => name !== own.namespace).sort(), async (name) => {
    if (await isNamespaceFolder(own.directory, name, fs)) others.push(new Layout(own.directory, name));
  });
  return [own, ...others.sort((a, b) => (a.namespace < b.namespace ? -1 : 1))];
}

/**
 * Lists one namespace's entries (size of entry plus sidecar, and of the
 * entry alone; recency = the later of their dates) and orphan sidecars. Files whose names do not match
 * the store's patterns, or that sit in the wrong shard, are left out (and so
 * never deleted).
 *
 * @throws when the entries folder cannot be listed (other than ENOENT: no entries).
 */
export async function scanNamespace(fs: FsLayer, layout: Layout, faults: FaultRecord[]): Promise<NamespaceScan> {
  let shards: string[];
  try {
    shards = await fs.readdir(layout.entries);
  } catch (error) {
    if (!isMissing(error)) throw error;
    return { candidates: [], orphans: [] };
  }
  const candidates: ScannedEntry[] = [];
  const orphans: string[] = [];
  for (const shard of shards) {
    if (!SHARD_PATTERN.test(shard)) continue;
    const shardDirectory = path.join(layout.entries, shard);
    let names: string[];
    try {
      names = await fs.readdir(shardDirectory);
    } catch (error) {
      if (!isMissing(error)) faults.push(toFault('cleanup', error));
      continue;
    }
    const entries = new Map<string, { bytes: number; mtime: number }>();
    const sidecars = new Map<string, { bytes: number; mtime: number }>();
    await inChunks(names, async (name) => {
      const entry = ENTRY_PATTERN.exec(name);
      const sidecar = entry ? null : STATS_PATTERN.exec(name);
      const hash = entry?.[1] ?? sidecar?.[1];
      if (!hash || hash.slice(0, 2) !== shard) return; // not ours: never touched
      try {
        const stat = await fs.lstat(path.join(shardDirectory, name));
        if (!stat.isFile()) return;
        (entry ? entries : sidecars).set(hash, { bytes: stat.size, mtime: stat.mtimeMs });
      } catch (error) {
        if (!isMissing(error)) faults.push(toFault('cleanup', error));
      }
    });
    for (const [hash, entry] of entries) {
      const sidecar = sidecars.get(hash);
      candidates.push({ hash, layout, bytes: entry.bytes + (sidecar?.bytes ?? 0), entryBytes: entry.bytes, lastUsed: Math.max(entry.mtime, sidecar?.mtime ?? 0) });
    }
    for (const hash of sidecars.keys()) if (!entries.has(hash)) orphans.push(hash);
  }
  return { candidates, orphans };
}
