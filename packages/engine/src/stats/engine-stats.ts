import type { StoreStats } from '@cache/store';

/** What the engine counted. Times are in milliseconds. */
export interface EngineStats {
  /**
   * `compile` calls (and routed `WebAssembly.compile`/`instantiate` calls):
   * always `hits + misses + uncached + joined + invalid`.
   */
  compiles: number;
  /** Modules loaded from V8's saved code. */
  hits: number;
  /** Modules compiled because no usable artifact was stored. */
  misses: number;
  /** Compiles done without the cache at all: disabled, native addon or store unavailable. */
  uncached: number;
  /**
   * Compiles that joined one of the same bytes already in flight (single
   * flight): each got a module object of its own sharing that compile's code,
   * and counts here rather than as a hit or a miss.
   */
  joined: number;
  /** Compiles whose bytes were not a valid module (rejected with `WebAssembly.CompileError`). */
  invalid: number;
  /** Artifacts that failed verification (damaged, or for other bytes) and were removed. */
  corruptArtifacts: number;
  /** Artifacts made by another engine (fingerprint) and removed. */
  incompatibleArtifacts: number;
  /** Artifacts V8 refused after verification (removed, recompiled). */
  rejectedByV8: number;
  /** Optimized artifacts produced in the background and stored. */
  artifactsProduced: number;
  /** Background productions that failed (the compile itself had already succeeded). */
  producerFailures: number;
  /** Bytes of artifacts loaded on hits. */
  bytesLoaded: number;
  /** Time spent loading artifacts on hits (read, verify, V8). */
  loadMs: number;
  /** Time spent compiling normally on misses. */
  compileMs: number;
  /**
   * Compile time the hits avoided (recorded in each artifact), less the time
   * they took. For a full artifact that is the optimizing compile; for a hot
   * one (the default tier) only the plain compile of the process that saved
   * it, so this is often 0: the hot tier's gain, no tier-up while the program
   * runs, is not counted here.
   */
  timeSavedMs: number;
}

/** The storage counters beside the engine's. */
export interface CacheStats extends EngineStats {
  /** The store's own counters, when a store is open. */
  store?: StoreStats;
}

/** A fresh set of zeroed counters. */
export function emptyStats(): EngineStats {
  return {
    compiles: 0,
    hits: 0,
    misses: 0,
    uncached: 0,
    joined: 0,
    invalid: 0,
    corruptArtifacts: 0,
    incompatibleArtifacts: 0,
    rejectedByV8: 0,
    artifactsProduced: 0,
    producerFailures: 0,
    bytesLoaded: 0,
    loadMs: 0,
    compileMs: 0,
    timeSavedMs: 0,
  };
}

/** Counters kept for one engine and for the cache it shares, updated together. */
export class StatsRecorder {
  readonly #targets: EngineStats[];

  constructor(...targets: EngineStats[]) {
    this.#targets = targets;
  }

  /** Adds `amount` to one counter everywhere. */
  add(counter: keyof EngineStats, amount = 1): void {
    for (const stats of this.#targets) stats[counter] += amount;
  }
}
