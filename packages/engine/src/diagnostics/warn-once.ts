import { nodeBuiltin } from '../node/node-builtin.js';

const { channel } = nodeBuiltin<typeof import('node:diagnostics_channel')>('node:diagnostics_channel');

/** Codes of the warnings the engine emits, once per process each. */
export type EngineWarningCode =
  | 'CACHE_ENGINE_NATIVE_UNAVAILABLE'
  | 'CACHE_ENGINE_STORE_UNAVAILABLE'
  | 'CACHE_ENGINE_STORE_FAILED'
  | 'CACHE_ENGINE_ARTIFACT_DAMAGED'
  | 'CACHE_ENGINE_FINGERPRINT_WRONG'
  | 'CACHE_ENGINE_PRODUCER_FAILED'
  | 'CACHE_ENGINE_HOT_SNAPSHOT_FAILED'
  | 'CACHE_ENGINE_CONFIG_INVALID'
  | 'CACHE_ENGINE_LOAD_FAILED'
  | 'CACHE_ENGINE_PRELOAD_FAILED'
  | 'CACHE_ENGINE_REMOTE_UNAVAILABLE'
  | 'CACHE_ENGINE_REMOTE_SKIPPED'
  | 'CACHE_ENGINE_WASM_FROZEN';

/** Published on `cache:engine:warning` for every warning, including repeats that are not printed again. */
export const warningChannel = channel('cache:engine:warning');
/** Published on `cache:engine:compile` for every compile: `{ outcome, moduleHash, ms }`. */
export const compileChannel = channel('cache:engine:compile');

const emitted = new Set<string>();

/** Nesting depth of {@link warningsNow}: above 0, warnings are delivered at once. */
let deliverNow = 0;

/**
 * Runs `work`, an exit handler, so that the warnings it raises are delivered
 * before it returns. `process.emitWarning` defers delivery to the next tick,
 * and an exiting process (an `exit` listener, a fatal signal's handler) never
 * runs one: a warning raised there was lost.
 */
export function warningsNow<T>(work: () => T): T {
  deliverNow++;
  try {
    return work();
  } finally {
    deliverNow--;
  }
}

/**
 * What `process.emitWarning` does, without its deferral: builds the same
 * warning and emits it on `process` now, so Node's own listener prints it (or
 * not, under `--no-warnings`) and the application's listeners see it.
 */
function emitWarningNow(message: string, code: EngineWarningCode): void {
  const warning = Object.assign(new Error(message), { name: 'CacheWarning', code });
  Error.captureStackTrace(warning, warnOnce);
  process.emit('warning', warning);
}

/**
 * Says once per process why the cache is not doing its job (the cache never
 * breaks a compile; it degrades to compiling and says so once). Every
 * occurrence also goes to the `cache:engine:warning` diagnostics channel.
 * `once` narrows "once" when one code covers several things each worth
 * saying (a preload file each): once per code and that key.
 */
export function warnOnce(code: EngineWarningCode, message: string, once?: string): void {
  if (warningChannel.hasSubscribers) warningChannel.publish({ code, message });
  const key = once === undefined ? code : `${code}\0${once}`;
  if (emitted.has(key)) return;
  emitted.add(key);
  if (deliverNow > 0) emitWarningNow(message, code);
  else process.emitWarning(message, { type: 'CacheWarning', code });
}
