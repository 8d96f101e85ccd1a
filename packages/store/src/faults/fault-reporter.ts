import { publish } from '../diagnostics/channels.js';
import type { StatsCounters } from '../stats/stats-counter.js';

/** A fault in plain data: what failed, with which code. */
export interface FaultRecord {
  /** What was being done (`'get'`, `'put'`, `'connect'`, ...). */
  readonly operation: string;
  /** The error's code (`ECONNREFUSED`, `ENOSPC`, ...). */
  readonly code: string;
  /** The error's message. */
  readonly message: string;
  /** The file involved, when there is one. */
  readonly path?: string;
}

/** The `code` of a Node error, or `'EUNKNOWN'`. */
export function errorCode(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    if (typeof code === 'string' && code.length > 0) return code;
  }
  return 'EUNKNOWN';
}

/** Converts any thrown value to a {@link FaultRecord}. */
export function toFault(operation: string, error: unknown): FaultRecord {
  const message = error instanceof Error ? error.message : String(error);
  const path = typeof error === 'object' && error !== null && 'path' in error ? (error as { path: unknown }).path : undefined;
  return { operation, code: errorCode(error), message, ...(typeof path === 'string' ? { path } : {}) };
}

/**
 * Fault codes of a remote store's server that could not be reached or did
 * not answer: the network failing (refused, reset, unreachable, a name that
 * does not resolve), a call timing out, or a call turned away because the
 * connection is down. A server that answered (a refusal, an error reply) has
 * other codes. Shared by the Redis store (which says such faults as one
 * outage) and the engine's hook (which notes them for the other processes).
 */
export const UNREACHABLE_FAULT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ENOTCONNECTED',
]);

/** A fault in a few words, its code first and once (Node's messages already begin with it: "EACCES: permission denied, ..."). */
export function describeFault(fault: FaultRecord): string {
  return fault.message.startsWith(`${fault.code}:`) ? fault.message : `${fault.code}: ${fault.message}`;
}

/**
 * Absorbs faults: counts each, publishes each on `cache:store:fault`, and emits
 * one `process.emitWarning` per fault code per store (code
 * `WASM_CACHE_STORE_<CODE>`, type `CacheStoreWarning`), so a full disk is said
 * once, not once per write.
 */
export class FaultReporter {
  readonly #warned = new Set<string>();
  readonly #store: string;
  readonly #location: string;
  readonly #counters: StatsCounters;

  /**
   * @param store the store's kind, named in warnings and messages.
   * @param location where it is (directory, namespace, redacted server address).
   * @param counters whose `errors` counter each fault increments.
   */
  constructor(store: string, location: string, counters: StatsCounters) {
    this.#store = store;
    this.#location = location;
    this.#counters = counters;
  }

  /**
   * Records one fault. `sameAs` groups codes that are one fault seen from
   * several sides (a refused connection, then calls made while it is down):
   * the group is said once, under the code that came first.
   */
  report(fault: FaultRecord, sameAs: string = fault.code): void {
    this.#counters.errors++;
    publish.fault(() => ({ store: this.#store, location: this.#location, ...fault }));
    this.warnOnce(fault.code, `${fault.operation} failed with ${fault.code} (${fault.message}); the cache goes on without it (a miss, or nothing stored) and says this once per code`, sameAs);
  }

  /** Emits `text` as a warning unless this code (or the group `sameAs` names) was already said. */
  warnOnce(code: string, text: string, sameAs: string = code): void {
    if (this.#warned.has(sameAs)) return;
    this.#warned.add(sameAs);
    process.emitWarning(`@cache/store ${this.#store} store at ${this.#location}: ${text}`, {
      type: 'CacheStoreWarning',
      code: `WASM_CACHE_STORE_${code.replace(/[^A-Za-z0-9]/g, '_').toUpperCase()}`,
    });
  }
}
