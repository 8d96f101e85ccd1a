import type { Script } from 'node:vm';
import { nodeBuiltin } from '../node/node-builtin.js';
import { readRegularFileSync } from '../node/read-regular-file.js';
import { writeFileWhole } from '../node/write-file-whole.js';

// Node's built-ins as CommonJS gives them. An ES module's `import` of `node:fs` makes Node build its
// namespace, which reads `fs.promises` and so loads `node:fs/promises` with its stream and readline
// modules (1-2 ms that a hit never needs). These three cost a process next to nothing (every Node
// process has loaded fs and path, and node:module is a view of its loader, 0.02 ms); `node:vm` is
// loaded by the first load of the script, as this module is part of the hook, which every process
// with the hook in NODE_OPTIONS loads.
const { accessSync, constants, readdirSync, readFileSync, statSync, unlinkSync } = nodeBuiltin<typeof import('node:fs')>('node:fs');
const { createRequire } = nodeBuiltin<typeof import('node:module')>('node:module');
const { basename, dirname, join } = nodeBuiltin<typeof import('node:path')>('node:path');

/** What the loader uses of `@cache/v8`, which the script itself loads too (as CommonJS, the same copy). */
type V8Package = Pick<typeof import('@cache/v8'), 'cachedDataVersionTag' | 'nativeDigests'>;

/**
 * `@cache/v8` as the script will require it (`requireFromScript`), for its
 * SHA-256 and V8's tag without `node:crypto` and `node:v8` (3-6 ms of a fresh
 * process); undefined where it cannot be loaded (the loader then uses those modules).
 */
function v8PackageFor(requireFromScript: NodeJS.Require): V8Package | undefined {
  try {
    return requireFromScript('@cache/v8') as V8Package;
  } catch {
    return undefined;
  }
}

/**
 * How the hook's script was loaded: `'used'` from V8's code cache for it;
 * compiled from its source because the code cache was `'missing'`, `'stale'`
 * (made for another build of the script), `'damaged'` (it failed our
 * verification and never reached V8) or `'rejected'` (by V8: another V8 or
 * other flags); `'unavailable'` where it is loaded without one (from sources,
 * or `node:vm` could not compile it).
 */
export type HookCodeCacheState = 'used' | 'missing' | 'stale' | 'damaged' | 'rejected' | 'unavailable';

/** A script loaded by {@link loadHookScript}. */
export interface HookScript<Exports> {
  readonly exports: Exports;
  readonly codeCache: HookCodeCacheState;
  /**
   * Writes V8's code cache for the script as it is now (every function it has
   * compiled so far), once, unless it was loaded from a valid one, or from one
   * written after a miss while this process had a hit (`afterHit`): a cache
   * written by the first process, which compiled, lacks what a hit runs, and
   * the first process with a hit replaces it. Never throws: a folder that
   * cannot be written (a read-only install) only means the next process
   * compiles the script again.
   */
  saveCodeCache(afterHit: boolean): void;
}

/** The most a code cache file may hold: V8's code cache for the hook's script is about 0.2 MB. */
const MAX_CODE_CACHE_BYTES = 64 * 1024 * 1024;

const MAGIC = Buffer.from('CEJSCODE', 'latin1');
const FORMAT = 1;
const FLAGS_AT = MAGIC.length + 4;
const LENGTH_AT = FLAGS_AT + 4;
const SOURCE_DIGEST_AT = LENGTH_AT + 4;
const PAYLOAD_DIGEST_AT = SOURCE_DIGEST_AT + 32;
/** Flag: written after a cache hit (it holds the functions a hit runs). */
const AFTER_HIT = 1;
/** Magic, format, flags, payload length, SHA-256 of the script's source, SHA-256 of the payload; then the payload. */
const HEADER_BYTES = PAYLOAD_DIGEST_AT + 32;

/**
 * Where V8's code cache for a script is kept: beside it, one file per Node
 * version and V8 flag set (`v8.cachedDataVersionTag()`; two Node releases
 * with one V8 version may still differ in what V8 accepts). Beside the
 * script, so that whoever could change the cached code could change the
 * script itself.
 */
export function hookCodeCachePath(file: string, v8Package: V8Package | undefined = v8PackageFor(createRequire(file))): string {
  const tag = v8Package ? v8Package.cachedDataVersionTag() : nodeBuiltin<typeof import('node:v8')>('node:v8').cachedDataVersionTag();
  return join(dirname(file), `${basename(file, '.cjs')}.${process.version}-${tag}.v8-code-cache`);
}

/** How many code cache files a script keeps beside it: one per Node version and V8 flag set in use. */
export const KEPT_CODE_CACHES = 8;

/**
 * Removes the oldest code cache files of `file` (by when they were written)
 * beyond {@link KEPT_CODE_CACHES}, keeping `current`: each Node version and
 * V8 flag set that ran the script left one (about 0.2 MB), and an upgraded
 * Node's would otherwise stay for good. One still in use is written again by
 * its next process. Best effort: a file that cannot be listed or removed stays.
 */
export function pruneCodeCaches(file: string, current: string, keep: number = KEPT_CODE_CACHES): void {
  const folder = dirname(file);
  const prefix = `${basename(file, '.cjs')}.`;
  const written: Array<{ path: string; at: number }> = [];
  try {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (!name.startsWith(prefix) || !name.endsWith('.v8-code-cache') || path === current) continue;
      const stat = statSync(path, { throwIfNoEntry: false });
      if (stat?.isFile()) written.push({ path, at: stat.mtimeMs });
    }
  } catch {
    return;
  }
  // The current one counts as the newest.
  for (const { path } of written.sort((a, b) => b.at - a.at).slice(Math.max(0, keep - 1))) {
    try {
      unlinkSync(path);
    } catch {
      // Removed meanwhile by another process, or a folder it may not change: it stays.
    }
  }
}

