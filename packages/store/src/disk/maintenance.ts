import path from 'node:path';
import type { Codec } from '../compression/codec.js';
import { CODEC_ZSTD } from '../compression/codec.js';
import { toFault, type FaultRecord } from '../faults/fault-reporter.js';
import { addCounters, zeroCounters, type StatsCounters } from '../stats/stats-counter.js';
import { decodeEntry, encodeEntry, keyFromPrefix, parseHeader } from './entry-format.js';
import { inChunks, namespaceLayouts, scanNamespace, type NamespaceScan, type ScannedEntry } from './directory-scan.js';
import { planEviction, type EvictionLimits } from './eviction.js';
import { isMissing, isProcessAlive, readExactly, readIfExists, removeIfExists, writeAll, writeAtomically } from './fs-helpers.js';
import { READ_FLAGS, type FsFileHandle, type FsLayer } from './fs-layer.js';
import { makeDirectory } from './make-directory.js';
import { INSTANCE_STATS_PATTERN, Layout, RECOMPRESS_PATTERN, TEMP_PATTERN } from './layout.js';
import { nodeCrypto } from '../node/node-builtin.js';

/** Everything background work needs; plain data, so it can be sent to a worker. */
export interface MaintenanceSettings extends EvictionLimits {
  readonly directory: string;
  readonly namespace: string;
  /** `cleanupInterval`, ms. */
  readonly cleanupInterval: number;
  /** `allowedClockDriftForFilesFromFuture`, ms. */
  readonly allowedDrift: number;
  /** Whether entries are compressed at all. */
  readonly compression: boolean;
  /** `optimizedCompressionLevel`. */
  readonly optimizedLevel: number;
  /** `optimizedCompressionUsageCounterThreshold`. */
  readonly usageThreshold: number;
  /** `optimizingCompressionTaskTimeout`, ms: a recompression older than this is abandoned and its file stale. */
  readonly recompressTimeout: number;
  /** Age after which a temp file of a live process counts as abandoned, ms. */
  readonly staleTempAge: number;
  /** Age after which a cleanup lock of a live process counts as abandoned, ms. */
  readonly lockStaleAge: number;
}

/** A cleanup request. `force` skips the interval check (write-time capacity enforcement). */
export interface CleanupRequest {
  readonly now: number;
  readonly force: boolean;
}

/** What a cleanup did. */
export interface CleanupReport {
  /** Whether this call scanned the directory (every namespace). */
  readonly ran: boolean;
  /** Why it did or did not run. */
  readonly reason: 'locked' | 'interval' | 'under-limits' | 'evicted' | 'fault';
  /** Entries of the whole directory, all namespaces, after cleanup (or from the last cleanup's record when skipped), if known. */
  readonly entries?: number;
  /** Bytes of the whole directory, all namespaces, after cleanup (or from the last record when skipped), if known. */
  readonly bytes?: number;
  readonly evicted: number;
  readonly evictedBytes: number;
  readonly staleTempsRemoved: number;
  readonly faults: readonly FaultRecord[];
}

/** One entry's uses since the last flush. */
export interface UsageRecord {
  readonly hash: string;
  readonly uses: number;
  readonly lastUsed: number;
}

/** Usage to record. */
export interface UsesRequest {
  readonly now: number;
  readonly uses: readonly UsageRecord[];
}

/** What recording usage did. */
export interface UsesReport {
  readonly recompressed: number;
  readonly corrupt: number;
  readonly faults: readonly FaultRecord[];
}

/** A store instance's counters to persist. */
export interface StatsRequest {
  readonly instanceId: string;
  readonly counters: StatsCounters;
  readonly now: number;
}

/** What persisting counters did. */
export interface StatsReport {
  readonly faults: readonly FaultRecord[];
}

interface Sidecar {
  uses: number;
  optimized: boolean;
}

interface LockBody {
  pid: number;
  at: number;
  token: string;
}

