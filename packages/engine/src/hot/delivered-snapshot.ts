import { CacheConfig } from '@cache/config';
import { createStore } from '@cache/store';
import { ARTIFACT_HEADER_SIZE } from '../artifact/artifact-format.js';
import type { ProducerDelivery } from '../producer/producer-protocol.js';
import { grewEnough, storedSnapshotBytes } from './stored-snapshot.js';

/**
 * For the detached writer of a hot snapshot handed over at exit: the payload
 * bytes of the snapshot the store holds now under the delivery's key, when
 * the one handed over is not larger by the growth rule (undefined when it is
 * to be written: larger, or nothing comparable stored, or the store could
 * not be asked). The exiting process compared only with what it knew of
 * (nothing, after a miss); another process that compiled the module at the
 * same time may have stored more code since, which a lighter run's snapshot
 * must not replace. The store is opened as the writer opens it to write.
 */
export async function largerSnapshotStored(delivery: Extract<ProducerDelivery, { kind: 'store' }>, artifact: Uint8Array): Promise<number | undefined> {
  try {
    const { enabled, ...rest } = delivery.settings;
    const config = CacheConfig.default().merge({ ...rest, enabled: enabled !== false }, 'producer job');
    const store = await createStore(config, { namespace: delivery.namespace, compression: delivery.compression });
    try {
      const stored = await storedSnapshotBytes(store, delivery.key, artifact);
      return stored > 0 && !grewEnough(artifact.byteLength - ARTIFACT_HEADER_SIZE, stored) ? stored : undefined;
    } finally {
      await store.close();
    }
  } catch {
    // Not asked: the snapshot is written, as before (a fault the write meets is the write's).
    return undefined;
  }
}
