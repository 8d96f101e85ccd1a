import { NativeUnavailableError, type Engine } from '@cache/engine';
import { DiskStore, UnsafeDirectoryError } from '@cache/store';

/**
 * Refuses the cache directory of `engine` when its store would: opens, and
 * closes again, the disk store the engine opens for this process (its
 * namespace is the engine's fingerprint), whose opening checks both the
 * directory and that namespace's folder. The engine itself turns the store's
 * refusal into a warning and compiles without the cache (a cache problem must
 * not stop a program: `run` leaves it so); `compile`, whose work is filling
 * the cache, calls this first, so that the refusal is its error (exit 5)
 * rather than "not cached" after a compile for nothing.
 *
 * Nothing is checked when the engine caches nothing anyway (the cache
 * disabled; the native addon unusable, which the engine says itself). Any
 * other failure to open the store is left to the engine, which says it and
 * compiles without the cache (a fault the store meets opening, such as a
 * folder it cannot create, is then said by both stores).
 *
 * @throws UnsafeDirectoryError (`ERR_CACHE_STORE_UNSAFE_DIRECTORY`: exit 5)
 * naming the directory and why: writable by others without the sticky bit,
 * or owned by another user.
 */
export async function refuseUnsafeDirectory(engine: Engine): Promise<void> {
  if (!engine.cache.enabled) return;
  let namespace: string;
  try {
    namespace = await engine.precompileCompatibilityHash();
  } catch (error) {
    if (error instanceof NativeUnavailableError) return;
    throw error;
  }
  let store: DiskStore;
  try {
    // Nothing is read or written: no codec to load, no worker to start.
    store = await DiskStore.open(engine.cache.config, { namespace, compression: false, background: 'inline' });
  } catch (error) {
    if (error instanceof UnsafeDirectoryError) throw error;
    return;
  }
  await store.close();
}
