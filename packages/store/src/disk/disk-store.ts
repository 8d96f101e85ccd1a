import path from 'node:path';
import type { CacheConfig } from '@cache/config';
import { CODEC_NONE, CODEC_ZSTD, type Codec } from '../compression/codec.js';
import { loadZstd } from '../compression/zstd.js';
import { validateKey } from '../contract/keys.js';
import { validatePeekLength, validateValue } from '../contract/values.js';
import type { PutResult, Store, StoreCapabilities, StoreStats } from '../contract/store.js';
import { publish, type MissMessage } from '../diagnostics/channels.js';
import { StoreClosedError, StoreError } from '../errors/store-error.js';
import { describeFault, FaultReporter, toFault, type FaultRecord } from '../faults/fault-reporter.js';
import { snapshot, zeroCounters, type StatsCounters } from '../stats/stats-counter.js';
import { InlineRunner, LazyRunner, WorkerRunner, workerScript, type BackgroundRunner } from './background.js';
import { assertSafeDirectory } from './directory-safety.js';
import { flushOnExit, onceBeforeExit, recordUsesSync, writeJsonSync } from './exit-flush.js';
import { decodeEntry, encodeEntry, HEADER_LENGTH, headerCodec, keyFromPrefix, parseHeader } from './entry-format.js';
import { isMissing, readExactly, removeIfExists, writeAtomically } from './fs-helpers.js';
import { makeDirectory } from './make-directory.js';
import { nodeFs, READ_FLAGS, type FsFileHandle, type FsLayer } from './fs-layer.js';
import { ENTRY_PATTERN, hashKey, Layout, SHARD_PATTERN } from './layout.js';
import type { CleanupReport, MaintenanceSettings, UsesReport } from './maintenance.js';
import { appendToTally, readCleanupRecord, readTally, tallyBytes, tallyUnits, type CleanupRecord, type Usage } from './write-tally.js';
import { clockMs } from '../stats/clock.js';

/** Options of {@link DiskStore.open}; limits and levels come from the CacheConfig. */
export interface DiskStoreOptions {
  /**
   * The engine fingerprint: one directory per namespace under the cache
   * directory. 1 to 128 characters from `A-Z a-z 0-9 . _ -`, starting with a
   * letter or digit. The capacity and file-count limits apply to all
   * namespaces of the directory together (cleanup evicts from any of them).
   * @default 'default'
   */
  namespace?: string;
  /**
   * Compress entries with zstd (baseline level on write, optimized level for
   * entries used often). When no zstd implementation loads, entries are
   * stored uncompressed and a warning says so once.
   *
   * This is the write setting only: a store with compression off still reads
   * the compressed entries other stores wrote to the directory, loading zstd
   * when a read first meets one (reading uncompressed entries never loads
   * it). Only when zstd cannot be loaded at all are such entries misses
   * (said once; the entry is kept for the processes that can read it).
   * @default true
   */
  compression?: boolean;
  /** The file system used by `get`, `put`, `delete`, `has`, `keys` and `open` (fault injection). @default `nodeFs` (Node's callback `node:fs` functions) */
  fs?: FsLayer;
  /** Milliseconds since the epoch; stamps entries and drives cleanup decisions. @default Date.now */
  clock?: () => number;
  /**
   * Where eviction, recompression and statistics flushing run: a worker
   * thread, or the calling thread (uses `fs` too; for tests and for
   * environments without workers).
   * @default 'worker'
   */
  background?: 'worker' | 'inline';
  /**
   * The uid that must own the cache directory; `null` skips the check.
   * @default process.getuid() where it exists
   */
  expectedUid?: number | null;
  /** How long usage counts and counters may wait before being flushed to the background, ms. @default 1000 */
  flushInterval?: number;
  /** Age after which a temp file of a live process counts as abandoned, ms. @default 3_600_000 */
  staleTempAge?: number;
  /** Age after which a cleanup lock of a live process counts as abandoned, ms. @default 600_000 */
  lockStaleAge?: number;
}

/** The shortest period of the timer that runs cleanups in a long-lived process, whatever `cleanupInterval` is. */
const CLEANUP_TIMER_MIN_MS = 1000;

/**
 * How long a cleanup a put asked for waits before it is asked again, when
 * the directory is still past a limit after it (by the last record and the
 * write tally): it found the lock taken (another process was cleaning, and
 * may have scanned before this process's writes), or it ran while other
 * processes wrote (whose own cleanups found the lock taken). One wait per
 * try, ms; after the last, the next put past a limit, of any process, asks
 * again. The longest a process can be held at its exit by this is their sum.
 */
const CLEANUP_RETRY_DELAYS = [0, 25, 50, 100, 200, 400];

/** How an entry file is judged before it is read (see `DiskStore.#readability`). */
type Readability = 'read' | 'not-a-file' | 'too-large';

interface PendingUse {
  uses: number;
  lastUsed: number;
}

let instancesOpened = 0;

/**
 * A name for one store's statistics file, unique beside the pid: the stores
 * this process opened so far, the time and a random part (a later process
 * with the same pid gets another). Not a secret, so `node:crypto` is not
 * loaded for it: loading it takes 3-6 ms, and this is made as a process exits.
 */
function nextInstanceId(): string {
  instancesOpened += 1;
  return `${instancesOpened.toString(36)}-${Date.now().toString(36)}-${Math.floor(Math.random() * 2 ** 32).toString(36)}`;
}

/** What became of an entry file {@link DiskStore.removeUnreadableEntries} removed, or tried to. */
export interface UnreadableEntryRemoval {
  /** The entry file's path. */
  readonly file: string;
  /** `removed`; `gone`: removed or replaced meanwhile (by another process); `failed`: still there (see `code`). */
  readonly outcome: 'removed' | 'gone' | 'failed';
  /** With `failed`, the system's code (`EACCES`, `EPERM`, ...). */
  readonly code?: string;
}

