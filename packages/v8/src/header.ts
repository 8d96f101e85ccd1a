import { BadHeaderError, InvalidArgumentError } from './errors.js';
import { isUint8Array } from './wasm-types.js';

/** Length in bytes of the header V8 writes in front of serialized wasm code. */
export const SERIALIZED_HEADER_SIZE = 16;

/**
 * The four little-endian 32-bit words V8 writes at the start of serialized wasm
 * code. `SetCompiledModuleBytes` accepts a blob only when all four equal the
 * loading process's values; nothing after the header is checked by V8.
 */
export interface SerializedHeader {
  /** `0xC0DE0000 ^ <size of V8's external reference table>`: differs between V8 versions. */
  magic: number;
  /** Hash of V8's version (major, minor, build, patch). */
  versionHash: number;
  /** Bit set of the CPU features V8 detected and may have used in the code. */
  cpuFeatures: number;
  /** Hash of every V8 flag's value (any non-default flag changes it). */
  flagHash: number;
  /** The same 16 bytes as 32 lowercase hex digits, usable as a key part. */
  hex: string;
}

/**
 * Reads the 16-byte header of serialized wasm code (pure JS, no addon needed).
 *
 * @throws {BadHeaderError} fewer than 16 bytes, or no V8 magic (`0xC0DE....`).
 */
export function readSerializedHeader(bytes: Uint8Array): SerializedHeader {
  if (!isUint8Array(bytes)) {
    throw new InvalidArgumentError('readSerializedHeader: bytes must be a Uint8Array');
  }
  if (bytes.byteLength < SERIALIZED_HEADER_SIZE) {
    throw new BadHeaderError(
      `serialized wasm code has ${bytes.byteLength} bytes, fewer than the ${SERIALIZED_HEADER_SIZE}-byte header`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, SERIALIZED_HEADER_SIZE);
  const magic = view.getUint32(0, true);
  if (magic >>> 16 !== 0xc0de) {
    throw new BadHeaderError(`not V8 serialized wasm code: magic 0x${magic.toString(16).padStart(8, '0')}`);
  }
  let hex = '';
  for (const byte of bytes.subarray(0, SERIALIZED_HEADER_SIZE)) hex += byte.toString(16).padStart(2, '0');
  return {
    magic,
    versionHash: view.getUint32(4, true),
    cpuFeatures: view.getUint32(8, true),
    flagHash: view.getUint32(12, true),
    hex,
  };
}

/** True when two headers are equal, i.e. V8 would accept code made with one in a process with the other. */
export function sameHeader(a: SerializedHeader, b: SerializedHeader): boolean {
  return a.hex === b.hex;
}
