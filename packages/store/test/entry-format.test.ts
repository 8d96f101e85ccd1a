import { describe, expect, it } from 'vitest';
import { crc32 } from 'node:zlib';
import { checksum, CHECKSUM_CRC32, CHECKSUM_SHA256, CODEC_NONE, CODEC_ZSTD, decodeEntry, DEFAULT_CHECKSUM, encodeEntry, HEADER_LENGTH, loadZstd, parseHeader } from '../src/index.js';
import { scanZstdFrames } from '../src/compression/zstd-frames.js';
import { pseudoRandom } from './helpers.js';

const zstd = loadZstd().codec;

async function encoded(key: string, value: Uint8Array, compress: boolean): Promise<Buffer> {
  const entry = await encodeEntry(key, value, compress ? zstd : undefined, 3);
  return Buffer.concat(entry.parts.map((part) => Buffer.from(part)));
}

describe('entry format', () => {
  it('loads a zstd codec on this machine', () => {
    expect(zstd).toBeDefined();
  });

  it('round-trips with and without compression', async () => {
    const value = Buffer.concat([Buffer.alloc(50_000, 1), pseudoRandom(1000, 'x')]);
    for (const compress of [true, false]) {
      const file = await encoded('key', value, compress);
      const header = parseHeader(file);
      expect(typeof header).toBe('object');
      if (typeof header === 'string') return;
      expect(header.codec).toBe(compress ? CODEC_ZSTD : CODEC_NONE);
      expect(header.contentLength).toBe(value.byteLength);
      const decoded = await decodeEntry(file, 'key', zstd);
      expect(decoded.ok && Buffer.from(decoded.value).equals(value)).toBe(true);
    }
  });

  it('stores incompressible data raw', async () => {
    const file = await encoded('k', pseudoRandom(10_000, 'noise'), true);
    const header = parseHeader(file);
    expect(typeof header !== 'string' && header.codec).toBe(CODEC_NONE);
    expect(file.byteLength).toBe(HEADER_LENGTH + 1 + 10_000);
  });

  it('detects an entry holding another key (a swapped file)', async () => {
    const file = await encoded('key-a', Buffer.from('value'), false);
    const decoded = await decodeEntry(file, 'key-b', zstd);
    expect(decoded).toMatchObject({ ok: false, corrupt: true, reason: 'entry holds another key' });
  });

  it('detects every single-byte flip in header, key and payload', async () => {
    for (const compress of [false, true]) {
      const file = await encoded('flip-key', Buffer.alloc(300, 7), compress);
      for (let offset = 0; offset < file.byteLength; offset++) {
        if (offset === 7 || (offset >= 12 && offset < 16)) continue; // reserved bytes carry nothing
        const damaged = Buffer.from(file);
        damaged[offset] = (damaged[offset] ?? 0) ^ 0x5a;
        const decoded = await decodeEntry(damaged, 'flip-key', zstd);
        // Damage must never produce bytes other than the original.
        if (decoded.ok) expect(Buffer.from(decoded.value).equals(Buffer.alloc(300, 7))).toBe(true);
        else expect(decoded.reason.length).toBeGreaterThan(0);
        // A flip in the key always fails; in a zstd frame a few bits (e.g. unused flags) may not change the output, which is harmless.
        if (offset >= HEADER_LENGTH && (offset < HEADER_LENGTH + 8 || !compress)) expect(decoded.ok).toBe(false);
      }
    }
  });

  it('detects truncation and trailing garbage', async () => {
    const file = await encoded('t', pseudoRandom(5000, 't'), false);
    for (const damaged of [file.subarray(0, 10), file.subarray(0, file.byteLength - 1), Buffer.concat([file, Buffer.from([0])])]) {
      expect((await decodeEntry(damaged, 't', zstd)).ok).toBe(false);
    }
  });

  it('the zstd codec refuses a payload that would decompress far past the size it is said to hold, and decompresses what zstd writes at any level', async () => {
    const codec = zstd as NonNullable<typeof zstd>;
    // Four frames of 16 MiB of zeros each: a few kB that inflate to 64 MiB, said to hold 300 bytes.
    const frame = Buffer.from(await codec.compress(Buffer.alloc(16 * 1024 * 1024), 3));
    const bomb = Buffer.concat([frame, frame, frame, frame]);
    expect(bomb.byteLength).toBeLessThan(64 * 1024);
    // (Its length when it resolves: a failure message must not print 64 MiB.)
    const refused = await codec.decompress(bomb, 300).then((output) => output.byteLength, (error: unknown) => error);
    // Damage where the codec decompressed past the length (node:zlib stops there); not decompressed, but not
    // certainly damage, where it judged by the frames' headers (@mongodb-js/zstd).
    expect(refused).toMatchObject({ code: 'ERR_CACHE_STORE_COMPRESSED_DATA', damaged: codec.implementation === 'node:zlib' });
    // Said to hold what it holds, it decompresses.
    expect((await codec.decompress(frame, 16 * 1024 * 1024)).byteLength).toBe(16 * 1024 * 1024);
    // Not whole frames: the headers say so (node:zlib decodes what it has; the entry's length and checksum judge that).
    expect(scanZstdFrames(frame.subarray(0, frame.byteLength - 2))).toMatch(/cut short/);
    // What zstd writes, small or large, at low and high levels (these split blocks), is decompressed as before.
    const mixed = Buffer.concat([pseudoRandom(300_000, 'm'), Buffer.alloc(300_000, 7), Buffer.from('abcdefgh'.repeat(40_000))]);
    for (const value of [Buffer.from('small value'), Buffer.alloc(1), mixed]) {
      for (const level of [1, 3, 19, 21]) {
        const compressed = await codec.compress(value, level);
        expect(Buffer.from(await codec.decompress(compressed, value.byteLength)).equals(value)).toBe(true);
      }
    }
  });

  it('a zstd entry whose header says it holds more than maxContentLength is refused as too large, before it is decompressed', async () => {
    const value = Buffer.alloc(2 * 1024 * 1024, 5);
    const file = await encoded('big', value, true);
    expect(file.byteLength).toBeLessThan(1024 * 1024);
    expect(await decodeEntry(file, 'big', zstd, { maxContentLength: 1024 * 1024 })).toMatchObject({ ok: false, corrupt: false, tooLarge: true });
    const decoded = await decodeEntry(file, 'big', zstd, { maxContentLength: value.byteLength });
    expect(decoded.ok && Buffer.from(decoded.value).equals(value)).toBe(true);
  });

  it('an uncompressed entry whose content length was changed (a flipped bit) is damage, not an entry too large to read', async () => {
    const file = await encoded('plain', Buffer.alloc(1000, 9), false);
    file[16 + 2] = (file[16 + 2] as number) ^ 0x10; // the content length's third byte: about 1 MiB more
    expect(await decodeEntry(file, 'plain', zstd, { maxContentLength: 64 * 1024 })).toMatchObject({ ok: false, corrupt: true, reason: 'stored length differs from content length' });
  });

  it('reports a zstd entry as unreadable, not corrupt, when no codec is loaded', async () => {
    const file = await encoded('z', Buffer.alloc(10_000), true);
    expect(await decodeEntry(file, 'z', undefined)).toMatchObject({ ok: false, corrupt: false });
  });
});

