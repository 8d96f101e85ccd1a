import { join } from 'node:path';
import { CacheConfig, Config, Engine, engineFingerprint, lookupId, moduleHash } from '@cache/engine';
import { DiskStore } from '@cache/store';
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
});
