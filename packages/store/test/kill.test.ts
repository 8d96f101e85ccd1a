import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DiskStore } from '../src/index.js';
import { configFor, tempDirectory } from './helpers.js';
// @ts-expect-error plain .mjs fixture without types
import { checkValue } from './fixtures/self-checking-value.mjs';

const check = checkValue as (key: string, value: Uint8Array) => string | undefined;
const distIndex = path.resolve('dist/index.js');

/** Starts a writer, waits until its first write is whole, lets it run `ms` more, then SIGKILLs it. */
function killOne(directory: string, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.resolve('test/fixtures/killable-writer.mjs'), distIndex, directory], {
      cwd: path.resolve('.'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.stdout.once('data', () => setTimeout(() => child.kill('SIGKILL'), ms));
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`writer ended with ${code} ${signal}: ${err}`))));
  });
}

describe('writers killed with SIGKILL at random points', () => {
  const dir = tempDirectory('kill-');
  afterEach(() => dir.remove());

  it('60 kills: every entry served afterwards is intact and stale temp files are cleaned', async () => {
    let state = 12345;
    const random = (): number => (state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32;
    const kills = 60;
    // Two victims at a time, so kills also land while another process writes the same keys.
    for (let i = 0; i < kills; i += 2) {
      await Promise.all([killOne(dir.path, Math.floor(random() * 120)), killOne(dir.path, Math.floor(random() * 120))]);
    }
    const store = await DiskStore.open(configFor(dir.path), { namespace: 'killed' });
    // Temp files of the namespace, and of the directory-level files (a kill while taking the cleanup lock).
    const temps = (): string[] => [store.layout.tmp, store.layout.storeTmp].flatMap((folder) => (existsSync(folder) ? readdirSync(folder) : []));
    const tmpBefore = temps();
    expect(tmpBefore.length).toBeGreaterThan(0); // kills did land mid-write
    const report = await store.runCleanup({ force: true });
    expect(report.ran).toBe(true); // a lock left by a killed process does not block cleanup
    expect(report.staleTempsRemoved).toBe(tmpBefore.length);
    expect(temps()).toEqual([]);
    let served = 0;
    for await (const key of store.keys()) {
      const value = await store.get(key);
      if (value === undefined) continue;
      served++;
      expect(check(key, value)).toBeUndefined();
    }
    expect(served).toBeGreaterThan(0);
    // Rename-into-place means a kill never leaves a damaged entry behind, not even one the checksum would catch.
    expect(store.stats().corruptEntries).toBe(0);
    console.log(`kill test: ${kills} kills, ${served} entries served intact, ${tmpBefore.length} stale temp files removed`);
    await store.close();
  });
});
