import { existsSync, readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CODEC_NONE, CODEC_ZSTD, DiskStore, hashKey, parseHeader } from '../src/index.js';
import { loadZstd } from '../src/compression/zstd.js';
import { captureWarnings, configFor, tempDirectory } from './helpers.js';

// The real loader, wrapped so that each test sees which store called it and when.
vi.mock('../src/compression/zstd.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../src/compression/zstd.js')>();
  return { ...actual, loadZstd: vi.fn(actual.loadZstd) };
});

const loadZstdSpy = vi.mocked(loadZstd);
const MISSING_FOR_READ = 'WASM_CACHE_STORE_ZSTD_MISSING_FOR_READ';

/** A value zstd shrinks a lot, so a compression-on store stores it compressed. */
function compressible(size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = (i * 7) % 13;
  return out;
}

/** The codec byte an entry file's header records. */
function codecOf(store: DiskStore, key: string): number | string {
  const header = parseHeader(readFileSync(store.layout.entry(hashKey(key))));
  return typeof header === 'string' ? header : header.codec;
}

describe('DiskStore with compression off reading compressed entries', () => {
  let dir: ReturnType<typeof tempDirectory>;
  const stores: DiskStore[] = [];
  beforeEach(() => {
    dir = tempDirectory('read-compressed-');
  });
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    loadZstdSpy.mockReset(); // back to the real loader, calls forgotten
    dir.remove();
  });
  const open = async (compression: boolean): Promise<DiskStore> => {
    const store = await DiskStore.open(configFor(dir.path), { namespace: 'ns', compression, background: 'inline' });
    stores.push(store);
    return store;
  };

  it('reads an entry a compression-on store wrote: a hit with the same bytes, and no warning', async () => {
    const writer = await open(true);
    expect(writer.compressed).toBe(true);
    const value = compressible(200_000);
    expect(await writer.put('k', value)).toEqual({ stored: true });
    expect(codecOf(writer, 'k')).toBe(CODEC_ZSTD);

    const reader = await open(false);
    const { result, warnings } = await captureWarnings(async () => ({
      got: await reader.get('k'),
      inspected: await reader.inspect('k'),
      peeked: await reader.peek('k', 100),
    }));
    expect(Buffer.from(result.got ?? []).equals(value)).toBe(true);
    expect(Buffer.from(result.inspected ?? []).equals(value)).toBe(true);
    expect(Buffer.from(result.peeked ?? []).equals(value.subarray(0, 100))).toBe(true);
    expect(warnings.map((warning) => (warning as NodeJS.ErrnoException).code)).not.toContain(MISSING_FOR_READ);
    expect(reader.stats()).toMatchObject({ hits: 1, misses: 0, corruptEntries: 0, bytesRead: value.byteLength });
    expect(existsSync(reader.layout.entry(hashKey('k')))).toBe(true);

    // Reading compressed entries does not change how this store writes.
    expect(reader.compressed).toBe(false);
    await reader.put('mine', value);
    expect(codecOf(reader, 'mine')).toBe(CODEC_NONE);
    expect(Buffer.from((await writer.get('mine')) ?? []).equals(value)).toBe(true);
  });

  it('loads zstd only when a read first meets a compressed entry, once per store', async () => {
    const reader = await open(false);
    const value = compressible(50_000);
    await reader.put('plain', value);
    expect(codecOf(reader, 'plain')).toBe(CODEC_NONE);
    expect(Buffer.from((await reader.get('plain')) ?? []).equals(value)).toBe(true);
    expect(Buffer.from((await reader.inspect('plain')) ?? []).equals(value)).toBe(true);
    expect(Buffer.from((await reader.peek('plain', 10)) ?? []).equals(value.subarray(0, 10))).toBe(true);
    expect(await reader.get('absent')).toBeUndefined();
    await reader.flush();
    expect(loadZstdSpy).not.toHaveBeenCalled();

    const writer = await open(true);
    await writer.put('packed', value);
    expect(codecOf(writer, 'packed')).toBe(CODEC_ZSTD);
    loadZstdSpy.mockClear();

    expect(Buffer.from((await reader.get('packed')) ?? []).equals(value)).toBe(true);
    expect(loadZstdSpy).toHaveBeenCalledTimes(1);
    expect(Buffer.from((await reader.inspect('packed')) ?? []).equals(value)).toBe(true);
    expect(Buffer.from((await reader.peek('packed', 10)) ?? []).equals(value.subarray(0, 10))).toBe(true);
    expect(Buffer.from((await reader.get('packed')) ?? []).equals(value)).toBe(true);
    expect(loadZstdSpy).toHaveBeenCalledTimes(1);
  });

  it('when zstd cannot be loaded, a compressed entry is a miss, said once, and is kept', async () => {
    const writer = await open(true);
    const value = compressible(50_000);
    await writer.put('packed', value);
    expect(codecOf(writer, 'packed')).toBe(CODEC_ZSTD);

    const reader = await open(false);
    loadZstdSpy.mockClear();
    loadZstdSpy.mockImplementation(() => ({ codec: undefined, error: 'simulated: no zstd binding' }));
    const { result, warnings } = await captureWarnings(async () => [await reader.get('packed'), await reader.inspect('packed'), await reader.get('packed')]);
    expect(result).toEqual([undefined, undefined, undefined]);
    const missing = warnings.filter((warning) => (warning as NodeJS.ErrnoException).code === MISSING_FOR_READ);
    expect(missing).toHaveLength(1);
    expect(missing[0]?.message).toContain('simulated: no zstd binding');
    expect(loadZstdSpy).toHaveBeenCalledTimes(1);
    expect(reader.stats()).toMatchObject({ hits: 0, misses: 2, corruptEntries: 0 });
    expect(existsSync(reader.layout.entry(hashKey('packed')))).toBe(true);

    // The entry is intact for a store that has zstd.
    expect(Buffer.from((await writer.get('packed')) ?? []).equals(value)).toBe(true);
  });
});
