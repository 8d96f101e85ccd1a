import { CODEC_NONE, type Codec } from '../compression/codec.js';
import { crc32, sha256, zlibHasCrc32 } from '../digests/digests.js';
import { CompressedDataError } from '../errors/store-error.js';

/** First bytes of every entry: `WMCE` (WebAssembly module cache entry). */
export const ENTRY_MAGIC = 0x45434d57; // 'WMCE' read little-endian
/** Version of the entry layout inside the `v1/` directory. */
export const ENTRY_VERSION = 1;
/** Fixed header length; the key's UTF-8 bytes and then the payload follow. */
export const HEADER_LENGTH = 64;

/**
 * The fixed header, little-endian:
 *
 * | offset | size | field |
 * |---|---|---|
 * | 0 | 4 | magic `WMCE` |
 * | 4 | 1 | entry version (1) |
 * | 5 | 1 | codec: 0 none, 1 zstd |
 * | 6 | 1 | compression level (0 when none) |
 * | 7 | 1 | checksum kind: 0 SHA-256 (32 bytes), 1 CRC-32 (first 4 bytes, rest 0) |
 * | 8 | 4 | key length in bytes |
 * | 12 | 4 | reserved, 0 |
 * | 16 | 8 | content length (uncompressed) |
 * | 24 | 8 | payload length (as stored) |
 * | 32 | 32 | checksum of the uncompressed content |
 */
export interface EntryHeader {
  readonly codec: number;
  readonly level: number;
  readonly keyLength: number;
  readonly contentLength: number;
  readonly payloadLength: number;
  readonly checksumKind: number;
  readonly checksum: Buffer;
}

/** An entry ready to be written: its parts in order. */
export interface EncodedEntry {
  readonly parts: readonly Uint8Array[];
  readonly totalLength: number;
  readonly codec: number;
  readonly level: number;
}

/** Checksum kind 0: SHA-256. */
export const CHECKSUM_SHA256 = 0;
/** Checksum kind 1: CRC-32 (zlib), about 3x faster than SHA-256 here; what new entries use where the runtime has it. */
export const CHECKSUM_CRC32 = 1;
/** A checksum kind an entry records in its header. */
export type ChecksumKind = typeof CHECKSUM_SHA256 | typeof CHECKSUM_CRC32;

/**
 * The kind new entries use: CRC-32 where `zlib.crc32` exists (Node 20.15+,
 * 22.2+; known from the version, without loading `node:zlib`), else SHA-256. The checksum guards against damage (torn writes, bit flips,
 * truncation), not against someone who can write to the directory: that is
 * the directory's permissions' job (see `assertSafeDirectory`), or signed
 * entries'.
 */
export const DEFAULT_CHECKSUM: ChecksumKind = zlibHasCrc32() ? CHECKSUM_CRC32 : CHECKSUM_SHA256;

/** The 32-byte checksum field for `data`, or undefined for a kind this runtime cannot compute. */
export function checksum(data: Uint8Array, kind: number = CHECKSUM_SHA256): Buffer | undefined {
  if (kind === CHECKSUM_SHA256) return sha256(data);
  const crc = kind === CHECKSUM_CRC32 ? crc32(data) : undefined;
  if (crc === undefined) return undefined;
  const field = Buffer.alloc(32);
  field.writeUInt32LE(crc, 0);
  return field;
}

/**
 * Encodes `value` under `key`, compressed with `codec` at `level` when that
 * makes it smaller (stored as is otherwise, or when `codec` is undefined).
 * The checksum may be passed when already known (recompression); new ones use
 * {@link DEFAULT_CHECKSUM}.
 */
