import { sha256Steps } from './checksum.js';
import { moduleHash } from './module-hash.js';

/**
 * Modules larger than this are looked up in the store by a sampled id (see
 * {@link lookupId}); smaller ones by their module hash, which takes under
 * 2.5 ms for 4 MiB here.
 */
export const SAMPLED_LOOKUP_MIN_BYTES = 4 * 1024 * 1024;

/** Blocks of the module a sampled id covers, evenly spaced, the first and the last included. */
export const SAMPLED_LOOKUP_BLOCKS = 64;

/** Bytes of each sampled block (64 × 16 KiB: 1 MiB hashed, about 0.6 ms). */
export const SAMPLED_LOOKUP_BLOCK_BYTES = 16 * 1024;

/**
 * The id a module's artifact is looked up by in the store. For a module up to
 * {@link SAMPLED_LOOKUP_MIN_BYTES} it is the module hash itself. For a larger
 * one it is `s` plus the SHA-256 of its length and of 64 blocks of 16 KiB
 * spread over it: cheap to compute, so the store can read the artifact while
 * the full module hash is computed, instead of after it.
 *
 * A sampled id only finds the artifact: two modules may share one (same
 * length, same samples). Every artifact carries its module's hash (of all of
 * its bytes, see `moduleHash`), and the engine compares that with the hash of
 * the bytes being compiled before anything reaches V8.
 */
export function lookupId(bytes: Uint8Array): string {
  if (bytes.byteLength <= SAMPLED_LOOKUP_MIN_BYTES) return moduleHash(bytes);
  const hash = sha256Steps();
  const length = new Uint8Array(8);
  new DataView(length.buffer).setBigUint64(0, BigInt(bytes.byteLength), true);
  hash.update(length);
  const span = bytes.byteLength - SAMPLED_LOOKUP_BLOCK_BYTES;
  for (let block = 0; block < SAMPLED_LOOKUP_BLOCKS; block++) {
    const start = Math.floor((span * block) / (SAMPLED_LOOKUP_BLOCKS - 1));
    hash.update(bytes.subarray(start, start + SAMPLED_LOOKUP_BLOCK_BYTES));
  }
  return `s${hash.hex()}`;
}

/** Whether a lookup id is the module hash itself (not sampled). */
export function isExactLookup(id: string): boolean {
  return !id.startsWith('s');
}
