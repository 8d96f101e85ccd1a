import { nativeDigests } from '@cache/v8';
import { nodeBuiltin } from '../node/node-builtin.js';

/** How an artifact's payload is checksummed; recorded in the artifact. */
export const enum ChecksumKind {
  /** CRC-32 (zlib), about 4.5 GB/s here: cheap enough for the load path. */
  Crc32 = 1,
  /** The first 4 bytes of SHA-256, where the runtime has no CRC-32 (Node < 20.15 without the addon). */
  Sha256Prefix = 2,
}

const nodeCrypto = (): typeof import('node:crypto') => nodeBuiltin('node:crypto');

/** CRC-32 by the addon (Node's zlib, without loading `node:zlib`), else `zlib.crc32`; undefined where neither exists. */
function crc32Function(): ((data: Uint8Array) => number) | undefined {
  const native = nativeDigests();
  if (native) return native.crc32;
  const zlibCrc32 = (nodeBuiltin<typeof import('node:zlib')>('node:zlib') as { crc32?: (data: Uint8Array) => number }).crc32;
  return zlibCrc32 ? (data) => zlibCrc32(data) >>> 0 : undefined;
}

/**
 * SHA-256 of `data` by the addon (Node's OpenSSL, without loading
 * `node:crypto`, 3-5 ms of a fresh process), else by `node:crypto`.
 */
export function sha256(data: Uint8Array): Buffer {
  const native = nativeDigests();
  if (!native) return nodeCrypto().createHash('sha256').update(data).digest();
  const digest = native.sha256(data);
  return Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength);
}

/** A SHA-256 fed in steps. */
export interface Sha256Steps {
  update(data: Uint8Array): Sha256Steps;
  /** The digest as hex. */
  hex(): string;
}

/** A SHA-256 in steps (for a large module hashed between turns of the event loop): the addon's, else `node:crypto`'s. */
export function sha256Steps(): Sha256Steps {
  const native = nativeDigests()?.createSha256();
  if (native) {
    const steps: Sha256Steps = { update: (data) => (native.update(data), steps), hex: () => Buffer.from(native.digest()).toString('hex') };
    return steps;
  }
  const hash = nodeCrypto().createHash('sha256');
  const steps: Sha256Steps = { update: (data) => (hash.update(data), steps), hex: () => hash.digest('hex') };
  return steps;
}

/** The checksum kind this runtime writes: CRC-32 wherever it can be computed. */
export function preferredChecksum(): ChecksumKind {
  return crc32Function() ? ChecksumKind.Crc32 : ChecksumKind.Sha256Prefix;
}

/** The 32-bit checksum of `data` of the given kind, or undefined when this runtime cannot compute it. */
export function checksum32(kind: number, data: Uint8Array): number | undefined {
  if (kind === ChecksumKind.Crc32) return crc32Function()?.(data);
  if (kind === ChecksumKind.Sha256Prefix) return sha256(data).readUInt32LE(0);
  return undefined;
}
