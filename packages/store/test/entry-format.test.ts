import { describe, expect, it } from 'vitest';
import { CODEC_NONE, CODEC_ZSTD, decodeEntry, encodeEntry, HEADER_LENGTH, loadZstd, parseHeader } from '../src/index.js';
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

  it('reports a zstd entry as unreadable, not corrupt, when no codec is loaded', async () => {
    const file = await encoded('z', Buffer.alloc(10_000), true);
    expect(await decodeEntry(file, 'z', undefined)).toMatchObject({ ok: false, corrupt: false });
  });
});
