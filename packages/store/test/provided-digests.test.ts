/**
 * provideDigests: a store computes its file names and entry checksums with the digests it is
 * given, which must be the standard ones. Its own file: the digests are the module's, for the
 * whole process.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { CHECKSUM_CRC32, DEFAULT_CHECKSUM, DiskStore, hashKey, InvalidStoreOptionError, parseHeader, provideDigests, type StoreDigests } from '../src/index.js';
import { zlibHasCrc32 } from '../src/digests/digests.js';
import { configFor, pseudoRandom, tempDirectory } from './helpers.js';

const zlibCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;
const standard: StoreDigests = {
  sha256: (data) => createHash('sha256').update(data).digest(),
  crc32: (data) => (zlibCrc32 ? zlibCrc32(data) >>> 0 : 0),
};

describe('provideDigests', () => {
  const dir = tempDirectory('digests-');
  afterAll(() => dir.remove());

  it('refuses digests that are not SHA-256 and CRC-32, naming the function and what it gave', () => {
    expect(() => provideDigests({ ...standard, sha256: (data) => createHash('sha512').update(data).digest().subarray(0, 32) })).toThrow(
      /Invalid store option digests: sha256\("abc"\) gave [0-9a-f]{64}, not ba7816bf/,
    );
    expect(() => provideDigests({ ...standard, crc32: () => 0 })).toThrow(/crc32\("123456789"\) gave 0, not 3421780262/);
    const thrown = (() => {
      try {
        provideDigests({ ...standard, sha256: () => { throw new Error('boom'); } });
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(thrown).toBeInstanceOf(InvalidStoreOptionError);
    expect((thrown as InvalidStoreOptionError).message).toMatch(/failed on a test vector: boom/);
  });

  it('has the store name and check entries with them, as it does without them', async () => {
    const calls = { sha256: 0, crc32: 0 };
    const value = pseudoRandom(50_000, 'digests');
    // Written before any digests are provided: node:crypto and node:zlib.
    const before = await DiskStore.open(configFor(dir.path), { namespace: 'ns', compression: false });
    await before.put('written-before', value);
    await before.close();
    provideDigests({
      sha256: (data) => (calls.sha256++, standard.sha256(data)),
      crc32: (data) => (calls.crc32++, standard.crc32(data)),
    });
    const store = await DiskStore.open(configFor(dir.path), { namespace: 'ns', compression: false });
    try {
      expect(Buffer.from((await store.get('written-before'))!).equals(value)).toBe(true);
      await store.put('written-after', value);
      expect(Buffer.from((await store.get('written-after'))!).equals(value)).toBe(true);
      const file = store.layout.entry(hashKey('written-after'));
      expect(file).toContain(createHash('sha256').update('written-after').digest('hex'));
      const header = parseHeader(readFileSync(file));
      if (typeof header === 'string') throw new Error(header);
      expect(header.checksumKind).toBe(DEFAULT_CHECKSUM);
      if (DEFAULT_CHECKSUM === CHECKSUM_CRC32) expect(header.checksum.readUInt32LE(0)).toBe(standard.crc32(value));
    } finally {
      await store.close();
    }
    expect(calls.sha256).toBeGreaterThanOrEqual(4);
    if (DEFAULT_CHECKSUM === CHECKSUM_CRC32) expect(calls.crc32).toBeGreaterThanOrEqual(3);
  });
});

describe('zlibHasCrc32', () => {
  it('knows from the version which Node has zlib.crc32, without loading zlib', () => {
    expect(zlibHasCrc32()).toBe(typeof zlibCrc32 === 'function');
    expect(['20.14.0', '21.7.3', '22.1.0'].map((v) => zlibHasCrc32(v))).toEqual([false, false, false]);
    expect(['20.15.0', '22.2.0', '24.0.0'].map((v) => zlibHasCrc32(v))).toEqual([true, true, true]);
  });
});
