/** Where the producer delivers the artifact. */
export type ProducerDelivery =
  /** Send the artifact back to the parent over IPC. */
  | { readonly kind: 'parent' }
  /**
   * Write it to the store itself, so the artifact survives the parent exiting
   * first (short-lived processes still fill the cache).
   */
  | {
      readonly kind: 'store';
      /** The cache settings, as `CacheConfig.toJSON()` gives them. */
      readonly settings: Record<string, unknown>;
      /** Whether the store compresses (as the parent's does). */
      readonly compression: boolean;
      readonly namespace: string;
      readonly key: string;
      /** A lock file to remove when done. */
      readonly lockPath?: string;
      /**
       * `@cache/store-redis` (a specifier or a file URL) when the cache has
       * the hook's remote tier: the artifact is written there too, to the
       * remote the process gets in its environment (`PRODUCER_REMOTE_ENV`).
       */
      readonly remoteModule?: string;
    };

/** The one message a producer receives. */
export interface ProducerJob {
  readonly type: 'job';
  readonly wireBytes: Uint8Array;
  readonly moduleHash: string;
  readonly fingerprintId: string;
  /** V8's header the parent expects; a producer whose header differs reports an error. */
  readonly expectedHeader: string;
  /**
   * The file the parent's header was remembered in, if it was: a producer
   * whose header differs removes it (it was wrong), so the next process
   * learns the header again even when the parent has exited.
   */
  readonly rememberedHeaderFile?: string;
  readonly delivery: ProducerDelivery;
}

/**
 * An artifact made by the parent (its hot code, saved as it exits) for the
 * producer to write through the store: the parent cannot wait for the write.
 */
export interface DeliveryJob {
  readonly type: 'deliver';
  readonly artifact: Uint8Array;
  readonly delivery: Extract<ProducerDelivery, { kind: 'store' }>;
}

/** What a producer answers. */
export type ProducerReply =
  | { readonly type: 'artifact'; readonly artifact: Uint8Array; readonly compileMs: number }
  | { readonly type: 'stored'; readonly bytes: number; readonly compileMs: number; readonly stored: boolean; readonly reason?: string }
  | { readonly type: 'error'; readonly message: string; /** V8's header in the producer, when it is not the expected one. */ readonly header?: string };

/** Set in the producer's environment so `@cache/engine/register` does nothing there. */
export const PRODUCER_ENV = 'WASM_CACHE_PRODUCER';

/**
 * Set in the producer's environment: the time (`Date.now()`) by which it gives
 * up, its timeout. The parent kills a producer that outlives it, but a
 * detached producer outlives its parent; without a deadline of its own it
 * would run on past the age at which the next process takes its lock over.
 */
export const PRODUCER_DEADLINE_ENV = 'WASM_CACHE_PRODUCER_DEADLINE';

/**
 * Set in the environment of a producer started in a working folder of its
 * own (see `producerLaunch`), which it removes as it exits: V8's logs
 * (`--prof`), written there, are not the application's.
 */
export const PRODUCER_PRIVATE_CWD_ENV = 'WASM_CACHE_PRODUCER_PRIVATE_CWD';

/** The name every such folder starts with, in the system's temporary folder. */
export const PRODUCER_CWD_PREFIX = 'wasm-cache-producer-';
