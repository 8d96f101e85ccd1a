import { createHash } from 'node:crypto';

/**
 * Where one entry lives in Redis. Every Redis key an entry uses is computed
 * here and nowhere else. A cache key is hashed (SHA-256, base64url), so no key
 * can reach outside the prefix or collide with another entry's chunks.
 *
 * - `<prefix>m:<hash>` — the manifest: the cache key, a version id, sizes and checksums
 * - `<prefix>c:<hash>:<version>:<index>` — the chunks of that version
 *
 * A new `put` writes chunks under a fresh version id and the manifest last,
 * so a reader never combines chunks of two versions.
 */
export class RedisLayout {
  /** The prefix every key starts with. */
  readonly prefix: string;

  constructor(prefix: string) {
    this.prefix = prefix;
  }

  /** The hashed form of a cache key. */
  hash(key: string): string {
    return createHash('sha256').update(key, 'utf8').digest('base64url');
  }

  /** The manifest key of a cache key. */
  manifestKey(key: string): string {
    return `${this.prefix}m:${this.hash(key)}`;
  }

  /** The key of chunk `index` of version `version` of a cache key. */
  chunkKey(key: string, version: string, index: number): string {
    return `${this.prefix}c:${this.hash(key)}:${version}:${index}`;
  }

  /** A SCAN pattern matching every manifest under the prefix (glob characters in the prefix escaped). */
  manifestPattern(): string {
    return `${this.prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}m:*`;
  }
}
