import type { Store } from '@cache/store';
import { ARTIFACT_HEADER_SIZE, peekArtifactHeader } from '../artifact/artifact-format.js';

/**
 * A snapshot is stored only when it holds this much more code than what is
 * stored already (a fraction of that size): each run adds what it made hot,
 * and a run that made nothing new hot writes nothing.
 */
export const HOT_SNAPSHOT_MIN_GROWTH = 0.05;

/** Whether a snapshot of `bytes` of V8 code is worth storing over one of `storedBytes` (the growth rule). */
export function grewEnough(bytes: number, storedBytes: number): boolean {
  return bytes > storedBytes * (1 + HOT_SNAPSHOT_MIN_GROWTH);
}

/**
 * The payload bytes of what the store holds now under `key`, when that is an
 * artifact for the same module, engine fingerprint and tier as `artifact`
 * (the snapshot about to be stored); 0 otherwise: nothing stored, something
 * unreadable or damaged in its header (which the snapshot replaces), or
 * another module's or engine's artifact (never compared).
 *
 * Another process may have stored a snapshot since this one last looked (it
 * compiled the module at the same time, and ran it harder): the growth rule
 * compares with that one, so a lighter run does not replace a heavier run's
 * code. Only the header is read where the store can peek (`Store.peek`);
 * else the value is read whole, as the store contract says. A store that
 * throws counts as holding nothing: the snapshot is stored as before.
 */
export async function storedSnapshotBytes(store: Store, key: string, artifact: Uint8Array): Promise<number> {
  const own = peekArtifactHeader(artifact);
  if (!own) return 0;
  let head: Uint8Array | undefined;
  try {
    head = store.peek ? await store.peek(key, ARTIFACT_HEADER_SIZE) : await store.get(key);
  } catch {
    return 0;
  }
  const stored = head && peekArtifactHeader(head);
  if (!stored || stored.moduleHash !== own.moduleHash || stored.fingerprintId !== own.fingerprintId || stored.tierCode !== own.tierCode) return 0;
  return stored.payloadLength;
}

/**
 * For the detached writer of a hot snapshot handed over at exit: the payload
 * bytes of the snapshot the store holds now under `key`, when the one handed
 * over is not larger by the growth rule; undefined when it is to be written
 * (larger, or nothing comparable stored, or the store could not be asked).
 * The exiting process compared only with what it knew of (nothing, after a
 * miss); another process that compiled the module at the same time may have
 * stored more code since, which a lighter run's snapshot must not replace.
 */
export async function largerSnapshotStored(store: Store, key: string, artifact: Uint8Array): Promise<number | undefined> {
  const stored = await storedSnapshotBytes(store, key, artifact);
  return stored > 0 && !grewEnough(artifact.byteLength - ARTIFACT_HEADER_SIZE, stored) ? stored : undefined;
}
