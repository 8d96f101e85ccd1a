import { clockMs } from '@cache/store';
import { readSerializedHeader, serialize, SERIALIZED_HEADER_SIZE } from '@cache/v8';
import { encodeArtifact } from '../artifact/artifact-format.js';
import type { ArtifactStorage } from '../cache/cache.js';
import { warningsNow } from '../diagnostics/warn-once.js';
import { onExitOrTerminate } from './exit-hook.js';
import { grewEnough, storedSnapshotBytes } from './stored-snapshot.js';
import type { EngineFingerprint } from '../fingerprint/engine-fingerprint.js';
import type { StatsRecorder } from '../stats/engine-stats.js';

/**
 * When a tracked module's code is saved, in ms after it was compiled or
 * loaded. V8 tiers hot functions up within the first second of heavy use;
 * later checks pick up what later phases of the program make hot. After the
 * last one the module is no longer held.
 */
export const HOT_SNAPSHOT_DELAYS_MS: readonly number[] = [1_000, 5_000, 20_000, 60_000];

/** One module whose optimized code is saved as it becomes hot. */
export interface HotTarget {
  readonly module: WebAssembly.Module;
  readonly moduleHash: string;
  readonly key: string;
  readonly fingerprint: EngineFingerprint;
  readonly storage: ArtifactStorage;
  /** The compile (or load) time recorded in the artifact, for the time-saved statistic. */
  readonly compileMs: number;
  /** The counters of the engine that compiled it. */
  readonly record: StatsRecorder;
  /** Payload bytes of the artifact stored or loaded for it (0 when none). */
  storedBytes: number;
}

/**
 * A module another thread of this process compiled through a cache and
 * tracks, handed over so that this thread saves its hot code too (see
 * `register/thread-handoff.ts`). V8 shares a module's code between the
 * threads that hold it, so what the other thread makes hot is in this
 * thread's snapshot.
 */
export interface HandedOverModule {
  readonly module: WebAssembly.Module;
  readonly moduleHash: string;
  /** Its store key in the other thread's cache. */
  readonly key: string;
  /** The other thread's engine fingerprint, and its cache's own folder: taken only by a cache of the same. */
  readonly fingerprintId: string;
  readonly directory: string;
  readonly compileMs: number;
  /** Payload bytes of what the other thread stored or loaded for it (0 when none). */
  readonly storedBytes: number;
}

/** What saving a snapshot needs from the engine. */
export interface HotSnapshotSink {
  /**
   * Writes an artifact through the store, while the process runs: true when
   * stored, false when not (a fault already said); throws for a failure to say.
   */
  put(target: HotTarget, artifact: Uint8Array): Promise<boolean>;
  /** Hands an artifact to a detached process that writes it, as this process exits (synchronous). */
  putAtExit(target: HotTarget, artifact: Uint8Array): void;
  /** Reports a failure (the module is unaffected). */
  failed(error: unknown): void;
  /**
   * Reports that V8's header of the module's serialized code is not the
   * fingerprint's: the fingerprint is wrong (see `forgetFingerprint`), and
   * nothing is stored under it.
   */
  fingerprintWrong(target: HotTarget, header: string): void;
}

/**
 * Saves the code V8 optimized in this process for the modules it tracks: the
 * `'hot'` artifact tier. V8 serializes only TurboFan code, so a snapshot holds
 * the functions that tiered up (the hot ones) and marks the rest for lazy
 * compilation. Snapshots are taken on timers and once more at exit
 * (synchronously, handed to a detached writer), and stored only when they grew.
 *
 * "Exit" includes SIGTERM when the process has no handler of its own for it:
 * a service process its parent stops with `kill()` (esbuild's) never reaches
 * Node's `exit` event. The snapshot is taken and the signal raised again, so
 * the process still ends by it (see {@link onExitOrTerminate}, which also says
 * why no other signal is listened for).
 */
export class HotSnapshots {
  readonly #sink: HotSnapshotSink;
  /** `lastMs`: when the last timer's snapshot was taken, set once it has been stored (or found not worth storing). */
  readonly #targets = new Map<string, { target: HotTarget; timers: NodeJS.Timeout[]; lastMs: number | undefined }>();
  /**
   * The snapshot being taken of a module, while one is: the next one waits
   * for it, so it compares with what that one stored instead of writing the
   * same code twice (a timer that fires during `close()`'s final write).
   */
  readonly #inFlight = new Map<HotTarget, Promise<void>>();
  /** Removes the exit and fatal-signal handler, while one is installed. */
  #removeExitHook: (() => void) | undefined;
  /**
   * @internal Told of each module it starts tracking, once tracked (set by
   * `@cache/engine/register`, whose worker threads hand their modules to the
   * main thread: see `register/thread-handoff.ts`). What it throws is ignored.
   */
  onTrack: ((target: HotTarget) => void) | undefined;

  constructor(sink: HotSnapshotSink) {
    this.#sink = sink;
  }

