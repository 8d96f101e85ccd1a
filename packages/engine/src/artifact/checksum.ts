import { createHash } from 'node:crypto';
import zlib from 'node:zlib';

/** How an artifact's payload is checksummed; recorded in the artifact. */
export const enum ChecksumKind {
  /** CRC-32 (zlib), about 4.5 GB/s here: cheap enough for the load path. */
  Crc32 = 1,
  /** The first 4 bytes of SHA-256, where the runtime has no `zlib.crc32` (Node < 20.15). */
  Sha256Prefix = 2,
}

const crc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

/** The checksum kind this runtime writes. */
export const PREFERRED_CHECKSUM: ChecksumKind = crc32 ? ChecksumKind.Crc32 : ChecksumKind.Sha256Prefix;

/** The 32-bit checksum of `data` of the given kind, or undefined when this runtime cannot compute it. */
export function checksum32(kind: number, data: Uint8Array): number | undefined {
  if (kind === ChecksumKind.Crc32) return crc32 ? crc32(data) >>> 0 : undefined;
  if (kind === ChecksumKind.Sha256Prefix) return createHash('sha256').update(data).digest().readUInt32LE(0);
  return undefined;
}

/** Hex SHA-256 of module bytes: the identity of a module. */
export function moduleHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
