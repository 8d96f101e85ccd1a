import path from 'node:path';
import { sha256 } from '../digests/digests.js';
import { InvalidNamespaceError } from '../errors/store-error.js';

/** The on-disk format version; part of every path, so a future format lives beside this one. */
export const FORMAT_DIRECTORY = 'v1';

/**
 * A namespace directory name: 1 to 128 characters from `A-Z a-z 0-9 . _ -`,
 * starting with a letter or digit, so no namespace can be a dot-folder (the
 * store's own `.store`, the engine's `.fingerprints` and `.producers`).
 */
const NAMESPACE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** The folder, directly in the cache directory, of the files that concern all namespaces together. */
export const STORE_FOLDER = '.store';
/** A shard directory: two lowercase hex characters. */
export const SHARD_PATTERN = /^[0-9a-f]{2}$/;
/** An entry file: the key's SHA-256 in hex. */
export const ENTRY_PATTERN = /^([0-9a-f]{64})\.entry$/;
/** An entry's usage sidecar. */
export const STATS_PATTERN = /^([0-9a-f]{64})\.stats$/;
/** A temp file: `<base>.<pid>.<8 hex>.tmp`, where base is one of ours. */
export const TEMP_PATTERN = /^([0-9a-f]{64}(?:\.entry|\.stats)|stats-[0-9a-z.-]+\.json|usage\.json|last-cleanup\.json|total\.json|cleanup\.lock)\.(\d+)\.([0-9a-f]{8})\.tmp$/;
/** A recompression lock-and-temp file. */
export const RECOMPRESS_PATTERN = /^([0-9a-f]{64})\.recompress$/;
/** A per-process statistics file: `stats-<pid>.<instance>.json`. */
export const INSTANCE_STATS_PATTERN = /^stats-(\d+)\.([0-9a-z-]+)\.json$/;
/**
 * A per-process statistics file claimed by a cleanup that folds it into
 * `total.json`: `fold-<claimer pid>.<claimed at, ms>.<cleanup token>.<the stats file's name>`.
 * Renaming to it is the claim: only one cleanup can make it.
 */
export const CLAIMED_STATS_PATTERN = /^fold-(\d+)\.(\d+)\.([0-9a-f]{1,32})\.(stats-\d+\.[0-9a-z-]+\.json)$/;

/** Whether `name` is a valid namespace (so possibly a namespace directory of the store). */
export function isNamespace(name: unknown): name is string {
  return typeof name === 'string' && NAMESPACE.test(name);
}

/**
 * Checks a namespace (engine fingerprint) is usable as one directory name.
 *
 * @throws InvalidNamespaceError otherwise.
 */
export function validateNamespace(namespace: string): string {
  if (!isNamespace(namespace)) throw new InvalidNamespaceError(String(namespace));
  return namespace;
}

/** The file-name hash of a key: hex SHA-256 of its UTF-8 bytes. A key is never used as a path. */
export function hashKey(key: string): string {
  return sha256(Buffer.from(key, 'utf8')).toString('hex');
}

/** The last temporary file's suffix in this process (the first is random). */
let tempSequence = Math.floor(Math.random() * 2 ** 32);

/**
 * The 8 hex digits that tell this process's temporary files apart: a counter
 * from a random start, so one thread's files never share a name (the pid
 * beside it tells processes apart; the store's worker thread counts from a
 * start of its own). Temporary files are created exclusively, so a name that
 * could be guessed opens nothing, and a clash fails that write instead of
 * mixing two. `node:crypto` (3-6 ms to load) is not loaded for it, as the
 * statistics file is written this way while a process exits.
 */
function nextTempSuffix(): string {
  tempSequence = (tempSequence + 1) >>> 0;
  return tempSequence.toString(16).padStart(8, '0');
}

