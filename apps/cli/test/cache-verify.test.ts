import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CacheConfig, Config, Engine, engineFingerprint, lookupId, moduleHash } from '@cache/engine';
import { DiskStore, hashKey, Layout, readDirectoryStats } from '@cache/store';
import { buildWasmModule } from '@cache/wasm-fixtures';
import { describe, expect, it } from 'vitest';
import { cli, tempDir } from './helpers.js';

describe('wasm-cache cache verify (built binary)', () => {
  it('checks hot and full artifacts under module hashes and sampled ids; keeps another version\'s', async () => {
    const cacheDir = join(tempDir('cli-verify-'), 'cache');
    const config = CacheConfig.default().withDirectory(cacheDir);
    const engine = new Engine(Config.default().cacheConfig(config));
    const bytes = buildWasmModule({ functions: 40 });
    // A portable artifact is an artifact as the cache stores it (same layout, checksum and V8 code).
    const artifact = await engine.precompile(bytes);
    await engine.close();
    const fingerprint = await engineFingerprint();
    if (!fingerprint.ok) throw new Error(fingerprint.reason);
    const hash = moduleHash(bytes);
    expect(lookupId(bytes)).toBe(hash);

    const damagedPayload = artifact.slice();
    damagedPayload[damagedPayload.byteLength - 1] = (damagedPayload[damagedPayload.byteLength - 1] ?? 0) ^ 1;
    const olderLayout = artifact.slice();
    new DataView(olderLayout.buffer).setUint16(4, 1, true);
    const unknownTier = artifact.slice();
    unknownTier[6] = 9;
    const sampled = `s${'ab'.repeat(32)}`;
    const store = await DiskStore.open(config, { namespace: fingerprint.fingerprint.id, compression: false });
    // Intact entries to the store (its own checksum matches what was put), holding what is listed.
    await store.put(`${hash}.hot`, artifact);
    await store.put(`${hash}.full`, damagedPayload);
    await store.put(`${sampled}.hot`, damagedPayload);
    // This layout, but nothing this version writes: damaged.
    await store.put(`${sampled}.full`, unknownTier);
    await store.close();
    // An earlier version's artifact, in that version's namespace (the fingerprint covers the layout).
    const earlier = await DiskStore.open(config, { namespace: 'a'.repeat(24), compression: false });
    await earlier.put(`${hash}.full`, olderLayout);
    await earlier.close();

    const env = { WASM_CACHE_DIRECTORY: cacheDir };
    const run = await cli(['cache', 'verify', '--json'], env);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { checked: number; damaged: Array<{ key: string; reason: string }>; otherVersion: Array<{ key: string; reason: string }> };
    expect(report.checked).toBe(5);
    expect(report.damaged.map((d) => [d.key, d.reason]).sort()).toEqual([
      [`${hash}.full`, 'checksum-mismatch (removed)'],
      [`${sampled}.full`, 'unsupported-version (removed)'],
      [`${sampled}.hot`, 'checksum-mismatch (removed)'],
    ]);
    expect(report.otherVersion).toEqual([
      { namespace: 'a'.repeat(24), key: `${hash}.full`, reason: expect.stringMatching(/layout version 1, expected 2: made by an earlier version of @cache\/engine/) },
    ]);
    const listed = JSON.parse((await cli(['cache', 'ls', '--json'], env)).stdout) as Array<{ key: string }>;
    expect(listed.map((entry) => entry.key).sort()).toEqual([`${hash}.full`, `${hash}.hot`]);

    const human = await cli(['cache', 'verify'], env);
    expect(human.stdout).toContain('Checked 2 entries: all intact');
    expect(human.stdout).toContain('1 made by another version of @cache/engine, kept:');
  });

  it('entry files whose header names no key are listed, and removed by verify and by clear; verify is a check, not a use', async () => {
    const cacheDir = join(tempDir('cli-verify-unkeyed-'), 'cache');
    const config = CacheConfig.default().withDirectory(cacheDir);
    const namespace = 'b'.repeat(24);
    const layout = new Layout(cacheDir, namespace);
    const value = new Uint8Array(4096).fill(7);
    const store = await DiskStore.open(config, { namespace, compression: false });
    for (const key of ['intact', 'magic', 'emptied', 'renamed']) expect((await store.put(key, value)).stored).toBe(true);
    await store.close();
    const file = (key: string): string => layout.entry(hashKey(key));
    // A flipped magic byte, a file cut to nothing, and another key's file under this one's name: no key reaches them.
    const magic = readFileSync(file('magic'));
    magic[2] = (magic[2] ?? 0) ^ 0xff;
    writeFileSync(file('magic'), magic);
    writeFileSync(file('emptied'), new Uint8Array(0));
    const stray = join(dirname(file('intact')), `${'c'.repeat(64)}.entry`);
    mkdirSync(dirname(stray), { recursive: true });
    copyFileSync(file('renamed'), stray);
    rmSync(file('renamed'));
    const unkeyed = [file('magic'), file('emptied'), stray].sort();
    const env = { WASM_CACHE_DIRECTORY: cacheDir };
    const sidecar = layout.sidecar(hashKey('intact'));
    const hitsBefore = (await readDirectoryStats(cacheDir)).total.hits;

    const listed = JSON.parse((await cli(['cache', 'ls', '--json'], env)).stdout) as Array<{ key: string | null; file?: string }>;
    expect(listed.filter((entry) => entry.key !== null).map((entry) => entry.key)).toEqual(['intact']);
    expect(listed.filter((entry) => entry.key === null).map((entry) => entry.file).sort()).toEqual(unkeyed);
    expect((await cli(['cache', 'ls'], env)).stdout).toContain('(damaged: no key)');

    const run = await cli(['cache', 'verify', '--json'], env);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { checked: number; damaged: Array<{ key: string | null; file?: string; reason: string }> };
    expect(report.checked).toBe(4);
    expect(report.damaged.map((d) => [d.key, d.file, d.reason]).sort()).toEqual(unkeyed.map((f) => [null, f, 'its header names no key (removed)']));
    for (const f of unkeyed) expect(existsSync(f)).toBe(false);
    expect(existsSync(file('intact'))).toBe(true);
    // Reading to check is not a use: no usage sidecar (recency, which a cleanup evicts by), no hit counted.
    expect(existsSync(sidecar)).toBe(false);
    expect((await readDirectoryStats(cacheDir)).total.hits).toBe(hitsBefore);
    expect((await cli(['cache', 'verify'], env)).stdout).toContain('Checked 1 entry: all intact');

    writeFileSync(file('emptied'), new Uint8Array(0));
    const cleared = JSON.parse((await cli(['cache', 'clear', '--json'], env)).stdout) as { removed: number };
    expect(cleared.removed).toBe(2);
    expect(existsSync(file('emptied'))).toBe(false);
    expect(existsSync(file('intact'))).toBe(false);
    // One entry is one entry.
    const again = await DiskStore.open(config, { namespace, compression: false });
    expect((await again.put('intact', value)).stored).toBe(true);
    await again.close();
    expect((await cli(['cache', 'clear'], env)).stdout).toBe(`Removed 1 entry from ${cacheDir}.\n`);
  });
  it('an intact entry larger than the capacity of the store it opens is reported as not read, not as damaged, and kept', async () => {
    const cacheDir = join(tempDir('cli-verify-large-'), 'cache');
    const namespace = 'd'.repeat(24);
    // Written by a store of a larger capacity sharing the directory.
    const writer = await DiskStore.open(CacheConfig.default().withDirectory(cacheDir).withCapacity('100Mi'), { namespace, compression: false });
    for (const key of ['big-1', 'big-2']) expect((await writer.put(key, new Uint8Array(2_000_000).fill(3))).stored).toBe(true);
    expect((await writer.put('small', new Uint8Array(1000).fill(4))).stored).toBe(true);
    await writer.close();
    const env = { WASM_CACHE_DIRECTORY: cacheDir, WASM_CACHE_FILES_TOTAL_SIZE_SOFT_LIMIT: '1Mi' };
    const reason = "larger than this store's capacity (1048576 bytes): not read";

    const run = await cli(['cache', 'verify', '--json'], env);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { checked: number; damaged: unknown[]; notRead: Array<{ namespace: string; key: string; reason: string }> };
    expect(report.checked).toBe(3);
    expect(report.damaged).toEqual([]);
    expect(report.notRead.sort((a, b) => (a.key < b.key ? -1 : 1))).toEqual([
      { namespace, key: 'big-1', reason },
      { namespace, key: 'big-2', reason },
    ]);
    const layout = new Layout(cacheDir, namespace);
    for (const key of ['big-1', 'big-2', 'small']) expect(existsSync(layout.entry(hashKey(key)))).toBe(true);
    expect((await readDirectoryStats(cacheDir)).total.corruptEntries).toBe(0);

    const human = await cli(['cache', 'verify'], env);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('Checked 3 entries: 2 not read');
    expect(human.stdout).toContain(`  big-1: ${reason}`);
    expect(human.stdout).not.toContain('checksum mismatch');
    // With the capacity they were written under, they are read, and intact.
    expect((await cli(['cache', 'verify'], { WASM_CACHE_DIRECTORY: cacheDir })).stdout).toContain('Checked 3 entries: all intact');
  });

  it('a compressed entry holding more than the capacity, though its file is smaller, is reported as not read, and kept', async () => {
    const cacheDir = join(tempDir('cli-verify-large-z-'), 'cache');
    const namespace = 'e'.repeat(24);
    const writer = await DiskStore.open(CacheConfig.default().withDirectory(cacheDir).withCapacity('100Mi'), { namespace, compression: true });
    expect((await writer.put('big-z', new Uint8Array(2_000_000).fill(3))).stored).toBe(true);
    await writer.close();
    const file = new Layout(cacheDir, namespace).entry(hashKey('big-z'));
    expect(statSync(file).size).toBeLessThan(1024 * 1024);
    const run = await cli(['cache', 'verify', '--json'], { WASM_CACHE_DIRECTORY: cacheDir, WASM_CACHE_FILES_TOTAL_SIZE_SOFT_LIMIT: '1Mi' });
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { checked: number; damaged: unknown[]; notRead?: Array<{ namespace: string; key: string; reason: string }> };
    expect(report).toMatchObject({ checked: 1, damaged: [] });
    expect(report.notRead).toEqual([{ namespace, key: 'big-z', reason: "holds 2000000 bytes, more than this store's capacity (1048576 bytes): not read" }]);
    expect(existsSync(file)).toBe(true);
  });
});
