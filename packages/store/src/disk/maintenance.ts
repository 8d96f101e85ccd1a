import path from 'node:path';
import type { Codec } from '../compression/codec.js';
import { CODEC_ZSTD } from '../compression/codec.js';
import { toFault, type FaultRecord } from '../faults/fault-reporter.js';
import { addCounters, zeroCounters, type StatsCounters } from '../stats/stats-counter.js';
import { decodeEntry, encodeEntry, keyFromPrefix, parseHeader } from './entry-format.js';
import { inChunks, namespaceLayouts, scanNamespace, type NamespaceScan, type ScannedEntry } from './directory-scan.js';
import { planEviction, type EvictionLimits } from './eviction.js';
import { isMissing, isOutOfSpace, isProcessAlive, readExactly, readIfExists, removeIfExists, writeAll, writeAtomically } from './fs-helpers.js';
import { READ_FLAGS, type FsFileHandle, type FsLayer } from './fs-layer.js';
import { makeDirectory } from './make-directory.js';
import { CLAIMED_STATS_PATTERN, INSTANCE_STATS_PATTERN, Layout, RECOMPRESS_PATTERN, TEMP_PATTERN } from './layout.js';
import { nodeCrypto } from '../node/node-builtin.js';
import { numberField, parseJson, parseSidecar, type Sidecar } from './json-record.js';
import { readCleanupRecord, removeOtherTallies, startTally, type CleanupRecord } from './write-tally.js';

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
  /**
   * The instance's last write (its `close()`): the file is marked closed, and
   * a cleanup may fold it into `total.json` while the process still runs.
   */
  readonly closed?: boolean;
}

/** What persisting counters did. */
export interface StatsReport {
  readonly faults: readonly FaultRecord[];
}

interface LockBody {
  pid: number;
  at: number;
  token: string;
}

/** The cleanup lock as one cleanup holds it. */
interface HeldLock {
  /** This cleanup's token: in the lock's body, and in the names of the statistics files it claims. */
  readonly token: string;
  /**
   * Set when the lock was taken as an empty file (no room on the file system
   * for its body): the lock file it created, known by its inode and date,
   * since it holds no token to be recognized by.
   */
  readonly empty?: { readonly ino: number; readonly mtimeMs: number };
}

/** The most statistics files one cleanup folds in one namespace (the names it lists in `total.json` stay well under the 1 MiB read limit). */
const MAX_FOLD = 1000;