/**
 * The default store: entries as files under
 * `<directory>/<namespace>/v1/entries/<hh>/<sha256(key)>.entry`, each with a
 * header carrying the key, lengths and a checksum of its content (CRC-32, or
 * SHA-256 on Node before 20.15), verified on
 * every read; written to an exclusive temp file and renamed into place;
 * zstd-compressed (unless `compression` is off; entries written compressed
 * are read whatever this store's setting, zstd being loaded when a read
 * first meets one); evicted least recently used first by the configured soft
 * limits, which bound the whole directory (every namespace together); safe
 * for many processes sharing one directory.
 *
 * Background work (eviction, recompression, statistics) runs in a worker
 * thread and never blocks `get` or `put`. Faults degrade to misses and soft
 * put failures, reported once per code.
 */
export class DiskStore implements Store {
  /** Always `'disk'`. */
  readonly kind = 'disk';
  /** Persistent and shared across processes. */
  readonly capabilities: StoreCapabilities = Object.freeze({ persistent: true, sharedAcrossProcesses: true, verifiesContent: true });
  /** Every path this store uses. */
  readonly layout: Layout;
  readonly #fs: FsLayer;
  readonly #clock: () => number;
  /** True with an injected clock: file dates then come from it, not from the file system. */
  readonly #stampDates: boolean;
  /** The codec entries are written with: zstd, when compression is on and it loaded. */
  readonly #codec: Codec | undefined;
  /**
   * Without `#codec`: zstd as loaded for reading, the first time a read met a
   * compressed entry (with the reason when it could not be); undefined until then.
   */
  #zstdForRead: { readonly codec: Codec | undefined; readonly error: string | undefined } | undefined;
  readonly #baselineLevel: number;
  readonly #settings: MaintenanceSettings;
  readonly #runner: BackgroundRunner;
  readonly #counters: StatsCounters = zeroCounters();
  readonly #faults: FaultReporter;
  /** Names this store's statistics file, beside the pid; made when first needed. */
  #instanceIdValue: string | undefined;
  /** Unregisters the exit-time statistics write (done by `close()`). */
  #cancelExitFlush: () => void = () => undefined;
  readonly #pendingUses = new Map<string, PendingUse>();
  readonly #queueSize: number;
  readonly #flushInterval: number;
  readonly #inflight = new Set<Promise<unknown>>();
  /** The CRC-32 each value `get` or `inspect` returned was verified with (entries checksummed with CRC-32). */
  readonly #verifiedCrc32s = new WeakMap<Uint8Array, number>();
  /** Entries and bytes found by the last scan (undefined until one is known). */
  #base: { entries: number; bytes: number } | undefined;
  /** This process's changes since the scan behind `#base` was requested. */
  readonly #delta = { entries: 0, bytes: 0 };
  /**
   * The last cleanup's record (`.store/last-cleanup.json`: the directory's
   * usage then, and the write tally every process adds to since), read by
   * the first put (a process that only reads never reads it) and again once
   * the tally it names is replaced; undefined until then.
   */
  #record: Promise<CleanupRecord> | undefined;
  /** What this store added to the write tally `token`: entries, units and rest (see `tallyUnits`), and the exact bytes they stand for. */
  #tallied: { token: string; entries: number; units: number; rest: number; bytes: number } | undefined;
  /** Unregisters the cleanup asked for as the process ends, when a put found no record of any (done by `close()`). */
  #cancelFirstCleanup: (() => void) | undefined;
  /** Cleanups asked again in a row because the directory was still over a limit after one (see {@link CLEANUP_RETRY_DELAYS}). */
  #cleanupRetries = 0;
  #flushTimer: NodeJS.Timeout | undefined;
  readonly #intervalTimer: NodeJS.Timeout;
  #lastCleanupCheck = Number.NEGATIVE_INFINITY;
  /** A periodic cleanup check is due and waits for the next flush. */
  #cleanupDue = false;
  #cleanupRunning: Promise<void> | undefined;
  /** A cleanup to run once the running one ends; `repeat`: the directory was still over a limit after it (run even while closing). */
  #cleanupAgain: { force: boolean; repeat?: boolean } | undefined;
  #statsVersion = 0;
  #statsWritten = 0;
  #closed = false;
  #closing: Promise<void> | undefined;

