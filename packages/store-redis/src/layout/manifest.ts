/** Version of the manifest format. */
export const MANIFEST_FORMAT = 1;
/** The smallest chunk a RedisStore writes (its `chunkBytes` option's lower bound). */
export const MIN_CHUNK_BYTES = 64 * 1024;
/** The largest chunk a RedisStore writes (its `chunkBytes` option's upper bound). */
export const MAX_CHUNK_BYTES = 256 * 1024 * 1024;

/** What a manifest records about one stored value. */
export interface Manifest {
  /** Format version ({@link MANIFEST_FORMAT}). */
  readonly format: number;
  /** The cache key (so `keys()` can list keys, and a swapped manifest is detected). */
  readonly key: string;
  /** Random id of this version; its chunks carry it. */
  readonly version: string;
  /** Bytes of the whole value. */
  readonly size: number;
  /** Bytes of each chunk but the last. */
  readonly chunkSize: number;
  /** Checksum kind of the chunk checksums (the `@cache/store` entry-format kinds). */
  readonly checksumKind: number;
  /** Hex checksum of each chunk, in order. */
  readonly checksums: readonly string[];
}

/** Number of chunks a value of `size` bytes takes. */
export function chunkCount(size: number, chunkSize: number): number {
  return Math.ceil(size / chunkSize);
}

/** The manifest as stored. */
export function encodeManifest(manifest: Manifest): string {
  return JSON.stringify(manifest);
}

/**
 * The format a stored manifest declares, when it is one of another format
 * than {@link MANIFEST_FORMAT}: a JSON object whose `format` is a positive
 * integer other than this one (written by another version of this package).
 * Undefined for a manifest of this format, and for text that is no manifest
 * of any format (damaged).
 */
export function otherManifestFormat(text: string): number | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const format = (value as Record<string, unknown>)['format'];
  return typeof format === 'number' && Number.isSafeInteger(format) && format > 0 && format !== MANIFEST_FORMAT ? format : undefined;
}

/** A stored manifest, or undefined when it is not a well-formed manifest of this format. */
export function decodeManifest(text: string): Manifest | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const m = value as Record<string, unknown>;
  const integer = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
  if (m['format'] !== MANIFEST_FORMAT || typeof m['key'] !== 'string' || typeof m['version'] !== 'string') return undefined;
  if (!integer(m['size']) || !integer(m['chunkSize']) || m['chunkSize'] === 0 || !integer(m['checksumKind'])) return undefined;
  const checksums = m['checksums'];
  if (!Array.isArray(checksums) || !checksums.every((c): c is string => typeof c === 'string')) return undefined;
  // Chunks of a size no RedisStore writes (`chunkBytes`: 64 KiB to 256 MiB), or not as many checksums as chunks: damaged.
  if (m['chunkSize'] < MIN_CHUNK_BYTES || m['chunkSize'] > MAX_CHUNK_BYTES) return undefined;
  if (checksums.length !== chunkCount(m['size'], m['chunkSize'])) return undefined;
  return { format: MANIFEST_FORMAT, key: m['key'], version: m['version'], size: m['size'], chunkSize: m['chunkSize'], checksumKind: m['checksumKind'], checksums };
}
