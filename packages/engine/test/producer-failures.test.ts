import { existsSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startProducer } from '../src/producer/producer-client.js';
import type { DeliveryJob } from '../src/producer/producer-protocol.js';
import { runChild, tempDir, until, wasmFile } from './helpers.js';

/** How many times a warning code was printed. */
function printed(stderr: string, code: string): number {
  return stderr.split(code).length - 1;
}

describe('a background production that fails is counted and said once, never silent', () => {
  const work = tempDir('engine-producer-fail-');
  const wasm = wasmFile(work, 150);

  it('a producer lock that cannot be created (the folder is not writable) is a failure, not "someone else is producing"', async () => {
    const cacheDir = join(work, 'no-locks');
    await runChild(process.execPath, [cacheDir, wasm.path, '--tier', 'hot']); // creates the cache folder
    writeFileSync(join(cacheDir, '.producers'), 'a file where the lock folder goes');
    const report = await runChild(process.execPath, [cacheDir, wasm.path, '--idle']);
    expect(report.outcomes).toEqual(['miss']);
    expect(report.stats).toMatchObject({ producerFailures: 1, artifactsProduced: 0 });
    expect(printed(report.stderr, 'CACHE_ENGINE_PRODUCER_FAILED')).toBe(1);
    expect(report.stderr).toContain('producer lock');
  });

  it('an artifact the store refuses (larger than the capacity) is a failure, with the store\'s reason', async () => {
    const cacheDir = join(work, 'small');
    const report = await runChild(process.execPath, [cacheDir, wasm.path, '--idle', '--capacity', '4Ki']);
    expect(report.outcomes).toEqual(['miss']);
    expect(report.stats).toMatchObject({ producerFailures: 1, artifactsProduced: 0 });
    expect(printed(report.stderr, 'CACHE_ENGINE_PRODUCER_FAILED')).toBe(1);
    expect(report.stderr).toMatch(/did not take the artifact/);
    // Heard by its parent: no note is left for the next process to repeat.
    expect(hasFailureNote(join(cacheDir, '.producers'))).toBe(false);
    const next = await runChild(process.execPath, [cacheDir, wasm.path, '--capacity', '4Ki']);
    expect(next.stderr).not.toMatch(/an earlier background production/);
  });

  it("a detached producer's failure after its parent exited is said by the next process that misses the module", async () => {
    const cacheDir = join(work, 'detached');
    // A module (9 MB) whose optimizing compile takes its producer about 1.7 s, four times the whole life of its
    // parent (which compiles it lazily and makes one call): the producer fails after the parent is gone. With
    // the small module the two raced, and a parent that heard the failure left no note.
    const large = wasmFile(work, 12_000, 'large.wasm');
    const first = await runChild(process.execPath, [cacheDir, large.path, '--capacity', '4Ki']);
    expect(first.outcomes).toEqual(['miss']);
    expect(first.stats.producerFailures).toBe(0); // gone before its producer finished
    const notes = join(cacheDir, '.producers');
    expect(await until(() => existsSync(notes) && hasFailureNote(notes), 30_000)).toBe(true);
    const next = await runChild(process.execPath, [cacheDir, large.path, '--capacity', '4Ki', '--idle']);
    expect(next.outcomes).toEqual(['miss']);
    expect(printed(next.stderr, 'CACHE_ENGINE_PRODUCER_FAILED')).toBe(1);
    expect(next.stderr).toMatch(/an earlier background production of this module failed: the store did not take the artifact/);
  });
});

/** Whether a producer failure note is in the lock folder. */
function hasFailureNote(folder: string): boolean {
  return readdirSync(folder).some((name) => name.endsWith('.failed'));
}

describe('a job file that cannot be written whole (a full disk)', () => {
  it('is removed, not left to fill the disk, and the failure is thrown to the caller', () => {
    const dir = tempDir('engine-jobfile-');
    // /dev/full answers every write with ENOSPC, as a full disk does.
    const jobFile = join(dir, 'x.lock.job');
    symlinkSync('/dev/full', jobFile);
    const job: DeliveryJob = {
      type: 'deliver',
      artifact: new Uint8Array(1 << 20),
      delivery: { kind: 'store', settings: {}, compression: false, namespace: 'n'.repeat(24), key: 'k.hot' },
    };
    expect(() => startProducer(job, 1000, { jobFile })).toThrow(/ENOSPC/);
    expect(existsSync(jobFile)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });
});
