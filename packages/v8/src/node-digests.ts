import { loadV8Addon } from './addon.js';
import { nodeBuiltin } from './node-builtin.js';

/**
 * SHA-256 and CRC-32 as `node:crypto` and `node:zlib` compute them, by the same
 * OpenSSL and zlib inside Node, called through the addon: same results, same
 * speed, without loading those modules (together 3-6 ms of a process's start,
 * more than a small module takes to compile).
 */
export interface NativeDigests {
  /** SHA-256 of `data`: 32 bytes, equal to `createHash('sha256').update(data).digest()`. */
  sha256(data: Uint8Array): Uint8Array;
  /** CRC-32 of `data` as an unsigned 32-bit integer, equal to `zlib.crc32(data)`. */
  crc32(data: Uint8Array): number;
}

let digests: NativeDigests | null | undefined;

/**
 * The addon's digest functions, or undefined where the addon is unavailable
 * (see `addonStatus()`) or Node does not export OpenSSL's `EVP_Digest` and
 * zlib's `crc32_z` to addons: callers then use `node:crypto` and `node:zlib`.
 * Loads the addon on first call.
 */
export function nativeDigests(): NativeDigests | undefined {
  if (digests === undefined) {
    const addon = loadV8Addon();
    const { sha256, crc32 } = addon ?? {};
    digests = sha256 && crc32 ? { sha256, crc32 } : null;
  }
  return digests ?? undefined;
}

/**
 * `v8.cachedDataVersionTag()`: V8's hash of its version, flags and CPU
 * features. From the addon where it loads (`node:v8` is then never loaded),
 * else from `node:v8`.
 */
export function cachedDataVersionTag(): number {
  const addon = loadV8Addon();
  if (addon?.cachedDataVersionTag) return addon.cachedDataVersionTag();
  return nodeBuiltin<typeof import('node:v8')>('node:v8').cachedDataVersionTag();
}
