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

/** CRC-32's polynomial, reflected (zlib's). */
const CRC32_POLYNOMIAL = 0xedb88320;

/** `a(x)·b(x) mod p(x)` over GF(2), CRC-32's reflected bit order (zlib's `multmodp`). */
function multiplyModP(a: number, b: number): number {
  let product = 0;
  for (let bit = 0x80000000; bit !== 0; bit >>>= 1) {
    if ((a & bit) !== 0) product ^= b;
    b = (b & 1) !== 0 ? (b >>> 1) ^ CRC32_POLYNOMIAL : b >>> 1;
  }
  return product >>> 0;
}

/** `x^(2^k) mod p(x)` for k = 0..63, squared from `x^1` (zlib's `x2n_table`, which repeats after 32). */
const X_TO_2_TO_K = ((): number[] => {
  const table = [0x40000000];
  for (let k = 1; k < 64; k++) table.push(multiplyModP(table[k - 1] as number, table[k - 1] as number));
  return table;
})();

/**
 * The CRC-32 of `A‖B` from the CRC-32s of `A` and `B` and `B`'s length
 * (zlib's `crc32_combine`), without reading either: `crc32(A‖B)` equals
 * `crc32(A)` shifted by `lengthB` zero bytes, XOR `crc32(B)`. For a fixed
 * `crc32(A)` and length, each `crc32(B)` gives a different result, so
 * `crc32Combine(crc32(A), c, n(B)) === crc32(A‖B)` holds exactly when
 * `c === crc32(B)`.
 */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  let shift = 0x80000000; // x^0
  // lengthB zero bytes are x^(8·lengthB): multiply by x^(2^k) for each bit k of 8·lengthB.
  let bits = lengthB;
  for (let k = 3; bits > 0; k++, bits = Math.floor(bits / 2)) {
    if (bits % 2 === 1) shift = multiplyModP(X_TO_2_TO_K[k] as number, shift);
  }
  return (multiplyModP(shift, crcA) ^ crcB) >>> 0;
}