  /** Starts saving a module's hot code (a module already tracked under the key is kept). */
  track(target: HotTarget): void {
    if (this.#targets.has(target.key)) return;
    const entry = { target, timers: [] as NodeJS.Timeout[], lastMs: undefined as number | undefined };
    HOT_SNAPSHOT_DELAYS_MS.forEach((delay, index) => {
      const last = index === HOT_SNAPSHOT_DELAYS_MS.length - 1;
      const timer = setTimeout(() => {
        const takenMs = clockMs();
        void this.#snapshot(target).then(() => {
          entry.lastMs = takenMs;
        });
        if (last) this.#untrack(target.key);
      }, delay);
      timer.unref();
      entry.timers.push(timer);
    });
    this.#targets.set(target.key, entry);
    this.#removeExitHook ??= onExitOrTerminate(() => {
      this.#removeExitHook = undefined;
      warningsNow(() => this.#snapshotAllAtExit());
    });
    try {
      this.onTrack?.(target);
    } catch {
      // An observer's failure is not the module's: it is tracked here as before.
    }
  }

  /** Number of modules being tracked. */
  get size(): number {
    return this.#targets.size;
  }

  /** Takes a snapshot of every tracked module now and waits for the writes. */
  async flush(): Promise<void> {
    await Promise.all([...this.#targets.values()].map((entry) => this.#snapshot(entry.target)));
  }

  /** Stops tracking everything (after a final snapshot when `flush` is true). */
  async stop(flush: boolean): Promise<void> {
    // No timer fires during the final snapshot's write.
    for (const entry of this.#targets.values()) for (const timer of entry.timers) clearTimeout(timer);
    if (flush) await this.flush();
    for (const key of [...this.#targets.keys()]) this.#untrack(key);
    this.#removeExitHook?.();
    this.#removeExitHook = undefined;
  }

  #untrack(key: string): void {
    const entry = this.#targets.get(key);
    if (!entry) return;
    for (const timer of entry.timers) clearTimeout(timer);
    this.#targets.delete(key);
    // Nothing left to save at exit: the process's exit and SIGTERM are its own again.
    if (this.#targets.size === 0) {
      this.#removeExitHook?.();
      this.#removeExitHook = undefined;
    }
  }

  /** The artifact to store, when the module's optimized code has grown enough since the last one. */
  #grownArtifact(target: HotTarget): { artifact: Uint8Array; bytes: number } | undefined {
    const payload = serialize(target.module);
    if (payload.byteLength <= SERIALIZED_HEADER_SIZE) return undefined; // nothing tiered up yet
    if (!grewEnough(payload.byteLength, target.storedBytes)) return undefined;
    // Same process, same V8: this differs only when the fingerprint was remembered wrong (a damaged
    // file). Nothing is stored that another process of this fingerprint could not load, and the
    // module is no longer tracked: every snapshot of it would disagree the same way.
    const header = readSerializedHeader(payload).hex;
    if (header !== target.fingerprint.header.hex) {
      this.#untrack(target.key);
      this.#sink.fingerprintWrong(target, header);
      return undefined;
    }
    const artifact = encodeArtifact({ tier: 'hot', fingerprintId: target.fingerprint.id, compileMs: target.compileMs, moduleHash: target.moduleHash, payload });
    return { artifact, bytes: payload.byteLength };
  }

  /** Takes a snapshot of one module after the one in flight for it, if any. */
  #snapshot(target: HotTarget): Promise<void> {
    const previous = this.#inFlight.get(target);
    const next = (previous ? previous.then(() => this.#snapshotNow(target)) : this.#snapshotNow(target)).finally(() => {
      if (this.#inFlight.get(target) === next) this.#inFlight.delete(target);
    });
    this.#inFlight.set(target, next);
    return next;
  }

  async #snapshotNow(target: HotTarget): Promise<void> {
    try {
      const grown = this.#grownArtifact(target);
      if (!grown) return;
      // What is stored now may be another process's snapshot, larger than any this one knows of: the
      // growth rule holds against it too, and later snapshots compare with it.
      const stored = await storedSnapshotBytes(target.storage.store, target.key, grown.artifact);
      if (stored > target.storedBytes) target.storedBytes = stored;
      if (!grewEnough(grown.bytes, target.storedBytes)) return;
      // Not stored: what is stored has not grown, and the next snapshot tries again.
      if (await this.#sink.put(target, grown.artifact)) target.storedBytes = Math.max(target.storedBytes, grown.bytes);
    } catch (error) {
      this.#sink.failed(error);
    }
  }

  #snapshotAllAtExit(): void {
    const now = clockMs();
    for (const entry of this.#targets.values()) {
      // A snapshot taken moments ago, and stored since, already holds what tiered up since. One still being
      // written is not skipped: nothing asynchronous finishes once the process ends, so its write would be lost.
      if (entry.lastMs !== undefined && now - entry.lastMs < 250 && !this.#inFlight.has(entry.target)) continue;
      try {
        const grown = this.#grownArtifact(entry.target);
        if (grown) this.#sink.putAtExit(entry.target, grown.artifact);
      } catch (error) {
        this.#sink.failed(error);
      }
    }
  }
}