function parseJson(data: Buffer | undefined): Record<string, unknown> | undefined {
  if (!data || data.byteLength === 0) return undefined;
  try {
    const value: unknown = JSON.parse(data.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function numberField(record: Record<string, unknown> | undefined, name: string): number | undefined {
  const value = record?.[name];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * The disk store's background work: cleanup (eviction, stale temp files,
 * statistics folding), usage counting with recompression, and persisting
 * counters. Runs in a worker thread (see `worker.ts`), or inline when asked.
 * Every method absorbs faults and returns them in its report.
 */
export class Maintenance {
  readonly #settings: MaintenanceSettings;
  readonly #fs: FsLayer;
  readonly #codec: Codec | undefined;
  readonly #layout: Layout;

  constructor(settings: MaintenanceSettings, fs: FsLayer, codec: Codec | undefined) {
    this.#settings = settings;
    this.#fs = fs;
    this.#codec = codec;
    this.#layout = new Layout(settings.directory, settings.namespace);
  }

  /**
   * Cleans the whole cache directory, every namespace together, if no other
   * process is (one lock for the directory, `.store/cleanup.lock`) and, unless
   * forced, the last cleanup by any process of any namespace is at least
   * `cleanupInterval` old (`.store/last-cleanup.json`, which also records the
   * entries and bytes that cleanup found). A last cleanup dated
   * in the future within the allowed drift counts as recent; beyond it, as
   * never.
   *
   * The soft limits apply to all namespaces together: entries of every
   * namespace directory (this store's, and any other with the `v1/entries`
   * layout, whether a process still opens it or not) are ordered by recency
   * and the least recently used go first, from any namespace. Stale temp
   * files, orphan sidecars and the counters of finished processes are
   * cleaned in every namespace too; each namespace's `stats/usage.json` and
   * the directory's `.store/last-cleanup.json` record what remains.
   */
  async cleanup(request: CleanupRequest): Promise<CleanupReport> {
    const faults: FaultRecord[] = [];
    const base = { evicted: 0, evictedBytes: 0, staleTempsRemoved: 0, faults };
    let token: string | undefined;
    try {
      token = await this.#acquireLock(request.now);
      const last = await this.#lastCleanup();
      if (!token) return { ...base, ran: false, reason: 'locked', ...last.usage };
      if (!request.force && !this.#intervalElapsed(last.at, request.now)) return { ...base, ran: false, reason: 'interval', ...last.usage };
      // Dated now, before the scan, so no other process starts one meanwhile; the usage found comes at the end.
      await this.#writeJson(this.#layout.lastCleanup, this.#layout.storeTemp('last-cleanup.json'), { at: request.now, pid: process.pid, ...last.usage }, request.now);
      let staleTempsRemoved = await this.#removeStaleTemps(this.#layout.storeTmp, request.now, faults);
      const namespaces = await namespaceLayouts(this.#fs, this.#layout, faults);
      const candidates: ScannedEntry[] = [];
      const orphans: Array<{ layout: Layout; hash: string }> = [];
      const scanned = new Map<Layout, { entries: number; bytes: number }>();
      for (const layout of namespaces) {
        staleTempsRemoved += await this.#removeStaleTemps(layout.tmp, request.now, faults);
        let scan: NamespaceScan;
        try {
          scan = await scanNamespace(this.#fs, layout, faults);
        } catch (error) {
          if (layout === this.#layout) throw error; // this store's own namespace: the cleanup failed
          faults.push(toFault('cleanup', error)); // another namespace: cleaned next time
          continue;
        }
        candidates.push(...scan.candidates);
        for (const hash of scan.orphans) orphans.push({ layout, hash });
        scanned.set(layout, {
          entries: scan.candidates.length,
          bytes: scan.candidates.reduce((sum, candidate) => sum + candidate.bytes, 0),
        });
      }
      const plan = planEviction(candidates, this.#settings, request.now, this.#settings.allowedDrift);
      let evicted = 0;
      let evictedBytes = 0;
      await inChunks(plan.victims, async (victim) => {
        try {
          if (await removeIfExists(this.#fs, victim.layout.entry(victim.hash))) {
            evicted++;
            evictedBytes += victim.bytes;
            const usage = scanned.get(victim.layout);
            if (usage) {
              usage.entries--;
              usage.bytes -= victim.bytes;
            }
          }
          await removeIfExists(this.#fs, victim.layout.sidecar(victim.hash));
        } catch (error) {
          faults.push(toFault('evict', error));
        }
      });
      await inChunks(orphans, async ({ layout, hash }) => {
        await removeIfExists(this.#fs, layout.sidecar(hash)).catch((error: unknown) => faults.push(toFault('cleanup', error)));
      });
      const entries = plan.entriesBefore - evicted;
      const bytes = plan.bytesBefore - evictedBytes;
      for (const [layout, usage] of scanned) {
        await this.#writeJson(layout.usageFile, layout.temp('usage.json'), { ...usage, at: request.now }, request.now).catch((error: unknown) =>
          faults.push(toFault('cleanup', error)),
        );
        await this.#foldDeadStats(layout, request.now, faults);
      }
      await this.#writeJson(this.#layout.lastCleanup, this.#layout.storeTemp('last-cleanup.json'), { at: request.now, pid: process.pid, entries, bytes }, request.now).catch(
        (error: unknown) => faults.push(toFault('cleanup', error)),
      );
      return { ran: true, reason: plan.overLimit ? 'evicted' : 'under-limits', entries, bytes, evicted, evictedBytes, staleTempsRemoved, faults };
    } catch (error) {
      faults.push(toFault('cleanup', error));
      return { ...base, ran: false, reason: 'fault' };
    } finally {
      if (token) await this.#releaseLock(token).catch((error: unknown) => faults.push(toFault('cleanup', error)));
    }
  }

  /**
   * Adds uses to each entry's sidecar (its mtime becomes the last use, which
   * is the recency cleanup orders by), and recompresses entries whose count
   * reaches the threshold at the optimized level.
   */
  async recordUses(request: UsesRequest): Promise<UsesReport> {
    const faults: FaultRecord[] = [];
    let recompressed = 0;
    let corrupt = 0;
    for (const use of request.uses) {
      try {
        try {
          await this.#fs.lstat(this.#layout.entry(use.hash));
        } catch (error) {
          if (isMissing(error)) continue;
          throw error;
        }
        const sidecar = await this.#readSidecar(use.hash);
        sidecar.uses += use.uses;
        if (this.#settings.compression && this.#codec && !sidecar.optimized && sidecar.uses >= this.#settings.usageThreshold) {
          const outcome = await this.#recompress(use.hash, request.now);
          if (outcome === 'done' || outcome === 'not-needed') sidecar.optimized = true;
          if (outcome === 'done') recompressed++;
          if (outcome === 'corrupt') corrupt++;
        }
        await writeAtomically(this.#fs, this.#layout.temp(`${use.hash}.stats`), this.#layout.sidecar(use.hash), [Buffer.from(JSON.stringify(sidecar))], use.lastUsed, {
          temp: this.#layout.tmp,
          destination: this.#layout.shard(use.hash),
        });
      } catch (error) {
        faults.push(toFault('record-use', error));
      }
    }
    return { recompressed, corrupt, faults };
  }

  /** Persists one store instance's counters as `stats/stats-<pid>.<instance>.json`. */
  async writeStats(request: StatsRequest): Promise<StatsReport> {
    try {
      const target = this.#layout.instanceStats(request.instanceId);
      await this.#writeJson(target, this.#layout.temp(path.basename(target)), { ...request.counters, at: request.now, pid: process.pid }, request.now);
      return { faults: [] };
    } catch (error) {
      return { faults: [toFault('write-stats', error)] };
    }
  }

  /** Writes a small JSON file atomically through `temp` (one of the store's temp names, beside a folder it may create). */
  async #writeJson(target: string, temp: string, body: object, now: number): Promise<void> {
    await writeAtomically(this.#fs, temp, target, [Buffer.from(JSON.stringify(body))], now, {
      temp: path.dirname(temp),
      destination: path.dirname(target),
    });
  }

  /** The directory's last cleanup record: when it ran, and the entries and bytes it found (when known). */
  async #lastCleanup(): Promise<{ at: number | undefined; usage: { entries?: number; bytes?: number } }> {
    const record = parseJson(await readIfExists(this.#fs, this.#layout.lastCleanup).catch(() => undefined));
    const entries = numberField(record, 'entries');
    const bytes = numberField(record, 'bytes');
    return { at: numberField(record, 'at'), usage: entries !== undefined && bytes !== undefined ? { entries, bytes } : {} };
  }

  #intervalElapsed(last: number | undefined, now: number): boolean {
    if (last === undefined) return true;
    if (last > now + this.#settings.allowedDrift) return true; // from a clock far ahead: ignore it
    return now - last >= this.#settings.cleanupInterval;
  }

  /**
   * Creates the directory's `.store/cleanup.lock` with its content in one step: the body is written
   * to a temp file that is then hard-linked to the lock name (which fails if
   * it exists), so no process ever sees an empty lock, even if the owner is
   * killed while taking it. Where hard links are not supported, falls back
   * to an exclusive create.
   */
  async #acquireLock(now: number): Promise<string | undefined> {
    const token = nodeCrypto().randomBytes(8).toString('hex');
    const body = Buffer.from(JSON.stringify({ pid: process.pid, at: now, token } satisfies LockBody));
    for (let attempt = 0; attempt < 3; attempt++) {
      const temp = this.#layout.storeTemp('cleanup.lock');
      let handle: FsFileHandle | undefined;
      try {
        try {
          handle = await this.#fs.open(temp, 'wx', 0o644);
        } catch (error) {
          if (!isMissing(error)) throw error;
          await makeDirectory(this.#fs, this.#layout.storeTmp);
          continue;
        }
        await writeAll(handle, [body]);
        await handle.utimes(now / 1000, now / 1000);
        const closing = handle;
        handle = undefined;
        await closing.close();
        try {
          await this.#fs.link(temp, this.#layout.cleanupLock);
          return token;
        } catch (error) {
          const code = (error as { code?: unknown }).code;
          if (code === 'EEXIST') {
            if (!(await this.#lockIsStale(now))) return undefined;
            await removeIfExists(this.#fs, this.#layout.cleanupLock);
            continue;
          }
          if (code === 'ENOENT') {
            await makeDirectory(this.#fs, this.#layout.storeDirectory);
            continue;
          }
          if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error;
          return await this.#acquireLockExclusive(now, body, token);
        }
      } finally {
        await handle?.close().catch(() => undefined);
        await removeIfExists(this.#fs, temp).catch(() => undefined);
      }
    }
    return undefined;
  }

  async #acquireLockExclusive(now: number, body: Buffer, token: string): Promise<string | undefined> {
    let handle: FsFileHandle | undefined;
    try {
      handle = await this.#fs.open(this.#layout.cleanupLock, 'wx', 0o644);
      await writeAll(handle, [body]);
      return token;
    } catch (error) {
      if ((error as { code?: unknown }).code === 'EEXIST') return undefined;
      throw error;
    } finally {
      await handle?.close().catch(() => undefined);
    }
  }

  async #lockIsStale(now: number): Promise<boolean> {
    const lock = parseJson(await readIfExists(this.#fs, this.#layout.cleanupLock));
    const pid = numberField(lock, 'pid');
    let at = numberField(lock, 'at');
    if (at === undefined) {
      // Being written right now, or left empty by a crash: judge by its date.
      try {
        at = (await this.#fs.lstat(this.#layout.cleanupLock)).mtimeMs;
      } catch (error) {
        return isMissing(error);
      }
    }
    if (pid !== undefined && pid !== process.pid && !isProcessAlive(pid)) return true;
    if (at > now + this.#settings.allowedDrift) return true;
    return now - at > this.#settings.lockStaleAge;
  }

  async #releaseLock(token: string): Promise<void> {
    const lock = parseJson(await readIfExists(this.#fs, this.#layout.cleanupLock));
    if (lock?.['token'] === token) await removeIfExists(this.#fs, this.#layout.cleanupLock);
  }

  /** Removes temp files of dead processes (or older than `staleTempAge`) and abandoned recompressions from one `tmp` folder. */
  async #removeStaleTemps(folder: string, now: number, faults: FaultRecord[]): Promise<number> {
    let names: string[];
    try {
      names = await this.#fs.readdir(folder);
    } catch (error) {
      if (!isMissing(error)) faults.push(toFault('cleanup', error));
      return 0;
    }
    let removed = 0;
    await inChunks(names, async (name) => {
      const temp = TEMP_PATTERN.exec(name);
      const recompress = temp ? null : RECOMPRESS_PATTERN.exec(name);
      if (!temp && !recompress) return; // not ours: never touched
      const file = path.join(folder, name);
      try {
        let stale = false;
        if (temp) {
          const pid = Number(temp[2]);
          stale = pid !== process.pid && !isProcessAlive(pid);
        }
        if (!stale) {
          const age = now - (await this.#fs.lstat(file)).mtimeMs;
          stale = age > (temp ? this.#settings.staleTempAge : this.#settings.recompressTimeout);
        }
        if (stale && (await removeIfExists(this.#fs, file))) removed++;
      } catch (error) {
        if (!isMissing(error)) faults.push(toFault('cleanup', error));
      }
    });
    return removed;
  }

  /** Folds the counters of finished processes in one namespace into its `total.json`. */
  async #foldDeadStats(layout: Layout, now: number, faults: FaultRecord[]): Promise<void> {
    try {
      let names: string[];
      try {
        names = await this.#fs.readdir(layout.statsDirectory);
      } catch (error) {
        if (isMissing(error)) return;
        throw error;
      }
      const dead = names.filter((name) => {
        const match = INSTANCE_STATS_PATTERN.exec(name);
        return match !== null && Number(match[1]) !== process.pid && !isProcessAlive(Number(match[1]));
      });
      if (dead.length === 0) return;
      const total = addCounters(zeroCounters(), parseJson(await readIfExists(this.#fs, layout.totalFile)) ?? {});
      for (const name of dead) addCounters(total, parseJson(await readIfExists(this.#fs, path.join(layout.statsDirectory, name))) ?? {});
      await this.#writeJson(layout.totalFile, layout.temp('total.json'), { ...total, at: now }, now);
      for (const name of dead) await removeIfExists(this.#fs, path.join(layout.statsDirectory, name));
    } catch (error) {
      faults.push(toFault('cleanup', error));
    }
  }

  async #readSidecar(hash: string): Promise<Sidecar> {
    const record = parseJson(await readIfExists(this.#fs, this.#layout.sidecar(hash)));
    return { uses: numberField(record, 'uses') ?? 0, optimized: record?.['optimized'] === true };
  }

  /** Rewrites one entry at the optimized level. The temp file doubles as a cross-process lock. */
  async #recompress(hash: string, now: number): Promise<'done' | 'not-needed' | 'busy' | 'gone' | 'corrupt'> {
    const codec = this.#codec;
    if (!codec) return 'not-needed';
    const lockPath = this.#layout.recompressTemp(hash);
    const entryPath = this.#layout.entry(hash);
    let handle: FsFileHandle | undefined;
    let created = false;
    let renamed = false;
    try {
      try {
        handle = await this.#fs.open(lockPath, 'wx', 0o644);
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (code === 'ENOENT') {
          await makeDirectory(this.#fs, this.#layout.tmp);
          handle = await this.#fs.open(lockPath, 'wx', 0o644);
        } else if (code === 'EEXIST') {
          let age: number;
          try {
            age = now - (await this.#fs.lstat(lockPath)).mtimeMs;
          } catch (statError) {
            if (isMissing(statError)) return 'busy'; // another process just finished it
            throw statError;
          }
          if (age <= this.#settings.recompressTimeout) return 'busy';
          await removeIfExists(this.#fs, lockPath);
          handle = await this.#fs.open(lockPath, 'wx', 0o644);
        } else {
          throw error;
        }
      }
      created = true;
      let source: FsFileHandle;
      try {
        source = await this.#fs.open(entryPath, READ_FLAGS);
      } catch (error) {
        if (isMissing(error)) return 'gone';
        throw error;
      }
      let data: Buffer;
      let identity: { ino: number; mtimeMs: number };
      try {
        const stat = await source.stat();
        // Not an entry to rewrite (a FIFO, a device, larger than any stored): the next read finds and removes it.
        if (!stat.isFile() || stat.size > this.#settings.maxBytes) return 'not-needed';
        identity = { ino: stat.ino, mtimeMs: stat.mtimeMs };
        data = await readExactly(source, stat.size);
      } finally {
        await source.close().catch(() => undefined);
      }
      const header = parseHeader(data);
      if (typeof header !== 'string' && header.codec === CODEC_ZSTD && header.level >= this.#settings.optimizedLevel) return 'not-needed';
      const prefix = keyFromPrefix(data);
      const decoded = await decodeEntry(data, prefix?.key, codec);
      if (!decoded.ok) {
        if (decoded.corrupt && (await this.#sameFile(entryPath, identity.ino))) await removeIfExists(this.#fs, entryPath);
        return decoded.corrupt ? 'corrupt' : 'not-needed';
      }
      const key = prefix?.key;
      if (key === undefined) return 'corrupt';
      let timer: NodeJS.Timeout | undefined;
      const encoded = await Promise.race([
        encodeEntry(key, decoded.value, codec, this.#settings.optimizedLevel, decoded.header),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(Object.assign(new Error('recompression timed out'), { code: 'ETIMEDOUT' })), this.#settings.recompressTimeout);
          timer.unref();
        }),
      ]).finally(() => clearTimeout(timer));
      await writeAll(handle, encoded.parts);
      // Replace only the file we read: a newer write of the key wins.
      if (!(await this.#sameFile(entryPath, identity.ino))) return 'gone';
      await this.#fs.rename(lockPath, entryPath);
      renamed = true;
      // The entry keeps its date (its recency), set through the handle, which still holds our file, once it is
      // the entry: dated so while still the lock, it would look abandoned (older than the recompression timeout)
      // to any process's cleanup or recompression, which would remove it, or take it over, under our feet.
      await handle.utimes(identity.mtimeMs / 1000, identity.mtimeMs / 1000);
      const closing = handle;
      handle = undefined;
      await closing.close();
      return 'done';
    } finally {
      if (handle) await handle.close().catch(() => undefined);
      // Our lock-and-temp goes unless it became the entry; another process's lock is left alone.
      if (created && !renamed) await removeIfExists(this.#fs, lockPath).catch(() => undefined);
    }
  }

  async #sameFile(file: string, ino: number): Promise<boolean> {
    try {
      return (await this.#fs.lstat(file)).ino === ino;
    } catch {
      return false;
    }
  }
}
