export type { PutResult, Store, StoreCapabilities, StoreStats } from './contract/store.js';
export { MAX_KEY_LENGTH, validateKey } from './contract/keys.js';
export { validatePeekLength, validateValue } from './contract/values.js';
export { createStore, type CreateStoreOptions } from './create-store.js';
export { MemoryStore, type MemoryStoreOptions } from './memory/memory-store.js';
export { TieredStore, type TieredStoreOptions, type TierStats } from './tiered/tiered-store.js';
export { MIN_SIGNING_KEY_BYTES, SignedStore, type SignatureRejections, type SignedStoreOptions } from './signed/signed-store.js';
export { openEnvelope, sealEnvelope, SIGNATURE_LENGTH, SIGNED_HEADER_LENGTH, SIGNED_MAGIC, signatureOf, type SignatureRejection } from './signed/envelope.js';
export { DiskStore, type DiskStoreOptions, type UnreadableEntryRemoval } from './disk/disk-store.js';
export { assertSafeStoreDirectories } from './disk/directory-safety.js';
export { isNamespaceFolder } from './disk/directory-scan.js';
export { nodeFs, type FsFileHandle, type FsLayer } from './disk/fs-layer.js';
export { DIRECTORY_MODE, makeDirectory, makeDirectorySync } from './disk/make-directory.js';
export { FORMAT_DIRECTORY, hashKey, isNamespace, Layout, validateNamespace } from './disk/layout.js';
export {
  checksum,
  CHECKSUM_CRC32,
  CHECKSUM_SHA256,
  decodeEntry,
  DEFAULT_CHECKSUM,
  encodeEntry,
  ENTRY_MAGIC,
  ENTRY_VERSION,
  HEADER_LENGTH,
  parseHeader,
  type ChecksumKind,
  type DecodeOptions,
  type DecodeResult,
  type EncodedEntry,
  type EntryHeader,
} from './disk/entry-format.js';
export { effectiveRecency, planEviction, type EvictionCandidate, type EvictionLimits, type EvictionPlan } from './disk/eviction.js';
export type { CleanupReport, UsageRecord } from './disk/maintenance.js';
export { CODEC_NONE, CODEC_ZSTD, type Codec } from './compression/codec.js';
export { loadZstd } from './compression/zstd.js';
export {
  CHANNELS,
  type ChannelMessageBase,
  type CorruptMessage,
  type EvictMessage,
  type FaultMessage,
  type HitMessage,
  type MissMessage,
  type WriteMessage,
} from './diagnostics/channels.js';
export { errorCode, FaultReporter, toFault, UNREACHABLE_FAULT_CODES, type FaultRecord } from './faults/fault-reporter.js';
export { publish as publishStoreEvent } from './diagnostics/channels.js';
export { readDirectoryStats, type DirectoryStats, type NamespaceStats } from './stats/directory-stats.js';
export { clockMs } from './stats/clock.js';
export { addCounters, COUNTER_NAMES, snapshot, zeroCounters, type StatsCounters } from './stats/stats-counter.js';
export {
  CompressedDataError,
  InvalidKeyError,
  InvalidNamespaceError,
  InvalidStoreOptionError,
  InvalidValueError,
  SigningKeyRequiredError,
  StoreClosedError,
  StoreDisabledError,
  StoreError,
  UnsafeDirectoryError,
  type UnsafeDirectoryReason,
} from './errors/store-error.js';
export { provideDigests, type StoreDigests } from './digests/digests.js';