export async function encodeEntry(
  key: string,
  value: Uint8Array,
  codec: Codec | undefined,
  level: number,
  known?: { readonly checksum: Buffer; readonly checksumKind: number },
): Promise<EncodedEntry> {
  const keyBytes = Buffer.from(key, 'utf8');
  let payload: Uint8Array = value;
  let codecId = CODEC_NONE;
  let usedLevel = 0;
  if (codec && value.byteLength > 0) {
    const compressed = await codec.compress(value, level);
    if (compressed.byteLength < value.byteLength) {
      payload = compressed;
      codecId = codec.id;
      usedLevel = level;
    }
  }
  const header = Buffer.alloc(HEADER_LENGTH);
  header.writeUInt32LE(ENTRY_MAGIC, 0);
  header.writeUInt8(ENTRY_VERSION, 4);
  header.writeUInt8(codecId, 5);
  header.writeUInt8(usedLevel, 6);
  let kind: number = known?.checksumKind ?? DEFAULT_CHECKSUM;
  let sum = known?.checksum ?? checksum(value, kind);
  if (sum === undefined) {
    // A runtime whose version promised zlib.crc32 without it: SHA-256 works everywhere.
    kind = CHECKSUM_SHA256;
    sum = checksum(value, kind) as Buffer;
  }
  header.writeUInt8(kind, 7);
  header.writeUInt32LE(keyBytes.byteLength, 8);
  header.writeBigUInt64LE(BigInt(value.byteLength), 16);
  header.writeBigUInt64LE(BigInt(payload.byteLength), 24);
  sum.copy(header, 32);
  return {
    parts: [header, keyBytes, payload],
    totalLength: HEADER_LENGTH + keyBytes.byteLength + payload.byteLength,
    codec: codecId,
    level: usedLevel,
  };
}

/**
 * The codec byte of an entry's header (offset 5), read without parsing or
 * checking the rest; undefined when `data` is shorter than a header.
 */
export function headerCodec(data: Uint8Array): number | undefined {
  return data.byteLength >= HEADER_LENGTH ? data[5] : undefined;
}

/** Parses the fixed header, or returns why it is not one. */
export function parseHeader(data: Uint8Array): EntryHeader | string {
  if (data.byteLength < HEADER_LENGTH) return 'truncated header';
  const view = Buffer.from(data.buffer, data.byteOffset, HEADER_LENGTH);
  if (view.readUInt32LE(0) !== ENTRY_MAGIC) return 'bad magic';
  if (view.readUInt8(4) !== ENTRY_VERSION) return `unknown entry version ${view.readUInt8(4)}`;
  const contentLength = view.readBigUInt64LE(16);
  const payloadLength = view.readBigUInt64LE(24);
  if (contentLength > BigInt(Number.MAX_SAFE_INTEGER) || payloadLength > BigInt(Number.MAX_SAFE_INTEGER)) return 'length out of range';
  return {
    codec: view.readUInt8(5),
    level: view.readUInt8(6),
    keyLength: view.readUInt32LE(8),
    contentLength: Number(contentLength),
    payloadLength: Number(payloadLength),
    checksumKind: view.readUInt8(7),
    checksum: Buffer.from(view.subarray(32, 64)),
  };
}

/** The outcome of decoding a whole entry file. */
export type DecodeResult =
  | {
      readonly ok: true;
      readonly value: Uint8Array;
      readonly header: EntryHeader;
      /** The CRC-32 of `value`, computed and found equal to the recorded one, when the entry is checksummed with CRC-32. */
      readonly contentCrc32?: number;
    }
  | { readonly ok: false; readonly corrupt: true; readonly reason: string }
  | { readonly ok: false; readonly corrupt: false; readonly reason: string }
  | {
      readonly ok: false;
      readonly corrupt: false;
      /** Its header's content length is past `maxContentLength`: intact as far as checked, and not decompressed. */
      readonly tooLarge: true;
      readonly reason: string;
    }
  | {
      readonly ok: false;
      readonly corrupt: false;
      /** Its zstd payload could decompress to far more than its content length, and this codec cannot stop at a length: not decompressed, not damage. */
      readonly unbounded: true;
      readonly reason: string;
    };

/** Options of {@link decodeEntry}. */
export interface DecodeOptions {
  /**
   * The largest content accepted: an entry whose header says it holds more
   * is refused (`tooLarge`) once its header, length and key are checked,
   * before a byte is decompressed. Unbounded when undefined.
   */
  readonly maxContentLength?: number;
}

