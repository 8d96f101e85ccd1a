import { NativeUnavailableError, type Engine } from '@cache/engine';
import { assertSafeStoreDirectories } from '@cache/store';

/**
 * Refuses the cache directory of `engine` when its store would: checks, as
 * opening the store does, the directory and the folder of the engine's
 * namespace (its fingerprint), creating and writing nothing. The engine
 * itself turns the store's refusal into a warning and compiles without the
 * cache (a cache problem must not stop a program: `run` leaves it so);
 * `compile`, whose work is filling the cache, calls this first, so that the
 * refusal is its error (exit 5) rather than "not cached" after a compile for
 * nothing.
 *
 * Nothing is checked when the engine caches nothing anyway (the cache
 * disabled; the native addon unusable, which the engine says itself). A
 * folder that cannot be looked at is left to the engine, which says why when
 * it opens the store and compiles without the cache.
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
  await assertSafeStoreDirectories(engine.cache.config.directory, namespace);
}
