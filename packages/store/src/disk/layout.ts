import path from 'node:path';
import { sha256 } from '../digests/digests.js';
import { InvalidNamespaceError } from '../errors/store-error.js';

/** The on-disk format version; part of every path, so a future format lives beside this one. */
export const FORMAT_DIRECTORY = 'v1';

const NAMESPACE = /^[A-Za-z0-9._-]{1,128}$/;
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
 * Checks a namespace (engine fingerprint) is usable as one directory name.
 *
 * @throws InvalidNamespaceError otherwise.
 */
export function validateNamespace(namespace: string): string {
  if (typeof namespace !== 'string' || !NAMESPACE.test(namespace) || namespace === '.' || namespace === '..') {
    throw new InvalidNamespaceError(String(namespace));
  }
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
 * Every path of one namespace, computed in one place:
 *
 * ```
 * <directory>/<namespace>/v1/
 *   entries/<hh>/<sha256(key)>.entry   entry: header + key + payload
 *   entries/<hh>/<sha256(key)>.stats   usage sidecar: {"uses":n}, mtime = last use
 *   tmp/                               temp files, renamed into entries/
 *   stats/                             per-process counters, total.json, usage.json
 *   cleanup.lock                       held while one process cleans
 *   last-cleanup.json                  when the last cleanup ran (any process)
 * ```
 */
export class Layout {
  /** `<directory>/<namespace>/v1`. */
  readonly root: string;
  /** `<directory>/<namespace>`. */
  readonly namespaceDirectory: string;
  readonly entries: string;
  readonly tmp: string;
  readonly statsDirectory: string;
  readonly cleanupLock: string;
  readonly lastCleanup: string;
  readonly usageFile: string;
  readonly totalFile: string;

  constructor(readonly directory: string, namespace: string) {
    this.namespaceDirectory = path.join(directory, validateNamespace(namespace));
    this.root = path.join(this.namespaceDirectory, FORMAT_DIRECTORY);
    this.entries = path.join(this.root, 'entries');
    this.tmp = path.join(this.root, 'tmp');
    this.statsDirectory = path.join(this.root, 'stats');
    this.cleanupLock = path.join(this.root, 'cleanup.lock');
    this.lastCleanup = path.join(this.root, 'last-cleanup.json');
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

  instanceStats(instanceId: string): string {
    return path.join(this.statsDirectory, `stats-${process.pid}.${instanceId}.json`);
  }
}
