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
  /** A SHA-256 fed in steps (`update` any number of times, then `digest` once), as `createHash('sha256')`. */
  createSha256(): NativeSha256;
  /**
   * SHA-256 of each piece, in order (32 bytes each), equal to `sha256` of
   * each: all at once, each on a thread of its own (the calling thread takes
   * the first), and returns when all are done; no JavaScript runs meanwhile.
   * Given at most {@link NativeDigests.threads} pieces, they take the time of
   * the longest instead of the time of all. An addon built before this hashes
   * them one by one.
   * @throws TypeError for what is not an array of at most 64 Uint8Arrays.
   */
  sha256Each(pieces: readonly Uint8Array[]): Uint8Array[];
  /**
   * How many threads this process may run at once (libuv's
   * `uv_available_parallelism`: the CPUs it may run on; a cgroup's CPU quota
   * counts from libuv 1.49, Node 22, not on Node 20); 1 with an addon built
   * before `sha256Each`.
   */
  readonly threads: number;
}

/** A SHA-256 in progress; see {@link NativeDigests.createSha256}. */
export interface NativeSha256 {
  /** Adds `data`; returns this hash. @throws TypeError after `digest`. */
  update(data: Uint8Array): NativeSha256;
  /** The SHA-256 of everything added: 32 bytes. Once only. */
  digest(): Uint8Array;
}

let digests: NativeDigests | null | undefined;

/** The most pieces `sha256Each` takes at once (one thread each). */
const MAX_PIECES = 64;

/** What the addon's `sha256Each` throws for what is not an array of at most 64 pieces; the same where an older addon lacks it. */
function sha256EachRefused(): never {
  throw new TypeError('sha256Each: argument must be an array of at most 64 Uint8Arrays');
}

/** The 32-byte digests `sha256Each` returns back to back, as one view each. */
function splitDigests(joined: Uint8Array, count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, index) => joined.subarray(index * 32, index * 32 + 32));
}

/** Whether `candidate` gives the standard test vectors' digests: SHA-256 of "abc" (whole, in steps, as a piece), CRC-32 of "123456789". */
function standard(candidate: NativeDigests): boolean {
  const abc = candidate.sha256(new Uint8Array([0x61, 0x62, 0x63]));
  const inSteps = candidate.createSha256().update(new Uint8Array([0x61])).update(new Uint8Array([0x62, 0x63])).digest();
  // One piece, hashed on the calling thread: the first thread a process starts costs about 0.2 ms, which
  // every process that reads the cache would pay here (the threads run the same OpenSSL function).
  const [eachPiece = new Uint8Array()] = candidate.sha256Each([new Uint8Array([0x61, 0x62, 0x63])]);
  const hex = (bytes: Uint8Array): string => Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  const expected = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
  return (
    hex(abc) === expected &&
    hex(inSteps) === expected &&
    hex(eachPiece) === expected &&
    candidate.crc32(new TextEncoder().encode('123456789')) === 0xcbf43926
  );
}

/** {@link standard}, false where a function throws (OpenSSL could not start a digest). */
function passes(candidate: NativeDigests): boolean {
  try {
    return standard(candidate);
  } catch {
    return false;
  }
}

/**
 * The addon's digest functions, or undefined where the addon is unavailable
 * (see `addonStatus()`), Node does not export OpenSSL's digest functions
 * and zlib's `crc32_z` to addons, or they fail the standard test vectors: callers
 * then use `node:crypto` and `node:zlib`.
 * Loads the addon on first call.
 */
export function nativeDigests(): NativeDigests | undefined {
  if (digests === undefined) {
    const addon = loadV8Addon();
    const { sha256, crc32, sha256Begin, sha256Update, sha256End, sha256Each, threads } = addon ?? {};
    const candidate =
      sha256 && crc32 && sha256Begin && sha256Update && sha256End
        ? {
            sha256,
            crc32,
            createSha256: (): NativeSha256 => {
              const handle = sha256Begin();
              const hash: NativeSha256 = {
                update: (data) => (sha256Update(handle, data), hash),
                digest: () => sha256End(handle),
              };
              return hash;
            },
            sha256Each: (pieces: readonly Uint8Array[]) => {
              if (!sha256Each) return Array.isArray(pieces) && pieces.length <= MAX_PIECES ? pieces.map(sha256) : sha256EachRefused();
              return splitDigests(sha256Each(pieces), pieces.length);
            },
            threads: sha256Each && threads !== undefined && threads > 0 ? threads : 1,
          }
        : undefined;
    // Checked once against the standard vectors: a symbol of the same name that computed something
    // else would make every checksum check fail (or, worse, name entries differently).
    digests = candidate && passes(candidate) ? candidate : null;
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