/** SHA-256 by the addon where it loads, else by `node:crypto`. */
function sha256With(v8Package: V8Package | undefined): (bytes: Uint8Array) => Buffer {
  const native = v8Package?.nativeDigests();
  if (!native) return (bytes) => nodeBuiltin<typeof import('node:crypto')>('node:crypto').createHash('sha256').update(bytes).digest();
  return (bytes) => {
    const digest = native.sha256(bytes);
    return Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength);
  };
}

/** The payload of a code cache file, if it is intact and was made for exactly this source. */
function verifiedPayload(source: Buffer, cacheFile: string, sha256: (bytes: Uint8Array) => Buffer): { payload?: Buffer; afterHit?: boolean; state: HookCodeCacheState } {
  let stored: Buffer;
  try {
    stored = readRegularFileSync(cacheFile, MAX_CODE_CACHE_BYTES);
  } catch (error) {
    // A FIFO, a device, a folder or a huge file in its place is refused unread: damaged (it is replaced when saved).
    const code = (error as { code?: unknown }).code;
    return { state: code === 'ENOTREG' || code === 'EFBIG' ? 'damaged' : 'missing' };
  }
  if (stored.length < HEADER_BYTES || !stored.subarray(0, MAGIC.length).equals(MAGIC) || stored.readUInt32LE(MAGIC.length) !== FORMAT) return { state: 'damaged' };
  const payload = stored.subarray(HEADER_BYTES);
  if (stored.readUInt32LE(LENGTH_AT) !== payload.length) return { state: 'damaged' };
  if (!sha256(payload).equals(stored.subarray(PAYLOAD_DIGEST_AT, HEADER_BYTES))) return { state: 'damaged' };
  // A script rebuilt or upgraded in place makes every older cache stale: V8 itself compares only the source's length.
  if (!sha256(source).equals(stored.subarray(SOURCE_DIGEST_AT, PAYLOAD_DIGEST_AT))) return { state: 'stale' };
  return { payload, afterHit: (stored.readUInt32LE(FLAGS_AT) & AFTER_HIT) !== 0, state: 'used' };
}

/** Writes a code cache file whole or not at all (see `writeFileWhole`). @throws when it cannot. */
function writeCodeCache(cacheFile: string, source: Buffer, payload: Buffer, afterHit: boolean, sha256: (bytes: Uint8Array) => Buffer): void {
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header);
  header.writeUInt32LE(FORMAT, MAGIC.length);
  header.writeUInt32LE(afterHit ? AFTER_HIT : 0, FLAGS_AT);
  header.writeUInt32LE(payload.length, LENGTH_AT);
  sha256(source).copy(header, SOURCE_DIGEST_AT);
  sha256(payload).copy(header, PAYLOAD_DIGEST_AT);
  writeFileWhole(cacheFile, Buffer.concat([header, payload]));
}

/**
 * Loads a CommonJS script the way `require` would, but compiled with V8's
 * code cache for it when there is a valid one: the compiled functions come
 * from the cache instead of being parsed and compiled again, in each process.
 * The cache is checked (SHA-256 of the cached bytes, and of the source they
 * were made for) before V8 sees it: V8 checks only its version, flags and
 * the source's length, and in release builds no checksum, so a damaged code
 * cache would run as damaged bytecode. The script must not use `import()` (a
 * script run through `node:vm` has no module loader); the hook passes it one.
 *
 * @param file absolute path of the script
 * @param cacheFile where its code cache is kept (default {@link hookCodeCachePath})
 */
export function loadHookScript<Exports>(file: string, cacheFile?: string): HookScript<Exports> {
  const require = createRequire(file);
  const v8Package = v8PackageFor(require);
  const sha256 = sha256With(v8Package);
  cacheFile ??= hookCodeCachePath(file, v8Package);
  let source: Buffer;
  let script: Script;
  let found: { payload?: Buffer; afterHit?: boolean; state: HookCodeCacheState };
  try {
    source = readFileSync(file);
    found = verifiedPayload(source, cacheFile, sha256);
    const { Script: ScriptClass } = nodeBuiltin<typeof import('node:vm')>('node:vm');
    // Node's own CommonJS wrapper, on the script's first line so that line numbers stay the same.
    script = new ScriptClass(`(function (exports, require, module, __filename, __dirname) {${source.toString('utf8')}\n})`, {
      filename: file,
      ...(found.payload ? { cachedData: found.payload } : {}),
    });
  } catch {
    return { exports: require(file) as Exports, codeCache: 'unavailable', saveCodeCache: () => undefined };
  }
  const codeCache: HookCodeCacheState = found.payload && script.cachedDataRejected === true ? 'rejected' : found.state;
  const module = { exports: {} as Exports };
  const wrapper = script.runInThisContext() as (exports: Exports, require: NodeJS.Require, module: { exports: Exports }, filename: string, dirname: string) => void;
  wrapper.call(module.exports, module.exports, require, module, file, dirname(file));
  let saved = false;
  return {
    exports: module.exports,
    codeCache,
    saveCodeCache: (afterHit) => {
      if (saved || (codeCache === 'used' && (found.afterHit === true || !afterHit))) return;
      saved = true;
      try {
        // A read-only install (every process would find no cache) costs a check, not a serialization.
        accessSync(dirname(cacheFile), constants.W_OK);
        writeCodeCache(cacheFile, source, script.createCachedData(), afterHit, sha256);
        pruneCodeCaches(file, cacheFile);
      } catch {
        // A folder that cannot be written, or V8 could not serialize it: the next process compiles the script, as this one did.
      }
    },
  };
}
