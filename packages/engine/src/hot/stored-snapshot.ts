import type { Store } from '@cache/store';
import { ARTIFACT_HEADER_SIZE, ARTIFACT_VERSION, peekLayoutVersion, peekModuleHash } from '../artifact/artifact-format.js';

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

/** The fields of an artifact's header that say which module, engine and tier it is for, and its payload's length. */
interface SnapshotHeader {
  readonly moduleHash: string;
  readonly fingerprintId: string;
  readonly tier: number;
  readonly payloadBytes: number;
}

/**
 * Reads an artifact's header (see the layout in `artifact-format.ts`: tier at
 * 6, fingerprint id at 8, module hash at 24, payload length at 56), checking
 * nothing but its magic and layout version; undefined for bytes that do not
 * start like an artifact of this layout.
 */
function readHeader(head: Uint8Array): SnapshotHeader | undefined {
  if (head.byteLength < ARTIFACT_HEADER_SIZE || peekLayoutVersion(head) !== ARTIFACT_VERSION) return undefined;
  const moduleHash = peekModuleHash(head);
  if (moduleHash === undefined) return undefined;
  const view = new DataView(head.buffer, head.byteOffset, ARTIFACT_HEADER_SIZE);
  const payloadBytes = view.getBigUint64(56, true);
  if (payloadBytes > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  return {
    moduleHash,
    fingerprintId: Buffer.from(head.buffer, head.byteOffset + 8, 12).toString('hex'),
    tier: view.getUint8(6),
    payloadBytes: Number(payloadBytes),
  };
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
  const own = readHeader(artifact);
  if (!own) return 0;
  let head: Uint8Array | undefined;
  try {
    head = store.peek ? await store.peek(key, ARTIFACT_HEADER_SIZE) : await store.get(key);
  } catch {
    return 0;
  }
  const stored = head && readHeader(head);
  if (!stored || stored.moduleHash !== own.moduleHash || stored.fingerprintId !== own.fingerprintId || stored.tier !== own.tier) return 0;
  return stored.payloadBytes;
}
