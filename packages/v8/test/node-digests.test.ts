/** The addon's SHA-256, CRC-32 and V8 tag against node:crypto's, node:zlib's and node:v8's. */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import v8 from 'node:v8';
import zlib from 'node:zlib';
import { patternedBytes } from '@cache/wasm-fixtures';
import { describe, expect, it } from 'vitest';
import { cachedDataVersionTag, loadV8Addon, nativeDigests } from '../src/index.js';

const zlibCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;


describe('nativeDigests', () => {
  const digests = nativeDigests();

  it('exists on this Node (it exports OpenSSL and zlib to addons)', () => {
    expect(digests).toBeDefined();
  });

  // Empty, under and over SHA-256's 64-byte block, CRC-32's 16-byte folds, 4 GiB is out of reach.
  const lengths = [0, 1, 3, 15, 16, 17, 55, 56, 63, 64, 65, 1000, 65_536, 1_048_577, 5 * 1024 * 1024 + 3];

  it.each(lengths)('gives node:crypto\'s SHA-256 and zlib.crc32 for %i bytes', (length) => {
    const bytes = patternedBytes(length, length + 1);
    expect(Buffer.from(digests!.sha256(bytes)).toString('hex')).toBe(createHash('sha256').update(bytes).digest('hex'));
    if (zlibCrc32) expect(digests!.crc32(bytes)).toBe(zlibCrc32(bytes) >>> 0);
  });

  it('hashes exactly a view: its offset and length within a larger buffer, also a shared one', () => {
    const whole = patternedBytes(10_000, 7);
    const view = whole.subarray(123, 9_000);
    expect(Buffer.from(digests!.sha256(view)).toString('hex')).toBe(createHash('sha256').update(view).digest('hex'));
    const shared = new Uint8Array(new SharedArrayBuffer(4_096));
    shared.set(patternedBytes(4_096, 9));
    const sharedView = shared.subarray(5, 4_001);
    expect(Buffer.from(digests!.sha256(sharedView)).toString('hex')).toBe(createHash('sha256').update(sharedView).digest('hex'));
    if (zlibCrc32) {
      expect(digests!.crc32(view)).toBe(zlibCrc32(view) >>> 0);
      expect(digests!.crc32(sharedView)).toBe(zlibCrc32(sharedView) >>> 0);
    }
  });

  it('in steps gives the one-shot SHA-256, for any split of the bytes', () => {
    const bytes = patternedBytes(3 * 1024 * 1024 + 17, 11);
    const expected = createHash('sha256').update(bytes).digest('hex');
    for (const step of [1 << 20, 65_536, 63, 1]) {
      const hash = digests!.createSha256();
      const part = step === 1 ? bytes.subarray(0, 4_096) : bytes;
      for (let offset = 0; offset < part.byteLength; offset += step) hash.update(part.subarray(offset, offset + step));
      const reference = step === 1 ? createHash('sha256').update(part).digest('hex') : expected;
      expect(Buffer.from(hash.digest()).toString('hex')).toBe(reference);
    }
    expect(Buffer.from(digests!.createSha256().update(new Uint8Array(0)).digest()).toString('hex')).toBe(createHash('sha256').digest('hex'));
  });

  it('in steps refuses a finished digest and a handle it did not make; abandoned ones are left to the garbage collector', () => {
    const addon = loadV8Addon()!;
    const hash = digests!.createSha256();
    hash.digest();
    expect(() => hash.update(new Uint8Array(1))).toThrow(/already finished/);
    expect(() => hash.digest()).toThrow(/already finished/);
    expect(() => addon.sha256Update!({}, new Uint8Array(1))).toThrow(/first argument must come from sha256Begin/);
    expect(() => addon.sha256End!(Object.create(null) as object)).toThrow(/argument must come from sha256Begin/);
    expect(() => addon.sha256Update!(addon.sha256Begin!(), 'x' as unknown as Uint8Array)).toThrow(/second argument must be a Uint8Array/);
    // Abandoned digests are freed by the garbage collector (their OpenSSL contexts with them); the process goes on.
    for (let i = 0; i < 20_000; i++) digests!.createSha256().update(new Uint8Array(8));
    expect(Buffer.from(digests!.createSha256().update(new Uint8Array([1, 2, 3])).digest()).toString('hex')).toBe(createHash('sha256').update(new Uint8Array([1, 2, 3])).digest('hex'));
  });

  it('gives each piece its own SHA-256, in order, whatever the pieces (empty, shared, views of one buffer)', () => {
    const whole = patternedBytes(9 * 1024 * 1024 + 5, 13);
    const shared = new Uint8Array(new SharedArrayBuffer(70_000));
    shared.set(patternedBytes(70_000, 17));
    const pieces = [whole.subarray(0, 4 * 1024 * 1024), new Uint8Array(0), whole.subarray(4 * 1024 * 1024), shared.subarray(3, 69_999), whole.subarray(17, 18)];
    const each = digests!.sha256Each(pieces);
    expect(each.map((digest) => Buffer.from(digest).toString('hex'))).toEqual(pieces.map((piece) => createHash('sha256').update(piece).digest('hex')));
    expect(digests!.sha256Each([])).toEqual([]);
    // As many pieces as the addon takes at once (one thread each), and every round after another.
    const many = Array.from({ length: 64 }, (_, index) => whole.subarray(index * 1000, index * 1000 + 1000 + index));
    for (let round = 0; round < 3; round++) {
      expect(digests!.sha256Each(many).map((digest) => Buffer.from(digest).toString('hex'))).toEqual(many.map((piece) => createHash('sha256').update(piece).digest('hex')));
    }
  });

  it.each(['resize', 'transfer'])('reads every piece only after every element: a getter that %ss the buffer under an earlier piece leaves that piece empty, not a crash', async (how) => {
    const fixture = join(import.meta.dirname, 'fixtures', 'sha256-each-getter-child.mjs');
    const { stdout } = await promisify(execFile)(process.execPath, [fixture, how]);
    const report = JSON.parse(stdout) as { firstLength: number; first: string; second: string; emptyDigest: string; secondExpected: string };
    expect(report.firstLength).toBe(0);
    expect(report.first).toBe(report.emptyDigest);
    expect(report.second).toBe(report.secondExpected);
  });

  it('knows how many threads the process may run at once, and hashes that many pieces at once', () => {
    const addon = loadV8Addon()!;
    expect(addon.threads).toBeGreaterThanOrEqual(1);
    expect(digests!.threads).toBe(addon.threads);
    expect(typeof addon.sha256Each).toBe('function');
  });

  it('refuses what is not a Uint8Array with a TypeError naming the function', () => {
    const addon = loadV8Addon()!;
    expect(() => addon.sha256!('abc' as unknown as Uint8Array)).toThrow(/sha256: argument must be a Uint8Array/);
    expect(() => addon.crc32!(new Uint16Array(4) as unknown as Uint8Array)).toThrow(/crc32: argument must be a Uint8Array/);
    expect(() => addon.sha256Each!(new Uint8Array(4) as unknown as Uint8Array[])).toThrow(/sha256Each: argument must be an array of at most 64 Uint8Arrays/);
    expect(() => addon.sha256Each!([new Uint8Array(4), 'x' as unknown as Uint8Array])).toThrow(/sha256Each: argument must be an array of at most 64 Uint8Arrays/);
    expect(() => addon.sha256Each!(Array.from({ length: 65 }, () => new Uint8Array(1)))).toThrow(/sha256Each: argument must be an array of at most 64 Uint8Arrays/);
  });
});

describe('cachedDataVersionTag', () => {
  it("is node:v8's", () => {
    expect(cachedDataVersionTag()).toBe(v8.cachedDataVersionTag());
  });
});

describe('importing the package', () => {
  it('loads none of node:crypto, node:zlib and node:v8, also when its digests and V8 tag are used (3-6 ms of a process)', async () => {
    const fixture = join(import.meta.dirname, 'fixtures', 'builtins-child.mjs');
    const { stdout } = await promisify(execFile)(process.execPath, [fixture]);
    const report = JSON.parse(stdout) as { digests: boolean; sha256: string; tag: number; loaded: Record<string, boolean> };
    expect(report.digests).toBe(true);
    expect(report.sha256).toBe(createHash('sha256').update(new Uint8Array([1, 2, 3])).digest('hex'));
    expect(report.tag).toBe(v8.cachedDataVersionTag());
    expect(report.loaded).toEqual({ crypto: false, zlib: false, v8: false });
  });
});
