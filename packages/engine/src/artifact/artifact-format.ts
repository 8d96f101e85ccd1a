import type { ArtifactTier } from '@cache/config';
import { readSerializedHeader, SERIALIZED_HEADER_SIZE } from '@cache/v8';
import { ArtifactIncompatibleError, ArtifactInvalidError } from '../errors/engine-errors.js';
import type { EngineFingerprint } from '../fingerprint/engine-fingerprint.js';
import { checksum32, ChecksumKind, crc32Combine, preferredChecksum } from './checksum.js';

/** `WMCA`: WebAssembly module cache artifact. */
const MAGIC = 0x41434d57;
/**
 * Version of this layout: 2 since a module over 4 MiB is named by the SHA-256
 * of its pieces (`moduleHash`); 1 named every module by the SHA-256 of all its
 * bytes. Part of the engine fingerprint, so artifacts of another version are
 * in another store namespace, and never the same compatibility hash.
 */
export const ARTIFACT_VERSION = 2;
/** Bytes before the payload. */
export const ARTIFACT_HEADER_SIZE = 72;

/** Which code an artifact holds (see `Config.withArtifactTier`). */
export type { ArtifactTier };

const TIER_CODES: Record<ArtifactTier, number> = { full: 1, hot: 2 };

/**
 * An artifact, little-endian:
 *
 * | offset | size | field |
 * |---|---|---|
 * | 0 | 4 | magic `WMCA` |
 * | 4 | 2 | layout version (2) |
 * | 6 | 1 | tier (1: every function compiled by TurboFan; 2: the functions that were hot in the process that saved it) |
 * | 7 | 1 | checksum kind (1: CRC-32, 2: SHA-256 prefix) |
 * | 8 | 12 | engine fingerprint id (24 hex digits) |
 * | 20 | 4 | optimizing compile time, ms (for the time-saved statistic) |
 * | 24 | 32 | module hash of the module's wire bytes (`moduleHash`) |
 * | 56 | 8 | payload length |
 * | 64 | 4 | payload checksum |
 * | 68 | 4 | reserved, 0 |
 * | 72 | ... | payload: V8's serialized code, starting with V8's own 16-byte header |
 */
export interface ArtifactFields {
  readonly tier: ArtifactTier;
  readonly fingerprintId: string;
  readonly compileMs: number;
  readonly moduleHash: string;
  /** V8's serialized code (a view into the artifact, no copy). */
  readonly payload: Uint8Array;
}

