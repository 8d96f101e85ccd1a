import { InvalidStoreOptionError } from '../errors/store-error.js';
import { nodeCrypto, nodeZlib } from '../node/node-builtin.js';

/**
 * SHA-256 and CRC-32, the two digests the disk store computes on every read
 * and write (the file name of a key, the checksum of an entry): standard
 * functions, so any implementation gives the same names and checksums.
 */
export interface StoreDigests {
  /** SHA-256 of `data`: 32 bytes. */
  sha256(data: Uint8Array): Uint8Array;
  /** CRC-32 (ISO-HDLC, zlib's) of `data` as an unsigned 32-bit integer. */
  crc32(data: Uint8Array): number;
}

let provided: StoreDigests | undefined;

const ABC = new Uint8Array([0x61, 0x62, 0x63]);
const DIGITS = new Uint8Array([0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39]);
const SHA256_ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
const CRC32_DIGITS = 0xcbf43926;

/**
 * Has every store of this copy of the package compute its digests with
 * `digests` instead of `node:crypto` and `node:zlib`, which reading an entry
 * then never loads (3-6 ms of a fresh process's start, more than the read).
 * `@cache/engine` passes the ones of the native addon (`@cache/v8`), which
 * runs the same OpenSSL and zlib inside Node. Both functions are checked
 * against the standard test vectors first, so an implementation that would
 * name or check entries differently is refused.
 *
 * @throws InvalidStoreOptionError when a function is missing or gives a wrong digest.
 */
export function provideDigests(digests: StoreDigests): void {
  let sha: string | undefined;
  let crc: number | undefined;
  try {
    sha = Buffer.from(digests.sha256(ABC)).toString('hex');
    crc = digests.crc32(DIGITS);
  } catch (error) {
    throw new InvalidStoreOptionError('digests', `its functions failed on a test vector: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (sha !== SHA256_ABC) throw new InvalidStoreOptionError('digests', `sha256("abc") gave ${sha}, not ${SHA256_ABC}`);
  if (crc !== CRC32_DIGITS) throw new InvalidStoreOptionError('digests', `crc32("123456789") gave ${String(crc)}, not ${CRC32_DIGITS} (0xcbf43926)`);
  provided = digests;
}

/** SHA-256 of `data` by the provided digests, else `node:crypto`. */
export function sha256(data: Uint8Array): Buffer {
  if (provided) {
    const digest = provided.sha256(data);
    return Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength);
  }
  return nodeCrypto().createHash('sha256').update(data).digest();
}

/** CRC-32 of `data` by the provided digests, else `zlib.crc32`; undefined where neither exists (Node < 20.15). */
export function crc32(data: Uint8Array): number | undefined {
  if (provided) return provided.crc32(data);
  const zlibCrc32 = (nodeZlib() as { crc32?: (data: Uint8Array) => number }).crc32;
  return zlibCrc32 ? zlibCrc32(data) >>> 0 : undefined;
}

/**
 * Whether `zlib.crc32` exists in this Node (20.15+, 22.2+), known from the
 * version alone so that deciding a format does not load `node:zlib`.
 */
export function zlibHasCrc32(versions: string = process.versions.node): boolean {
  const [major = 0, minor = 0] = versions.split('.').map(Number);
  return major >= 23 || (major === 22 && minor >= 2) || (major === 20 && minor >= 15);
}