describe('checksum kinds', () => {
  const value = new Uint8Array(Array.from({ length: 5000 }, (_, i) => (i * 31) & 0xff));

  function join(parts: readonly Uint8Array[]): Buffer {
    return Buffer.concat(parts.map((part) => Buffer.from(part.buffer, part.byteOffset, part.byteLength)));
  }

  it('new entries use CRC-32 (kind 1 in header byte 7) and verify', async () => {
    const entry = join((await encodeEntry('k', value, undefined, 0)).parts);
    expect(entry[7]).toBe(CHECKSUM_CRC32);
    expect(DEFAULT_CHECKSUM).toBe(CHECKSUM_CRC32);
    const decoded = await decodeEntry(entry, 'k', undefined);
    expect(decoded.ok).toBe(true);
    entry[entry.length - 1] = (entry[entry.length - 1] ?? 0) ^ 1;
    expect(await decodeEntry(entry, 'k', undefined)).toMatchObject({ ok: false, corrupt: true, reason: 'checksum mismatch' });
  });

  it('entries with a SHA-256 checksum (kind 0) are still read and verified', async () => {
    const known = { checksum: checksum(value, CHECKSUM_SHA256) as Buffer, checksumKind: CHECKSUM_SHA256 };
    const entry = join((await encodeEntry('k', value, undefined, 0, known)).parts);
    expect(entry[7]).toBe(CHECKSUM_SHA256);
    expect((await decodeEntry(entry, 'k', undefined)).ok).toBe(true);
    entry[HEADER_LENGTH + 1 + 10] = (entry[HEADER_LENGTH + 1 + 10] ?? 0) ^ 0x80;
    expect(await decodeEntry(entry, 'k', undefined)).toMatchObject({ ok: false, corrupt: true });
  });

  it('a decoded CRC-32 entry gives the CRC-32 it verified (contentCrc32); a SHA-256 one gives none', async () => {
    for (const compress of [false, true]) {
      const decoded = await decodeEntry(join((await encodeEntry('k', value, compress ? zstd : undefined, 3)).parts), 'k', zstd);
      expect(decoded.ok && decoded.contentCrc32).toBe(crc32(value));
    }
    const known = { checksum: checksum(value, CHECKSUM_SHA256) as Buffer, checksumKind: CHECKSUM_SHA256 };
    const sha = await decodeEntry(join((await encodeEntry('k', value, undefined, 0, known)).parts), 'k', undefined);
    expect(sha.ok).toBe(true);
    expect(sha.ok && 'contentCrc32' in sha).toBe(false);
  });

  it('an unknown checksum kind is damage, not a crash', async () => {
    const entry = join((await encodeEntry('k', value, undefined, 0)).parts);
    entry[7] = 9;
    expect(await decodeEntry(entry, 'k', undefined)).toMatchObject({ ok: false, corrupt: true, reason: 'unknown checksum kind 9' });
  });
});