/** Wraps V8's serialized code into an artifact. */
export function encodeArtifact(fields: Omit<ArtifactFields, 'payload'> & { payload: Uint8Array }): Uint8Array {
  const artifact = new Uint8Array(ARTIFACT_HEADER_SIZE + fields.payload.byteLength);
  const view = new DataView(artifact.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint16(4, ARTIFACT_VERSION, true);
  view.setUint8(6, TIER_CODES[fields.tier]);
  const checksumKind = preferredChecksum();
  view.setUint8(7, checksumKind);
  artifact.set(Buffer.from(fields.fingerprintId, 'hex').subarray(0, 12), 8);
  view.setUint32(20, Math.min(0xffffffff, Math.max(0, Math.round(fields.compileMs))), true);
  artifact.set(Buffer.from(fields.moduleHash, 'hex'), 24);
  view.setBigUint64(56, BigInt(fields.payload.byteLength), true);
  view.setUint32(64, checksum32(checksumKind, fields.payload) ?? 0, true);
  artifact.set(fields.payload, ARTIFACT_HEADER_SIZE);
  return artifact;
}

/**
 * Whether an artifact's payload has the checksum its header records
 * (undefined for a kind this runtime cannot compute). Given the CRC-32 of the
 * whole artifact as read (`contentCrc32`), a CRC-32 is checked without
 * reading the payload: `crc32(header‖payload)` equals
 * `crc32Combine(crc32(header), expected, payload length)` exactly when
 * `crc32(payload)` equals `expected`.
 */
function payloadMatchesChecksum(artifact: Uint8Array, kind: number, expected: number, contentCrc32: number | undefined): boolean | undefined {
  const payloadLength = artifact.byteLength - ARTIFACT_HEADER_SIZE;
  if (kind === ChecksumKind.Crc32 && contentCrc32 !== undefined) {
    const headerCrc = checksum32(kind, artifact.subarray(0, ARTIFACT_HEADER_SIZE));
    if (headerCrc !== undefined) return crc32Combine(headerCrc, expected, payloadLength) === contentCrc32 >>> 0;
  }
  const actual = checksum32(kind, artifact.subarray(ARTIFACT_HEADER_SIZE));
  return actual === undefined ? undefined : actual === expected;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Options of {@link decodeArtifact}. */
export interface DecodeOptions {
  /**
   * Check the payload's checksum. Skip it only for bytes already checked
   * against this artifact's own checksum since they were read: a store's
   * checksum (`capabilities.verifiesContent`) covers the bytes as they were
   * put, not damage done before. Every other check still runs. (`Engine`
   * always checks it.)
   * @default true
   */
  verifyChecksum?: boolean;
  /**
   * The CRC-32 of the whole artifact (header and payload) as a store
   * computed it over exactly these bytes while reading and verifying them
   * (`DiskStore.verifiedContentCrc32`). A CRC-32 payload checksum is then
   * checked against it by CRC-32's combination rule instead of by reading
   * the payload again: the same check, one pass over the bytes fewer. Only
   * for bytes no code has changed since that read.
   */
  contentCrc32?: number;
}

/**
 * Reads an artifact and checks that it is intact: magic, version, lengths,
 * payload checksum, and V8's header at the start of the payload.
 *
 * @throws ArtifactInvalidError naming the defect.
 */
export function decodeArtifact(artifact: Uint8Array, options: DecodeOptions = {}): ArtifactFields {
  if (!(artifact instanceof Uint8Array) || artifact.byteLength < ARTIFACT_HEADER_SIZE + SERIALIZED_HEADER_SIZE) {
    throw new ArtifactInvalidError('truncated', `${artifact instanceof Uint8Array ? artifact.byteLength : 0} bytes is shorter than any artifact`);
  }
  const view = new DataView(artifact.buffer, artifact.byteOffset, artifact.byteLength);
  if (view.getUint32(0, true) !== MAGIC) throw new ArtifactInvalidError('bad-magic', 'not an artifact of this cache');
  const version = view.getUint16(4, true);
  if (version !== ARTIFACT_VERSION) {
    const by = version < ARTIFACT_VERSION ? 'an earlier' : 'a later';
    throw new ArtifactInvalidError('unsupported-version', `layout version ${version}, expected ${ARTIFACT_VERSION}: made by ${by} version of @cache/engine; precompile it again with this one`);
  }
  const tierCode = view.getUint8(6);
  const tier = (Object.keys(TIER_CODES) as ArtifactTier[]).find((t) => TIER_CODES[t] === tierCode);
  if (tier === undefined) throw new ArtifactInvalidError('unsupported-version', `unknown tier ${tierCode}`);
  const payloadLength = view.getBigUint64(56, true);
  if (payloadLength !== BigInt(artifact.byteLength - ARTIFACT_HEADER_SIZE)) {
    throw new ArtifactInvalidError('length-mismatch', `payload should be ${payloadLength} bytes, artifact holds ${artifact.byteLength - ARTIFACT_HEADER_SIZE}`);
  }
  const payload = artifact.subarray(ARTIFACT_HEADER_SIZE);
  if (options.verifyChecksum !== false) {
    const matches = payloadMatchesChecksum(artifact, view.getUint8(7), view.getUint32(64, true), options.contentCrc32);
    if (matches === undefined) throw new ArtifactInvalidError('unsupported-version', `unknown checksum kind ${view.getUint8(7)}`);
    if (!matches) throw new ArtifactInvalidError('checksum-mismatch', 'the payload does not match its checksum');
  }
  try {
    readSerializedHeader(payload);
  } catch {
    throw new ArtifactInvalidError('not-v8-code', 'the payload does not start with V8 serialized code');
  }
  return {
    tier,
    fingerprintId: fingerprintIdField(artifact),
    compileMs: view.getUint32(20, true),
    moduleHash: moduleHashField(artifact),
    payload,
  };
}

/**
 * The module hash an artifact names, read without checking anything else
 * (undefined when the bytes do not start like an artifact). For questions
 * only: nothing may reach V8 without {@link decodeArtifact} and
 * {@link checkArtifactBelongs}.
 */
export function peekModuleHash(artifact: Uint8Array): string | undefined {
  return startsLikeArtifact(artifact) ? moduleHashField(artifact) : undefined;
}

/**
 * The layout version an artifact's header names, read without checking
 * anything else (undefined when the bytes do not start like an artifact):
 * what tells an artifact of another version of this package, which
 * {@link decodeArtifact} refuses as `unsupported-version`, from a damaged one.
 */
export function peekLayoutVersion(artifact: Uint8Array): number | undefined {
  return startsLikeArtifact(artifact) ? new DataView(artifact.buffer, artifact.byteOffset, 6).getUint16(4, true) : undefined;
}

/** What an artifact's header says it is for, and how much code it holds (see {@link peekArtifactHeader}). */
export interface ArtifactHeaderFields {
  /** The tier's code (its byte in the header, unchecked). */
  readonly tierCode: number;
  readonly fingerprintId: string;
  readonly moduleHash: string;
  readonly payloadLength: number;
}

/**
 * An artifact's header fields (tier, fingerprint id, module hash, payload
 * length), read without checking anything but its magic and layout version
 * (undefined for bytes that do not start like an artifact of this layout).
 * For questions only, such as comparing two snapshots' sizes: nothing may
 * reach V8 without {@link decodeArtifact} and {@link checkArtifactBelongs}.
 */
export function peekArtifactHeader(artifact: Uint8Array): ArtifactHeaderFields | undefined {
  if (peekLayoutVersion(artifact) !== ARTIFACT_VERSION) return undefined;
  const view = new DataView(artifact.buffer, artifact.byteOffset, ARTIFACT_HEADER_SIZE);
  const payloadLength = view.getBigUint64(56, true);
  if (payloadLength > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  return { tierCode: view.getUint8(6), fingerprintId: fingerprintIdField(artifact), moduleHash: moduleHashField(artifact), payloadLength: Number(payloadLength) };
}

/** Whether bytes hold at least an artifact's header and start with its magic. */
function startsLikeArtifact(artifact: Uint8Array): boolean {
  return artifact.byteLength >= ARTIFACT_HEADER_SIZE && new DataView(artifact.buffer, artifact.byteOffset, 4).getUint32(0, true) === MAGIC;
}

/** The engine fingerprint id field of an artifact's header (offset 8, 12 bytes), as hex. */
function fingerprintIdField(artifact: Uint8Array): string {
  return hex(artifact.subarray(8, 20));
}

/** The module hash field of an artifact's header (offset 24, 32 bytes), as hex. */
function moduleHashField(artifact: Uint8Array): string {
  return hex(artifact.subarray(24, 56));
}

/**
 * Checks an intact artifact belongs to these module bytes and this engine.
 * Only after this may its payload be handed to V8.
 *
 * @throws ArtifactInvalidError when it is for another module or its V8 header disagrees with its fingerprint.
 * @throws ArtifactIncompatibleError when it was made by another engine.
 */
export function checkArtifactBelongs(fields: ArtifactFields, moduleHash: string, fingerprint: EngineFingerprint): void {
  if (fields.moduleHash !== moduleHash) {
    throw new ArtifactInvalidError('module-mismatch', `artifact is for module ${fields.moduleHash}, not ${moduleHash}`);
  }
  if (fields.fingerprintId !== fingerprint.id) throw new ArtifactIncompatibleError(fields.fingerprintId, fingerprint.id);
  if (readSerializedHeader(fields.payload).hex !== fingerprint.header.hex) {
    throw new ArtifactInvalidError('header-mismatch', "the payload's V8 header does not match this engine");
  }
}