/**
 * Decodes and verifies a whole entry file read for `key`: magic, version,
 * lengths, the key itself (a swapped file is caught), decompression and the
 * checksum of the content. `corrupt: false` means it could not be checked
 * here (a codec this process lacks; `tooLarge`: a content larger than
 * `options.maxContentLength`), not that it is damaged. Decompression is
 * bounded by the content length the header records (see `Codec.decompress`):
 * a payload that would decompress to more is damage, found without
 * decompressing it whole.
 */
export async function decodeEntry(data: Uint8Array, key: string | undefined, codec: Codec | undefined, options: DecodeOptions = {}): Promise<DecodeResult> {
  const header = parseHeader(data);
  if (typeof header === 'string') return { ok: false, corrupt: true, reason: header };
  const expectedLength = HEADER_LENGTH + header.keyLength + header.payloadLength;
  if (data.byteLength !== expectedLength) {
    return { ok: false, corrupt: true, reason: `file is ${data.byteLength} bytes, header says ${expectedLength}` };
  }
  const keyBytes = data.subarray(HEADER_LENGTH, HEADER_LENGTH + header.keyLength);
  if (key !== undefined && Buffer.compare(keyBytes, Buffer.from(key, 'utf8')) !== 0) {
    return { ok: false, corrupt: true, reason: 'entry holds another key' };
  }
  // Stored as is, the content is the payload: a content length that says otherwise is damage (a flipped bit of
  // the header), not an entry too large for this store.
  if (header.codec === CODEC_NONE && header.payloadLength !== header.contentLength) {
    return { ok: false, corrupt: true, reason: 'stored length differs from content length' };
  }
  if (options.maxContentLength !== undefined && header.contentLength > options.maxContentLength) {
    return { ok: false, corrupt: false, tooLarge: true, reason: `content of ${header.contentLength} bytes exceeds ${options.maxContentLength}` };
  }
  const payload = data.subarray(HEADER_LENGTH + header.keyLength);
  let value: Uint8Array;
  if (header.codec === CODEC_NONE) {
    value = payload;
  } else if (codec && header.codec === codec.id) {
    try {
      value = await codec.decompress(payload, header.contentLength);
    } catch (error) {
      // Not decompressed for what it could decompress to, by a codec that cannot stop at a length: kept, not damage.
      if (error instanceof CompressedDataError && !error.damaged) return { ok: false, corrupt: false, unbounded: true, reason: error.message };
      return { ok: false, corrupt: true, reason: `decompression failed: ${error instanceof Error ? error.message : String(error)}` };
    }
  } else if (header.codec === 1) {
    return { ok: false, corrupt: false, reason: 'entry is zstd-compressed and no zstd codec is loaded' };
  } else {
    return { ok: false, corrupt: true, reason: `unknown codec ${header.codec}` };
  }
  if (value.byteLength !== header.contentLength) return { ok: false, corrupt: true, reason: 'content length mismatch' };
  const actual = checksum(value, header.checksumKind);
  if (actual === undefined) return { ok: false, corrupt: true, reason: `unknown checksum kind ${header.checksumKind}` };
  if (!actual.equals(header.checksum)) return { ok: false, corrupt: true, reason: 'checksum mismatch' };
  return header.checksumKind === CHECKSUM_CRC32 ? { ok: true, value, header, contentCrc32: actual.readUInt32LE(0) } : { ok: true, value, header };
}

/** Reads the key out of an entry's first bytes, or undefined when they are not a valid header. */
export function keyFromPrefix(prefix: Uint8Array): { keyLength: number; key?: string } | undefined {
  const header = parseHeader(prefix);
  if (typeof header === 'string') return undefined;
  if (prefix.byteLength < HEADER_LENGTH + header.keyLength) return { keyLength: header.keyLength };
  return { keyLength: header.keyLength, key: Buffer.from(prefix.subarray(HEADER_LENGTH, HEADER_LENGTH + header.keyLength)).toString('utf8') };
}