/** The claims `total.json` lists as folded into it (see {@link Maintenance}'s statistics folding). */
function foldedList(record: Record<string, unknown> | undefined): string[] {
  const value = record?.['folded'];
  return Array.isArray(value) ? value.filter((name): name is string => typeof name === 'string') : [];
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
   * namespace directory (this store's, and any other with the `v1/` folder,
   * whether a process still opens it or not; a missing `entries/` is no
   * entries) are ordered by recency and the least recently used go first,
   * from any namespace. Stale temp files, orphan sidecars and the counters
   * of finished store instances (of ended processes, or closed) are cleaned
   * in every namespace too; each namespace's `stats/usage.json` and the
   * directory's `.store/last-cleanup.json` record what remains.
   *
   * On a full file system (ENOSPC, EDQUOT) it still runs, since that is when
   * eviction must free space: the lock is taken as an empty file (judged by
   * its date), the record dated before the scan is skipped, and nothing else
   * is written until the evictions are done.
   */
  async cleanup(request: CleanupRequest): Promise<CleanupReport> {
    const faults: FaultRecord[] = [];
    const base = { evicted: 0, evictedBytes: 0, staleTempsRemoved: 0, faults };
    let held: HeldLock | undefined;
    try {
      held = await this.#acquireLock(request.now);
      const last = await readCleanupRecord(this.#fs, this.#layout).catch((): CleanupRecord => ({}));
      if (!held) return { ...base, ran: false, reason: 'locked', ...last.usage };
      if (!request.force && !this.#intervalElapsed(last.at, request.now)) return { ...base, ran: false, reason: 'interval', ...last.usage };
      // Dated now, before the scan, so no other process starts one meanwhile; the usage found comes at the end.
      // Best effort: on a full file system there is no room for it until the evictions below free some, and the
      // record written at the end reports whatever keeps it from being written.
      // It names a new write tally (write-tally.ts), and counts what the old one did; writers move to the new one.
      const recorded = await startTally(this.#fs, this.#layout, last);
      await this.#writeJson(this.#layout.lastCleanup, this.#layout.storeTemp('last-cleanup.json'), { at: request.now, pid: process.pid, ...recorded }, request.now).then(
        () => removeOtherTallies(this.#fs, this.#layout, recorded.tally, faults),
        () => undefined,
      );
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
        await this.#foldFinishedStats(layout, held.token, request.now, faults);
      }
      await this.#writeJson(this.#layout.lastCleanup, this.#layout.storeTemp('last-cleanup.json'), { at: request.now, pid: process.pid, entries, bytes, tally: recorded.tally }, request.now)
        .then(() => removeOtherTallies(this.#fs, this.#layout, recorded.tally, faults))
        .catch((error: unknown) => faults.push(toFault('cleanup', error)));
      return { ran: true, reason: plan.overLimit ? 'evicted' : 'under-limits', entries, bytes, evicted, evictedBytes, staleTempsRemoved, faults };
    } catch (error) {
      faults.push(toFault('cleanup', error));
      return { ...base, ran: false, reason: 'fault' };
    } finally {
      if (held) await this.#releaseLock(held).catch((error: unknown) => faults.push(toFault('cleanup', error)));
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

  /**
   * Persists one store instance's counters as `stats/stats-<pid>.<instance>.json`,
   * marked `"closed": true` by the instance's last write (see {@link StatsRequest.closed}).
   */
  async writeStats(request: StatsRequest): Promise<StatsReport> {
    try {
      const target = this.#layout.instanceStats(request.instanceId);
      const body = { ...request.counters, at: request.now, pid: process.pid, ...(request.closed === true ? { closed: true } : {}) };
      await this.#writeJson(target, this.#layout.temp(path.basename(target)), body, request.now);
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
   *
   * Where there is no room for the body (ENOSPC, EDQUOT: a full file system,
   * exactly when a cleanup must run to free space), the lock is created empty
   * instead, dated `now`: an empty lock is judged by its date (abandoned once
   * older than `lockStaleAge`), as one whose owner was killed while writing
   * it always was, and released by its inode and date.
   */
  async #acquireLock(now: number): Promise<HeldLock | undefined> {
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
          return { token };
        } catch (error) {
          const code = (error as { code?: unknown }).code;
          const collision = await this.#lockNameTaken(code, now);
          if (collision === 'held') return undefined;
          if (collision === 'again') continue;
          if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error;
          return await this.#acquireLockExclusive(now, body, token);
        }
      } catch (error) {
        if (!isOutOfSpace(error)) throw error;
        // No room for the body, or even for the temp file's folder or name: the lock goes without a body.
        return await this.#acquireEmptyLock(now, token);
      } finally {
        await handle?.close().catch(() => undefined);
        await removeIfExists(this.#fs, temp).catch(() => undefined);
      }
    }
    return undefined;
  }

  async #acquireLockExclusive(now: number, body: Buffer, token: string): Promise<HeldLock | undefined> {
    let handle: FsFileHandle | undefined;
    try {
      handle = await this.#fs.open(this.#layout.cleanupLock, 'wx', 0o644);
      try {
        await writeAll(handle, [body]);
      } catch (error) {
        if (!isOutOfSpace(error)) throw error;
        // Created, but no room for its body: held as an empty lock (judged by its date, so dated now).
        return await this.#holdEmptyLock(handle, now, token);
      }
      return { token };
    } catch (error) {
      if ((error as { code?: unknown }).code === 'EEXIST') return undefined;
      throw error;
    } finally {
      await handle?.close().catch(() => undefined);
    }
  }

  /** Creates the lock exclusively and empty (no room for a body); a stale one is taken over, as by {@link Maintenance.#acquireLock}. */
  async #acquireEmptyLock(now: number, token: string): Promise<HeldLock | undefined> {
    for (let attempt = 0; attempt < 3; attempt++) {
      let handle: FsFileHandle;
      try {
        handle = await this.#fs.open(this.#layout.cleanupLock, 'wx', 0o644);
      } catch (error) {
        const collision = await this.#lockNameTaken((error as { code?: unknown }).code, now);
        if (collision === 'held') return undefined;
        if (collision === 'again') continue;
        throw error;
      }
      try {
        return await this.#holdEmptyLock(handle, now, token);
      } finally {
        await handle.close().catch(() => undefined);
      }
    }
    return undefined;
  }

  /**
   * After the lock's name could not be taken, by the error's code: `'held'`
   * when another cleanup holds it; `'again'` to try again, once a stale lock
   * was removed (EEXIST) or the `.store` folder made (ENOENT); `'other'` for
   * any other error, for the caller to decide.
   */
  async #lockNameTaken(code: unknown, now: number): Promise<'held' | 'again' | 'other'> {
    if (code === 'EEXIST') {
      if (!(await this.#lockIsStale(now))) return 'held';
      await removeIfExists(this.#fs, this.#layout.cleanupLock);
      return 'again';
    }
    if (code !== 'ENOENT') return 'other';
    await makeDirectory(this.#fs, this.#layout.storeDirectory);
    return 'again';
  }

  /** Dates the lock file this cleanup just created without a body `now` (its staleness is judged by that date), and notes which file it is. */
  async #holdEmptyLock(handle: FsFileHandle, now: number, token: string): Promise<HeldLock> {
    await handle.utimes(now / 1000, now / 1000);
    const stat = await handle.stat();
    return { token, empty: { ino: stat.ino, mtimeMs: stat.mtimeMs } };
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

  /** Removes the lock if it is still the one this cleanup took (not one another process took over meanwhile). */
  async #releaseLock(held: HeldLock): Promise<void> {
    if (held.empty) {
      let stat;
      try {
        stat = await this.#fs.lstat(this.#layout.cleanupLock);
      } catch (error) {
        if (isMissing(error)) return;
        throw error;
      }
      if (stat.ino === held.empty.ino && stat.mtimeMs === held.empty.mtimeMs) await removeIfExists(this.#fs, this.#layout.cleanupLock);
      return;
    }
    const lock = parseJson(await readIfExists(this.#fs, this.#layout.cleanupLock));
    if (lock?.['token'] === held.token) await removeIfExists(this.#fs, this.#layout.cleanupLock);
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

  /**
   * Folds the counters of finished store instances of one namespace into its
   * `total.json`: the statistics files of processes that have ended, and
   * those a `close()` marked closed (in a process that still runs: one that
   * opens and closes stores over and over leaves one file each). Each file's
   * counters are added at most once, even when a cleanup is killed or fails
   * midway, or two run at once:
   *
   * 1. Claim: each finished file is renamed to a claimed name
   *    (`fold-<pid>.<at>.<token>.<name>`, {@link Layout.claimedStatsName}).
   *    A rename succeeds once, so two cleanups never both claim one file.
   * 2. Add: `total.json` is rewritten with the counters of each claim it does
   *    not list yet, and lists them in its `folded` field. A claim's counters
   *    are in the total exactly when the total lists it or its file is gone:
   *    a claim is added only while the total does not list it and its file
   *    can still be read, and a name leaves the list only once its file is
   *    gone (claimed names are never reused). After the write, the total is
   *    read back: if another cleanup replaced it meanwhile without our
   *    claims, they are added again (up to three tries).
   * 3. Remove: the claimed files the total lists are unlinked.
   *
   * A cleanup killed after 1 leaves claims the total does not list: their
   * counters are added by a later cleanup once the claim is abandoned (its
   * process has ended, or it is older than `lockStaleAge`, as a lock would
   * be). Killed after 2, it leaves claims the total lists: a later cleanup
   * only removes them. Meanwhile `readDirectoryStats` counts the claims the
   * total does not list, so the counters never vanish from the statistics.
   * Two cleanups replacing `total.json` at the same moment can still lose
   * one's additions (a lost update), never count a file twice.
   */
  async #foldFinishedStats(layout: Layout, token: string, now: number, faults: FaultRecord[]): Promise<void> {
    try {
      let names: string[];
      try {
        names = await this.#fs.readdir(layout.statsDirectory);
      } catch (error) {
        if (isMissing(error)) return;
        throw error;
      }
      const file = (name: string): string => path.join(layout.statsDirectory, name);
      // Claims left by a cleanup that was killed or failed, then the files this cleanup claims now.
      const claims = names.filter((name) => this.#claimAbandoned(CLAIMED_STATS_PATTERN.exec(name), now)).slice(0, MAX_FOLD);
      const finished: string[] = [];
      await inChunks(names, async (name) => {
        const match = INSTANCE_STATS_PATTERN.exec(name);
        if (match && (await this.#instanceFinished(file(name), Number(match[1])))) finished.push(name);
      });
      for (const name of finished.sort().slice(0, Math.max(0, MAX_FOLD - claims.length))) {
        const claim = layout.claimedStatsName(name, token, now);
        try {
          await this.#fs.rename(file(name), file(claim));
          claims.push(claim);
        } catch (error) {
          if (!isMissing(error)) throw error; // gone: another cleanup claimed it first
        }
      }
      if (claims.length === 0) return;
      let listed = new Set<string>();
      for (let attempt = 0; attempt < 3; attempt++) {
        const record = parseJson(await readIfExists(this.#fs, layout.totalFile));
        listed = new Set(foldedList(record));
        const total = addCounters(zeroCounters(), record ?? {});
        const added: string[] = [];
        for (const claim of claims) {
          if (listed.has(claim)) continue; // already in the total: its cleanup stopped before removing it
          const counters = await this.#readClaim(file(claim));
          if (counters === 'gone') continue; // another cleanup folded and removed it
          addCounters(total, counters ?? {});
          added.push(claim);
        }
        if (added.length === 0) break;
        // The listed claims still there stay listed until they are removed; those gone are never added again.
        const present = new Set(await this.#fs.readdir(layout.statsDirectory));
        const folded = [...[...listed].filter((name) => present.has(name)), ...added];
        await this.#writeJson(layout.totalFile, layout.temp('total.json'), { ...total, at: now, folded }, now);
        listed = new Set(foldedList(parseJson(await readIfExists(this.#fs, layout.totalFile))));
        if (added.every((claim) => listed.has(claim))) break;
      }
      // Only what the total lists: a claim it does not list keeps its counters for a later fold.
      for (const claim of claims) if (listed.has(claim)) await removeIfExists(this.#fs, file(claim));
    } catch (error) {
      faults.push(toFault('cleanup', error));
    }
  }

  /**
   * The counters in a claimed statistics file: undefined when it holds none
   * (unparseable, or not a small regular file: folded as zeros and removed),
   * `'gone'` when it no longer exists.
   */
  async #readClaim(file: string): Promise<Record<string, unknown> | undefined | 'gone'> {
    const data = await readIfExists(this.#fs, file);
    if (data !== undefined) return parseJson(data);
    try {
      await this.#fs.lstat(file);
      return undefined;
    } catch (error) {
      if (isMissing(error)) return 'gone';
      throw error;
    }
  }

  /** Whether a statistics file's store instance is finished: its process has ended, or it was closed (its last write says so). */
  async #instanceFinished(file: string, pid: number): Promise<boolean> {
    if (pid !== process.pid && !isProcessAlive(pid)) return true;
    // A file that cannot be read is a running instance's as far as is known: left for a later cleanup.
    return parseJson(await readIfExists(this.#fs, file).catch(() => undefined))?.['closed'] === true;
  }

  /** Whether a claimed statistics file's cleanup is over without having removed it: its process has ended, or the claim is older than `lockStaleAge`. */
  #claimAbandoned(match: RegExpExecArray | null, now: number): boolean {
    if (!match) return false;
    const pid = Number(match[1]);
    const at = Number(match[2]);
    if (pid !== process.pid && !isProcessAlive(pid)) return true;
    if (at > now + this.#settings.allowedDrift) return true;
    return now - at > this.#settings.lockStaleAge;
  }

  async #readSidecar(hash: string): Promise<Sidecar> {
    return parseSidecar(await readIfExists(this.#fs, this.#layout.sidecar(hash)));
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
        // Not an entry to rewrite (a FIFO, a device: the next read finds and removes it; larger than this store's capacity).
        if (!stat.isFile() || stat.size > this.#settings.maxBytes) return 'not-needed';
        identity = { ino: stat.ino, mtimeMs: stat.mtimeMs };
        data = await readExactly(source, stat.size);
      } finally {
        await source.close().catch(() => undefined);
      }
      const header = parseHeader(data);
      if (typeof header !== 'string' && header.codec === CODEC_ZSTD && header.level >= this.#settings.optimizedLevel) return 'not-needed';
      const prefix = keyFromPrefix(data);
      // Not one holding more than this store's capacity (a store of a larger one wrote it, and recompresses it).
      const decoded = await decodeEntry(data, prefix?.key, codec, { maxContentLength: this.#settings.maxBytes });
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