  private constructor(config: CacheConfig, layout: Layout, options: DiskStoreOptions) {
    this.layout = layout;
    this.#fs = options.fs ?? nodeFs;
    this.#clock = options.clock ?? Date.now;
    this.#stampDates = options.clock !== undefined;
    this.#faults = new FaultReporter(this.kind, layout.root, this.#counters);
    const compression = options.compression ?? true;
    if (compression) {
      const zstd = loadZstd();
      this.#codec = zstd.codec;
      if (!zstd.codec) this.#faults.warnOnce('ZSTD_UNAVAILABLE', `zstd could not be loaded (${zstd.error}); entries are stored uncompressed`);
    }
    this.#baselineLevel = config.baselineCompressionLevel;
    this.#queueSize = Math.max(1, config.workerEventQueueSize);
    this.#flushInterval = options.flushInterval ?? 1000;
    this.#settings = {
      directory: layout.directory,
      namespace: layout.namespaceDirectory.slice(layout.directory.length + 1),
      maxBytes: config.capacity,
      maxEntries: config.fileCountSoftLimit,
      bytesPercent: config.filesTotalSizeLimitPercentIfDeleting,
      entriesPercent: config.fileCountLimitPercentIfDeleting,
      cleanupInterval: config.cleanupInterval,
      allowedDrift: config.allowedClockDriftForFilesFromFuture,
      compression: this.#codec !== undefined,
      optimizedLevel: config.optimizedCompressionLevel,
      usageThreshold: config.optimizedCompressionUsageCounterThreshold,
      recompressTimeout: config.optimizingCompressionTaskTimeout,
      staleTempAge: options.staleTempAge ?? 3_600_000,
      lockStaleAge: options.lockStaleAge ?? 600_000,
    };
    this.#runner = this.#startRunner(options);
    // A process that exits without closing (a tool's child stopped by its parent, any process under the engine's
    // `--import` hook) still leaves the uses it made (the recency and counts cleanup and recompression go by) and its counters.
    this.#cancelExitFlush = flushOnExit(() => {
      this.#recordPendingUsesSync();
      if (this.#statsWritten === this.#statsVersion || this.#statsVersion === 0) return;
      const target = this.layout.instanceStats(this.#instanceId);
      writeJsonSync(target, this.layout.temp(path.basename(target)), { ...this.#counters, at: this.#clock(), pid: process.pid });
    });
    // At least a second apart: an interval of 0 ("clean whenever it is due") made this a timer firing every
    // millisecond, scanning the directory without a pause, and a flush() waiting for a quiet moment never returned.
    this.#intervalTimer = setInterval(() => void this.#requestCleanup(false), Math.min(Math.max(config.cleanupInterval, CLEANUP_TIMER_MIN_MS), 2 ** 31 - 1));
    this.#intervalTimer.unref();
  }

  /**
   * Opens (creating if needed) the store of `options.namespace` under the
   * configuration's directory. File-system faults here do not throw: the
   * store opens degraded and recovers when the fault clears.
   *
   * @throws CacheConfigError when the configuration is invalid.
   * @throws InvalidNamespaceError for a namespace that is not one safe directory name.
   * @throws UnsafeDirectoryError when the directory is world-writable (no sticky bit) or owned by another user.
   */
  static async open(config: CacheConfig, options: DiskStoreOptions = {}): Promise<DiskStore> {
    config.validate();
    const layout = new Layout(config.directory, options.namespace ?? 'default');
    const fs = options.fs ?? nodeFs;
    const expectedUid = options.expectedUid === null ? undefined : (options.expectedUid ?? process.getuid?.());
    const faults: FaultRecord[] = [];
    // Usually both folders exist: look at them together first (one round trip to the thread pool,
    // not four), and create only what is missing.
    const directories = [layout.directory, layout.namespaceDirectory];
    const existing = await Promise.all(directories.map((directory) => fs.stat(directory).catch(() => undefined)));
    for (const [index, directory] of directories.entries()) {
      try {
        let stat = existing[index];
        if (stat === undefined) {
          await makeDirectory(fs, directory);
          stat = await fs.stat(directory);
        }
        if (!stat.isDirectory()) {
          faults.push({ operation: 'open', code: 'ENOTDIR', message: `${directory} is not a directory`, path: directory });
          break;
        }
        assertSafeDirectory(directory, stat, expectedUid);
      } catch (error) {
        if (error instanceof StoreError) throw error;
        faults.push(toFault('open', error));
        break;
      }
    }
    const store = new DiskStore(config, layout, options);
    for (const fault of faults) store.#faults.report(fault);
    return store;
  }

  /** `'worker'` or `'inline'`: where background work runs. */
  get backgroundMode(): 'worker' | 'inline' {
    return this.#runner.mode;
  }

  /**
   * Whether entries are written compressed (zstd loaded and compression on).
   * Compressed entries are read either way (see `compression`).
   */
  get compressed(): boolean {
    return this.#codec !== undefined;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    return this.#read(key, true);
  }

  /**
   * Reads and checks an entry as `get` does (a damaged one is removed and
   * counted in `corruptEntries`), as a check rather than a use: no hit, miss
   * or bytes read are counted, and the entry's recency is not renewed, so
   * what a cleanup evicts first stays the same. For maintenance such as
   * `cache verify`.
   */
  async inspect(key: string): Promise<Uint8Array | undefined> {
    return this.#read(key, false);
  }

  /**
   * The CRC-32 (zlib's) of exactly these bytes, computed by this store while
   * its `get` or `inspect` that returned them checked them against the
   * checksum stored with them; undefined for any other value (another
   * store's, a copy) and for an entry checksummed with SHA-256 (written where
   * the runtime had no CRC-32). A caller holding a CRC-32 of part of the
   * value, such as an artifact's checksum of its payload, can check it
   * against this one by CRC-32's combination rule (zlib's `crc32_combine`)
   * instead of reading the bytes again. It describes the bytes as they were
   * read: ask before any code that could change them has run.
   */
  verifiedContentCrc32(value: Uint8Array): number | undefined {
    return this.#verifiedCrc32s.get(value);
  }

  /** `get` (`use`), or `inspect`. */
  async #read(key: string, use: boolean): Promise<Uint8Array | undefined> {
    this.#check(key);
    const started = clockMs();
    try {
      const hash = hashKey(key);
      const file = this.layout.entry(hash);
      let handle: FsFileHandle;
      try {
        handle = await this.#fs.open(file, READ_FLAGS);
      } catch (error) {
        if (isMissing(error)) return this.#miss(use, key, 'absent');
        this.#faults.report(toFault('get', error));
        return this.#miss(use, key, 'fault');
      }
      let data: Buffer | undefined;
      let ino: number;
      let readability: Readability;
      let closing: Promise<void>;
      try {
        const stat = await handle.stat();
        ino = stat.ino;
        // Checked before a byte is read.
        readability = this.#readability(stat);
        if (readability === 'read') data = await readExactly(handle, stat.size);
      } finally {
        // The file closes on the thread pool while the entry is checked here.
        closing = handle.close().catch(() => undefined);
      }
      if (readability === 'too-large') {
        // Not damage: a store of a larger capacity sharing the directory wrote it, and reads it. A cleanup evicts it
        // if the directory really is past its limit.
        await closing;
        return this.#miss(use, key, 'too-large');
      }
      const decoded: Awaited<ReturnType<typeof decodeEntry>> = data
        ? await decodeEntry(data, key, this.#codecToRead(headerCodec(data)), { maxContentLength: this.#settings.maxBytes })
        : { ok: false, corrupt: true, reason: 'not a regular file' };
      await closing;
      if (!decoded.ok && 'tooLarge' in decoded) {
        // Compressed, and holding more than this store's capacity: not decompressed, and no damage (as for a file
        // too large to read, a store of a larger capacity sharing the directory wrote it).
        return this.#miss(use, key, 'too-large');
      }
      if (decoded.ok && decoded.contentCrc32 !== undefined) this.#verifiedCrc32s.set(decoded.value, decoded.contentCrc32);
      if (decoded.ok && !use) return decoded.value;
      if (decoded.ok) {
        this.#counters.hits++;
        this.#counters.bytesRead += decoded.value.byteLength;
        publish.hit(() => ({ store: this.kind, location: this.layout.root, key, bytes: decoded.value.byteLength }));
        this.#recordUse(hash);
        return decoded.value;
      }
      if (!decoded.ok && 'unbounded' in decoded) {
        this.#faults.warnOnce('ZSTD_UNBOUNDED_READ', `${decoded.reason}; ${this.#zstdForRead?.codec?.implementation ?? 'this zstd'} cannot stop at a length, so such entries are not decompressed: misses in this process, kept`);
        return this.#miss(use, key, 'codec');
      }
      if (!decoded.corrupt) {
        const why = this.#zstdForRead?.error === undefined ? '' : ` (zstd could not be loaded: ${this.#zstdForRead.error})`;
        this.#faults.warnOnce('ZSTD_MISSING_FOR_READ', `${decoded.reason}${why}; such entries are misses in this process`);
        return this.#miss(use, key, 'codec');
      }
      this.#counters.corruptEntries++;
      publish.corrupt(() => ({ store: this.kind, location: this.layout.root, key, reason: decoded.reason }));
      await this.#removeIfSame(file, ino);
      return this.#miss(use, key, 'corrupt');
    } catch (error) {
      if (error instanceof StoreError) throw error;
      this.#faults.report(toFault('get', error));
      return this.#miss(use, key, 'fault');
    } finally {
      this.#finishOperation(started);
    }
  }

  async put(key: string, value: Uint8Array): Promise<PutResult> {
    this.#check(key);
    validateValue(value);
    const started = clockMs();
    try {
      if (value.byteLength > this.#settings.maxBytes) {
        // However well it compresses: no store of this capacity reads a content larger than it (see `#read`).
        return { stored: false, reason: `value of ${value.byteLength} bytes exceeds the ${this.#settings.maxBytes}-byte capacity` };
      }
      const hash = hashKey(key);
      // Read while the entry is written: the limit check after the write needs the directory's last record.
      const record = this.#learnRecord();
      const encoded = await encodeEntry(key, value, this.#codec, this.#baselineLevel);
      if (encoded.totalLength > this.#settings.maxBytes) {
        return { stored: false, reason: `entry of ${encoded.totalLength} bytes exceeds the ${this.#settings.maxBytes}-byte capacity` };
      }
      const file = this.layout.entry(hash);
      // The size estimate counts a replaced entry once: what it held goes, the new value comes.
      const replaced = await this.#sizeOf(file);
      await writeAtomically(this.#fs, this.layout.temp(`${hash}.entry`), file, encoded.parts, this.#stampDates ? this.#clock() : undefined, {
        temp: this.layout.tmp,
        destination: this.layout.shard(hash),
      });
      this.#counters.writes++;
      this.#counters.bytesWritten += value.byteLength;
      publish.write(() => ({ store: this.kind, location: this.layout.root, key, bytes: value.byteLength, storedBytes: encoded.totalLength }));
      const added = { entries: replaced === undefined ? 1 : 0, bytes: encoded.totalLength - (replaced ?? 0) };
      this.#delta.entries += added.entries;
      this.#delta.bytes += added.bytes;
      // Not awaited: the cleanup runs in the background (a process exiting waits for it: the worker is held while it works).
      if (this.#overLimit(await this.#usageAfterPut(await record, added))) void this.#requestCleanup(true);
      return { stored: true };
    } catch (error) {
      if (error instanceof StoreError) throw error;
      const fault = toFault('put', error);
      this.#faults.report(fault);
      return { stored: false, reason: describeFault(fault), faultCode: fault.code };
    } finally {
      this.#finishOperation(started);
    }
  }

  async delete(key: string): Promise<boolean> {
    this.#check(key);
    const started = clockMs();
    const hash = hashKey(key);
    try {
      return await this.#removeEntry(this.layout.entry(hash), this.layout.sidecar(hash));
    } catch (error) {
      this.#faults.report(toFault('delete', error));
      return false;
    } finally {
      this.#finishOperation(started);
    }
  }

  async has(key: string): Promise<boolean> {
    this.#check(key);
    const started = clockMs();
    try {
      const stat = await this.#fs.lstat(this.layout.entry(hashKey(key)));
      return stat.isFile() && stat.size >= HEADER_LENGTH;
    } catch (error) {
      if (!isMissing(error)) this.#faults.report(toFault('has', error));
      return false;
    } finally {
      this.#finishOperation(started);
    }
  }

  /**
   * The first `length` bytes of the value under `key`, from the start of its
   * file, without checking its checksum (see `Store.peek`): a compressed entry
   * is read and decompressed whole. Counted as neither a hit nor a miss, and
   * not a use of the entry.
   */
  async peek(key: string, length: number): Promise<Uint8Array | undefined> {
    this.#check(key);
    validatePeekLength(length);
    const started = clockMs();
    const keyBytes = Buffer.from(key, 'utf8');
    let handle: FsFileHandle | undefined;
    try {
      handle = await this.#fs.open(this.layout.entry(hashKey(key)), READ_FLAGS);
      // The header, the key and the bytes asked for (no more than the file holds).
      const stat = await handle.stat();
      if (this.#readability(stat) !== 'read') return undefined;
      const size = stat.size;
      const wanted = Math.min(size, HEADER_LENGTH + keyBytes.byteLength + length);
      const head = await readExactly(handle, wanted);
      const header = parseHeader(head);
      // Another key's file, or one whose length is not what its header says (cut short, grown): nothing.
      if (typeof header === 'string' || header.keyLength !== keyBytes.byteLength || size !== HEADER_LENGTH + header.keyLength + header.payloadLength) return undefined;
      if (head.byteLength < wanted || !keyBytes.equals(head.subarray(HEADER_LENGTH, HEADER_LENGTH + header.keyLength))) return undefined;
      if (header.codec !== CODEC_NONE) {
        // Compressed: its first bytes are only known by decompressing it, checked as a read checks it.
        // Not one holding more than this store's capacity (a `too-large` miss for `get`), nor more than its header says.
        const decoded = await decodeEntry(await readExactly(handle, size), key, this.#codecToRead(header.codec), { maxContentLength: this.#settings.maxBytes });
        // A copy: a view would keep the whole decompressed value alive for a few bytes.
        return decoded.ok ? new Uint8Array(decoded.value.subarray(0, length)) : undefined;
      }
      if (header.payloadLength !== header.contentLength) return undefined;
      return head.subarray(HEADER_LENGTH + header.keyLength, HEADER_LENGTH + header.keyLength + Math.min(length, header.payloadLength));
    } catch (error) {
      if (!isMissing(error)) this.#faults.report(toFault('peek', error));
      return undefined;
    } finally {
      await handle?.close().catch(() => undefined);
      this.#finishOperation(started);
    }
  }

  async *keys(): AsyncIterable<string> {
    if (this.#closed) throw new StoreClosedError(this.kind);
    for await (const { file, hash } of this.#entryFiles()) {
      const key = await this.#readKey(file);
      if (typeof key === 'string' && hashKey(key) === hash) yield key;
    }
  }

  /**
   * The entry files of this namespace that no key reaches: a header damaged
   * or cut short, or one naming another key than the file's name (its key's
   * hash) says. `keys()` skips them, and no `get` or `delete` can reach them,
   * yet they count against the limits until a cleanup evicts them (see
   * {@link removeUnreadableEntries}). A file that cannot be read (a fault,
   * reported as for `keys()`) is not one of them.
   *
   * @returns the files' paths.
   */
  async unreadableEntries(): Promise<string[]> {
    if (this.#closed) throw new StoreClosedError(this.kind);
    const found: string[] = [];
    for await (const { file } of this.#unkeyedFiles()) found.push(file);
    return found;
  }

  /**
   * Removes the entry files {@link unreadableEntries} lists, each with its
   * usage sidecar (the counters follow, as for `delete`), in one scan, and
   * says what became of each: removed, already gone (removed meanwhile by
   * another process, or replaced by a new entry, which is kept), or not
   * removed, with the system's code. A removal that
   * fails is also a fault, reported as `delete`'s are.
   */
  async removeUnreadableEntries(): Promise<UnreadableEntryRemoval[]> {
    if (this.#closed) throw new StoreClosedError(this.kind);
    const outcomes: UnreadableEntryRemoval[] = [];
    for await (const { file, hash, ino } of this.#unkeyedFiles()) {
      try {
        // Only the file found unreadable: a writer may have renamed a good entry (and its sidecar) into place since.
        const removed = (await this.#stillSame(file, ino)) && (await this.#removeEntry(file, this.layout.sidecar(hash)));
        outcomes.push({ file, outcome: removed ? 'removed' : 'gone' });
      } catch (error) {
        const fault = toFault('delete', error);
        this.#faults.report(fault);
        outcomes.push({ file, outcome: 'failed', code: fault.code });
      }
    }
    return outcomes;
  }

  /** The entry files no key reaches (see {@link unreadableEntries}), as the scan finds them. */
  async *#unkeyedFiles(): AsyncIterable<{ file: string; hash: string; ino: number }> {
    for await (const found of this.#entryFiles()) {
      const head = await this.#readHead(found.file);
      if (head === undefined || (head.key !== null && hashKey(head.key) === found.hash)) continue;
      yield { ...found, ino: head.ino };
    }
  }

  /** Every file named as an entry in this namespace's shards, with the hash its name gives. */
  async *#entryFiles(): AsyncIterable<{ file: string; hash: string }> {
    let shards: string[];
    try {
      shards = await this.#fs.readdir(this.layout.entries);
    } catch (error) {
      if (!isMissing(error)) this.#faults.report(toFault('keys', error));
      return;
    }
    for (const shard of shards.sort()) {
      if (!SHARD_PATTERN.test(shard)) continue;
      let names: string[];
      try {
        names = await this.#fs.readdir(path.join(this.layout.entries, shard));
      } catch (error) {
        if (!isMissing(error)) this.#faults.report(toFault('keys', error));
        continue;
      }
      for (const name of names.sort()) {
        const hash = ENTRY_PATTERN.exec(name)?.[1];
        if (hash) yield { file: path.join(this.layout.entries, shard, name), hash };
      }
    }
  }

  stats(): StoreStats {
    return snapshot(this.#counters, this.#base ? this.#approximateUsage() : {});
  }

  /**
   * Runs a cleanup now in the background worker and reports what it did.
   * Unless `force`, it is skipped when any process sharing the directory
   * cleaned within `cleanupInterval`; it is always skipped while another
   * process holds the cleanup lock.
   */
  async runCleanup(options: { force?: boolean } = {}): Promise<CleanupReport> {
    if (this.#closed) throw new StoreClosedError(this.kind);
    const marker = { ...this.#delta };
    const report = await this.#runner.cleanup({ now: this.#clock(), force: options.force ?? false });
    this.#applyCleanup(report, marker);
    return report;
  }

  /** Sends pending usage counts and counters to the background and waits for every queued background task. */
  async flush(): Promise<void> {
    this.#flushNow();
    while (this.#inflight.size > 0 || this.#cleanupRunning) {
      await Promise.allSettled([...this.#inflight, this.#cleanupRunning]);
    }
  }

  async close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#cancelExitFlush();
      this.#cancelFirstCleanup?.(); // close() runs the due cleanup itself
      clearInterval(this.#intervalTimer);
      if (this.#flushTimer) clearTimeout(this.#flushTimer);
      this.#flushTimer = undefined;
      this.#flushUses();
      this.#flushStats(true, true); // the last write, marked closed: a cleanup may fold it while this process runs
      this.#runDueCleanup();
      this.#closed = true; // after the due cleanup is requested (a closed store requests none); nothing above awaits
      while (this.#inflight.size > 0 || this.#cleanupRunning) {
        await Promise.allSettled([...this.#inflight, this.#cleanupRunning]);
      }
      await this.#runner.close();
    })();
    return this.#closing;
  }

  #startRunner(options: DiskStoreOptions): BackgroundRunner {
    if (options.background === 'inline') return new InlineRunner(this.#settings, this.#fs);
    return new LazyRunner(() => this.#startWorker(), 'worker');
  }

  #startWorker(): BackgroundRunner {
    const script = workerScript();
    if (script) {
      try {
        return new WorkerRunner(script, this.#settings, nodeFs);
      } catch (error) {
        this.#faults.warnOnce('WORKER_UNAVAILABLE', `the background worker could not start (${error instanceof Error ? error.message : String(error)}); background work runs inline`);
      }
    } else {
      this.#faults.warnOnce('WORKER_UNAVAILABLE', 'the background worker script (dist/worker.js) was not found; background work runs inline');
    }
    return new InlineRunner(this.#settings, this.#fs);
  }

  get #instanceId(): string {
    this.#instanceIdValue ??= nextInstanceId();
    return this.#instanceIdValue;
  }

  /**
   * The codec to decode an entry whose header names codec `id` with: this
   * store's own when it writes compressed; else, for a zstd entry (written
   * by a store with compression on), zstd loaded the first time a read meets
   * one and kept; undefined when zstd cannot be loaded (a miss). Entries
   * stored uncompressed never load it.
   */
  #codecToRead(id: number | undefined): Codec | undefined {
    if (this.#codec !== undefined || id !== CODEC_ZSTD) return this.#codec;
    this.#zstdForRead ??= loadZstd();
    return this.#zstdForRead.codec;
  }

  #check(key: string): void {
    if (this.#closed) throw new StoreClosedError(this.kind);
    validateKey(key);
  }

  /** A miss; counted and published only for a `get` (a use). */
  #miss(use: boolean, key: string, reason: MissMessage['reason']): undefined {
    if (!use) return undefined;
    this.#counters.misses++;
    publish.miss(() => ({ store: this.kind, location: this.layout.root, key, reason }));
    return undefined;
  }

  #finishOperation(started: number): void {
    this.#counters.timeSpentMs += clockMs() - started;
    this.#statsVersion++;
    if (this.#closed) return;
    const now = this.#clock();
    if (now - this.#lastCleanupCheck >= this.#settings.cleanupInterval) {
      // Reads trigger cleanup too: a read-only workload still shrinks an over-full cache. The check
      // runs with the next flush (at most `flushInterval` later, or at flush()/close()), not now:
      // starting the background worker costs the caller's first operation several milliseconds.
      this.#lastCleanupCheck = now;
      this.#cleanupDue = true;
    }
    this.#scheduleFlush();
  }

  #recordUse(hash: string): void {
    const now = this.#clock();
    const pending = this.#pendingUses.get(hash);
    if (pending) {
      pending.uses++;
      pending.lastUsed = Math.max(pending.lastUsed, now);
    } else {
      this.#pendingUses.set(hash, { uses: 1, lastUsed: now });
    }
    // Coalesced per entry; a full batch is sent at once rather than dropped.
    if (this.#pendingUses.size >= this.#queueSize) this.#flushUses();
  }

  #scheduleFlush(): void {
    if (this.#flushTimer || this.#closed) return;
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = undefined;
      this.#flushNow();
    }, this.#flushInterval);
    this.#flushTimer.unref();
  }

  #flushNow(): void {
    this.#flushUses();
    this.#flushStats(false);
    this.#runDueCleanup();
  }

  #runDueCleanup(): void {
    if (!this.#cleanupDue) return;
    this.#cleanupDue = false;
    void this.#requestCleanup(false);
  }

  /**
   * At exit: the uses not yet sent to the background, written to their
   * sidecars synchronously (bounded: see `recordUsesSync`), since the timer
   * that would have sent them never fires in a process that ends first.
   */
  #recordPendingUsesSync(): void {
    if (this.#pendingUses.size === 0) return;
    const uses = [...this.#pendingUses].map(([hash, use]) => ({ hash, uses: use.uses, lastUsed: use.lastUsed }));
    this.#pendingUses.clear();
    recordUsesSync(this.layout, uses);
  }

  #flushUses(): void {
    if (this.#pendingUses.size === 0) return;
    const uses = [...this.#pendingUses].map(([hash, use]) => ({ hash, uses: use.uses, lastUsed: use.lastUsed }));
    this.#pendingUses.clear();
    this.#track(this.#runner.recordUses({ now: this.#clock(), uses }).then((report: UsesReport) => {
      this.#counters.corruptEntries += report.corrupt;
      for (const fault of report.faults) this.#faults.report(fault);
    }));
  }

  #flushStats(always: boolean, closing = false): void {
    if (this.#closed) return; // close() wrote the last: once folded into total.json, another would count it twice
    if (!always && this.#statsWritten === this.#statsVersion) return;
    if (this.#statsVersion === 0 && this.#counters.evictions === 0) return; // never used: leave no file behind
    this.#statsWritten = this.#statsVersion;
    this.#track(
      this.#runner.writeStats({ instanceId: this.#instanceId, counters: { ...this.#counters }, now: this.#clock(), closed: closing }).then((report) => {
        for (const fault of report.faults) this.#faults.report(fault);
      }),
    );
  }

  #track(work: Promise<unknown>): void {
    const tracked = work.catch((error: unknown) => this.#faults.report(toFault('background', error)));
    this.#inflight.add(tracked);
    void tracked.finally(() => this.#inflight.delete(tracked));
  }

  #requestCleanup(force: boolean, repeat = false): Promise<void> {
    if (this.#closed && !repeat) return Promise.resolve();
    if (this.#cleanupRunning) {
      this.#cleanupAgain = { ...this.#cleanupAgain, force: force || (this.#cleanupAgain?.force ?? false) };
      return this.#cleanupRunning;
    }
    const running = (async () => {
      try {
        const marker = { ...this.#delta };
        const report = await this.#runner.cleanup({ now: this.#clock(), force });
        this.#applyCleanup(report, marker);
        // A cleanup a put asked for that found the lock taken (the other cleaner may have scanned before this
        // process's writes), or that ran while others wrote (their cleanups found the lock taken): if the writes
        // tallied since still take the directory past a limit, ask again, a few times, after a short wait, even while
        // this store closes (close() waits for it; a process that ends without closing waits too): no other process
        // may be left to.
        const retry = force && (report.ran || report.reason === 'locked') ? CLEANUP_RETRY_DELAYS[this.#cleanupRetries] : undefined;
        if (retry !== undefined && (await this.#stillOverLimit(report.ran))) {
          this.#cleanupRetries++;
          if (retry > 0) await new Promise((resolve) => setTimeout(resolve, retry));
          this.#cleanupAgain = { force: true, repeat: true };
        } else {
          this.#cleanupRetries = 0;
        }
      } catch (error) {
        this.#faults.report(toFault('cleanup', error));
      } finally {
        this.#cleanupRunning = undefined;
        const again = this.#cleanupAgain;
        this.#cleanupAgain = undefined;
        if (again && (!this.#closed || again.repeat === true)) void this.#requestCleanup(again.force, again.repeat === true);
      }
    })();
    this.#cleanupRunning = running;
    return running;
  }

  /**
   * The cache directory's size (every namespace: the limits apply to them
   * together) as this process estimates it: the last scan plus its own
   * writes since that scan was requested. Writes made while a scan
   * runs may be counted twice, which errs towards cleaning early.
   */
  #approximateUsage(): { entries: number; bytes: number } {
    return {
      entries: Math.max(0, (this.#base?.entries ?? 0) + this.#delta.entries),
      bytes: Math.max(0, (this.#base?.bytes ?? 0) + this.#delta.bytes),
    };
  }

  #applyCleanup(report: CleanupReport, marker: { entries: number; bytes: number }): void {
    // The next put reads the record again: one that ran started a new write tally, and one that did not may have
    // found a record this store did not know (another process's cleanup).
    this.#record = undefined;
    this.#cancelFirstCleanup?.(); // one was asked for: none is needed as the process ends
    if (report.entries !== undefined && report.bytes !== undefined) {
      if (report.ran) {
        this.#base = { entries: report.entries, bytes: report.bytes };
        this.#delta.entries -= marker.entries;
        this.#delta.bytes -= marker.bytes;
      } else if (!this.#base) {
        this.#base = { entries: report.entries, bytes: report.bytes };
      }
    }
    if (report.evicted > 0) {
      this.#counters.evictions += report.evicted;
      this.#statsVersion++;
      publish.evict(() => ({ store: this.kind, location: this.layout.root, entries: report.evicted, bytes: report.evictedBytes, trigger: report.reason }));
    }
    for (const fault of report.faults) this.#faults.report(fault);
  }

  #overLimit(usage: Usage): boolean {
    return usage.bytes > this.#settings.maxBytes || usage.entries > this.#settings.maxEntries;
  }

  /**
   * The last cleanup's record, read once (by the first put, and again when
   * the tally it names was replaced); a directory that has none (no cleanup
   * ever ran: its usage is unknown, and no write tally counts) gets a
   * cleanup, due by the interval rule anyway, at the latest as the process
   * ends. Never rejects.
   */
  #learnRecord(): Promise<CleanupRecord> {
    this.#record ??= readCleanupRecord(this.#fs, this.layout).then(
      (record) => {
        if (record.usage && !this.#base) this.#base = { ...record.usage };
        // The periodic check that would clean it runs with a timer, or at close(), which a process writing once and
        // exiting may never reach: it then cleans as its event loop empties (waiting for that cleanup).
        if (record.at === undefined && this.#cancelFirstCleanup === undefined && !this.#closed) {
          this.#cancelFirstCleanup = onceBeforeExit(() => void this.#requestCleanup(false));
        }
        return record;
      },
      (): CleanupRecord => ({}),
    );
    return this.#record;
  }

  /**
   * The size of the whole directory just after a put added `added`, for the
   * write-time limit check: the last cleanup's record plus the write tally,
   * to which the put adds its own (so writes of every process since the last
   * scan count, even of processes that wrote once and exited; this store's
   * own count exactly, the others' as the tally counts them: never less than
   * they wrote, less than 64 bytes more a put); without a
   * tally (none made yet, or it cannot be written), the record plus this
   * process's own writes since.
   */
  async #usageAfterPut(record: CleanupRecord, added: Usage): Promise<Usage> {
    try {
      let current = record;
      for (let attempt = 0; attempt < 2 && current.tally !== undefined && current.usage; attempt++) {
        const token = current.tally;
        const adding = { entries: Math.max(0, added.entries), ...tallyUnits(added.bytes) };
        const tally = await appendToTally(this.#fs, this.layout, token, adding);
        if (tally) {
          if (this.#tallied?.token !== token) this.#tallied = { token, entries: 0, units: 0, rest: 0, bytes: 0 };
          const own = this.#tallied;
          own.entries += adding.entries;
          own.units += adding.units;
          own.rest += adding.rest;
          own.bytes += Math.max(0, added.bytes);
          // Never less than the others wrote (see `tallyUnits`): the put that takes the directory past a limit sees it.
          const others = tallyBytes({ units: Math.max(0, tally.units - own.units), rest: Math.max(0, tally.rest - own.rest) });
          return { entries: current.usage.entries + tally.entries, bytes: current.usage.bytes + others + own.bytes };
        }
        // Gone: a cleanup replaced it since, and the record now names its new one (unless another put read it already).
        const known = this.#record;
        if (known === undefined || (await known) === current) this.#record = undefined;
        const fresh = await this.#learnRecord();
        if (fresh.tally === token) {
          // Named but missing: go by this process's writes until a cleanup of its own makes a new one.
          this.#record = Promise.resolve({ ...(fresh.at === undefined ? {} : { at: fresh.at }), ...(fresh.usage ? { usage: fresh.usage } : {}) });
          break;
        }
        current = fresh;
      }
    } catch {
      // The tally cannot be written (a full file system, say): go by this process's own writes.
    }
    return this.#approximateUsage();
  }

  /**
   * Whether the last cleanup's record plus the writes tallied since take the
   * directory past a limit; false when unknown. After a cleanup this store
   * `ran`, only because of the writes made since it started: one that could
   * not get the directory itself within the limits (entries it could not
   * remove) would not do better at once.
   */
  async #stillOverLimit(ran: boolean): Promise<boolean> {
    const record = await readCleanupRecord(this.#fs, this.layout).catch((): CleanupRecord => ({}));
    if (record.tally === undefined || !record.usage || (ran && this.#overLimit(record.usage))) return false;
    const tally = await readTally(this.#fs, this.layout, record.tally);
    return tally !== undefined && this.#overLimit({ entries: record.usage.entries + tally.entries, bytes: record.usage.bytes + tally.bytes });
  }

  /** The size of a file, for the size estimate; undefined when it does not exist (or cannot be looked at). */
  async #sizeOf(file: string): Promise<number | undefined> {
    try {
      const stat = await this.#fs.lstat(file);
      return stat.isFile() ? stat.size : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Removes an entry file and its usage sidecar, the counters following:
   * whether the entry file was there to remove. @throws when it cannot be removed.
   */
  async #removeEntry(entry: string, sidecar: string): Promise<boolean> {
    const [entryBytes, sidecarBytes] = await Promise.all([this.#sizeOf(entry), this.#sizeOf(sidecar)]);
    const removed = await removeIfExists(this.#fs, entry);
    const sidecarRemoved = await removeIfExists(this.#fs, sidecar).catch(() => false);
    if (removed) {
      this.#delta.entries--;
      this.#delta.bytes -= entryBytes ?? 0;
    }
    if (sidecarRemoved) this.#delta.bytes -= sidecarBytes ?? 0;
    return removed;
  }

  /**
   * Whether an opened entry file is read: only a regular file no larger than
   * the store's capacity is. Something else (a FIFO, a device) could be read
   * for ever: `not-a-file`, damage. A larger regular file is not read into
   * memory (`put` refuses such an entry), yet is no damage: a store of a
   * larger capacity sharing the directory writes and reads such entries.
   */
  #readability(stat: { isFile(): boolean; size: number }): Readability {
    if (!stat.isFile()) return 'not-a-file';
    return stat.size > this.#settings.maxBytes ? 'too-large' : 'read';
  }

  /**
   * Whether `file` is still the file of inode `ino`, as a read opened it;
   * false when it is gone. stat, not lstat: `ino` is of what the read opened,
   * through a symbolic link if the entry is one (unlinking the path removes
   * the link, never what it points to). A new entry renamed in meanwhile is
   * another inode. @throws another fault than the file missing.
   */
  async #stillSame(file: string, ino: number): Promise<boolean> {
    try {
      return (await this.#fs.stat(file)).ino === ino;
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  async #removeIfSame(file: string, ino: number): Promise<void> {
    try {
      if (await this.#stillSame(file, ino)) await this.#fs.unlink(file);
    } catch (error) {
      if (!isMissing(error)) this.#faults.report(toFault('remove-corrupt', error));
    }
  }

  /** The key an entry file's header names; null when it names none (damaged, cut short); undefined when it cannot be read. */
  async #readKey(file: string): Promise<string | null | undefined> {
    return (await this.#readHead(file))?.key;
  }

  /**
   * The key an entry file's header names (null: none, damaged or not a
   * file), and the file's inode as read; undefined when it could not be read
   * (gone: nothing said; a fault: reported as `keys()`'s).
   */
  async #readHead(file: string): Promise<{ key: string | null; ino: number } | undefined> {
    let handle: FsFileHandle | undefined;
    try {
      handle = await this.#fs.open(file, READ_FLAGS);
      const stat = await handle.stat();
      // Not a file (a FIFO, a device): no entry, whatever reading it would give.
      if (!stat.isFile()) return { key: null, ino: stat.ino };
      const head = Buffer.alloc(HEADER_LENGTH);
      const { bytesRead } = await handle.read(head, 0, HEADER_LENGTH, 0);
      const parsed = keyFromPrefix(head.subarray(0, bytesRead));
      if (!parsed || parsed.keyLength > 4 * 1024 * 4) return { key: null, ino: stat.ino };
      const whole = Buffer.alloc(HEADER_LENGTH + parsed.keyLength);
      const read = await handle.read(whole, 0, whole.byteLength, 0);
      return { key: keyFromPrefix(whole.subarray(0, read.bytesRead))?.key ?? null, ino: stat.ino };
    } catch (error) {
      if (!isMissing(error)) this.#faults.report(toFault('keys', error));
      return undefined;
    } finally {
      await handle?.close().catch(() => undefined);
    }
  }
}