/**
 * Every path of one namespace, and of the directory-level files, computed in
 * one place:
 *
 * ```
 * <directory>/
 *   .store/                              files about every namespace together
 *     cleanup.lock                       held while one process cleans the whole directory
 *     last-cleanup.json                  when the last cleanup ran (any process, any namespace), and
 *                                        the entries and bytes of all namespaces it found, and its write tally
 *     written-<16 hex>.entries|.bytes    the write tally: what every put added since that cleanup (write-tally.ts)
 *     tmp/                               temp files of the lock and the record
 *   <namespace>/v1/                      one per namespace (starts with a letter or digit)
 *     entries/<hh>/<sha256(key)>.entry   entry: header + key + payload
 *     entries/<hh>/<sha256(key)>.stats   usage sidecar: {"uses":n}, mtime = last use
 *     tmp/                               temp files, renamed into entries/
 *     stats/                             per-process counters (and those a cleanup claimed to fold), total.json,
 *                                        usage.json (this namespace's)
 * ```
 *
 * The capacity and the file-count limit apply to the whole directory: one
 * cleanup at a time (`.store/cleanup.lock`) scans every namespace directory
 * that has the `v1/` folder (a missing `entries/` is no entries), including
 * ones no process opens any more.
 */
export class Layout {
  /** `<directory>/<namespace>/v1`. */
  readonly root: string;
  /** `<directory>/<namespace>`. */
  readonly namespaceDirectory: string;
  /** The namespace (its directory's name). */
  readonly namespace: string;
  readonly entries: string;
  readonly tmp: string;
  readonly statsDirectory: string;
  /** `<directory>/.store`: files about every namespace together. */
  readonly storeDirectory: string;
  /** `<directory>/.store/tmp`: temp files of the directory-level files. */
  readonly storeTmp: string;
  /** `<directory>/.store/cleanup.lock`: held while one process cleans the whole directory. */
  readonly cleanupLock: string;
  /** `<directory>/.store/last-cleanup.json`: when the last cleanup of the directory ran, and the entries and bytes of every namespace it found. */
  readonly lastCleanup: string;
  /** `<namespace>/v1/stats/usage.json`: this namespace's entries and bytes, found by the last cleanup. */
  readonly usageFile: string;
  readonly totalFile: string;

  constructor(readonly directory: string, namespace: string) {
    this.namespace = validateNamespace(namespace);
    this.namespaceDirectory = path.join(directory, namespace);
    this.root = path.join(this.namespaceDirectory, FORMAT_DIRECTORY);
    this.entries = path.join(this.root, 'entries');
    this.tmp = path.join(this.root, 'tmp');
    this.statsDirectory = path.join(this.root, 'stats');
    this.storeDirectory = path.join(directory, STORE_FOLDER);
    this.storeTmp = path.join(this.storeDirectory, 'tmp');
    this.cleanupLock = path.join(this.storeDirectory, 'cleanup.lock');
    this.lastCleanup = path.join(this.storeDirectory, 'last-cleanup.json');
    this.usageFile = path.join(this.statsDirectory, 'usage.json');
    this.totalFile = path.join(this.statsDirectory, 'total.json');
  }

  shard(hash: string): string {
    return path.join(this.entries, hash.slice(0, 2));
  }

  entry(hash: string): string {
    return path.join(this.entries, hash.slice(0, 2), `${hash}.entry`);
  }

  sidecar(hash: string): string {
    return path.join(this.entries, hash.slice(0, 2), `${hash}.stats`);
  }

  recompressTemp(hash: string): string {
    return path.join(this.tmp, `${hash}.recompress`);
  }

  /** A fresh temp path for a file whose final name is `base`; unique per process and call. */
  temp(base: string): string {
    return path.join(this.tmp, `${base}.${process.pid}.${nextTempSuffix()}.tmp`);
  }

  /** {@link Layout.temp} for a directory-level file (in `.store/tmp`). */
  storeTemp(base: string): string {
    return path.join(this.storeTmp, `${base}.${process.pid}.${nextTempSuffix()}.tmp`);
  }

  instanceStats(instanceId: string): string {
    return path.join(this.statsDirectory, `stats-${process.pid}.${instanceId}.json`);
  }

  /** The name (in the stats folder) a cleanup of this process, `token`, renames the statistics file `name` to when it claims it at `at` (ms). */
  claimedStatsName(name: string, token: string, at: number): string {
    return `fold-${process.pid}.${Math.max(0, Math.floor(at))}.${token}.${name}`;
  }
}
