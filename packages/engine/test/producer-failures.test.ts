import { existsSync, lutimesSync, mkdirSync, readdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ABANDONED_JOB_MIN_AGE_MS, sweepAbandonedJobs } from '../src/producer/abandoned-jobs.js';
import { startProducer } from '../src/producer/producer-client.js';
import { leaveRefusalNote, refusalNotePath, refusalStillHolding } from '../src/producer/refusal-note.js';
import type { DeliveryJob } from '../src/producer/producer-protocol.js';
import { entryFiles, runChild, tempDir, until, wasmFile } from './helpers.js';

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
    const next = await runChild(process.execPath, [cacheDir, wasm.path, '--capacity', '4Ki', '--idle']);
    expect(next.stderr).not.toMatch(/an earlier background production/);
    // Refused for its size, not for a fault: the next run does not spend an optimizing compile on the same refusal.
    expect(next.stats).toMatchObject({ producerFailures: 0, artifactsProduced: 0 });
    expect(printed(next.stderr, 'CACHE_ENGINE_PRODUCER_FAILED')).toBe(1);
    expect(next.stderr).toMatch(/Not producing an optimized WebAssembly artifact the store refused before \(value of \d+ bytes exceeds the 4096-byte capacity\)/);
    expect(readdirSync(join(cacheDir, '.producers')).filter((name) => name.endsWith('.lock'))).toEqual([]);
    // A larger capacity decides again, and the artifact is produced and stored.
    const raised = await runChild(process.execPath, [cacheDir, wasm.path, '--capacity', '64Mi', '--idle']);
    expect(raised.stats).toMatchObject({ producerFailures: 0, artifactsProduced: 1 });
    expect(raised.stderr).not.toContain('CACHE_ENGINE_PRODUCER_FAILED');
    expect(readdirSync(join(cacheDir, '.producers')).filter((name) => name.endsWith('.refused'))).toEqual([]);
    expect((await runChild(process.execPath, [cacheDir, wasm.path, '--capacity', '64Mi'])).outcomes).toEqual(['hit']);
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

/** Writes a file in `folder` and sets its modification time `ageMs` ago. */
function fileAged(folder: string, name: string, ageMs: number, body = 'x'): string {
  const path = join(folder, name);
  writeFileSync(path, body);
  const at = (Date.now() - ageMs) / 1000;
  utimesSync(path, at, at);
  return path;
}

describe('job files no producer will read (its producer was killed before reading it)', () => {
  const hour = 60 * 60 * 1000;

  it('are removed once older than the task timeout (10 minutes at least); locks, notes, young jobs and link targets are kept', () => {
    const folder = join(tempDir('engine-sweep-'), '.producers');
    mkdirSync(folder);
    const target = fileAged(join(folder, '..'), 'target.bin', 2 * hour, 'kept');
    const old = [fileAged(folder, 'f.k.hot.lock.123.deliver', 2 * hour), fileAged(folder, 'f.k.full.lock.job', 2 * hour)];
    const link = join(folder, 'f.l.hot.lock.9.deliver');
    symlinkSync(target, link);
    lutimesSync(link, 0, 0); // an old link to a young file: judged by its own time, and only it is removed
    utimesSync(target, new Date(), new Date());
    const kept = [
      fileAged(folder, 'f.k.hot.lock.124.deliver', 20 * 60 * 1000), // younger than the 30-minute timeout
      fileAged(folder, 'f.k.full.lock', 2 * hour),
      fileAged(folder, 'f.k.full.lock.failed', 2 * hour),
    ];
    mkdirSync(join(folder, 'a-folder.job'));
    utimesSync(join(folder, 'a-folder.job'), 0, 0);
    const removed = sweepAbandonedJobs(folder, 30 * 60 * 1000);
    expect(removed.sort()).toEqual([...old, link].sort());
    expect(readdirSync(folder).sort()).toEqual([...kept.map((path) => basename(path)), 'a-folder.job'].sort());
    expect(existsSync(target)).toBe(true);
    // Once per folder per process.
    fileAged(folder, 'f.m.hot.lock.5.deliver', 2 * hour);
    expect(sweepAbandonedJobs(folder, 30 * 60 * 1000)).toEqual([]);
  });

  it('a timeout shorter than 10 minutes does not take a job a slow-starting producer has yet to read', () => {
    const folder = join(tempDir('engine-sweep-floor-'), '.producers');
    mkdirSync(folder);
    const young = fileAged(folder, 'f.k.hot.lock.1.deliver', ABANDONED_JOB_MIN_AGE_MS - 60_000);
    const old = fileAged(folder, 'f.k.hot.lock.2.deliver', ABANDONED_JOB_MIN_AGE_MS + 60_000);
    expect(sweepAbandonedJobs(folder, 1)).toEqual([old]);
    expect(existsSync(young)).toBe(true);
  });

  it('a process handing over its hot code at exit sweeps them first', async () => {
    const work = tempDir('engine-sweep-exit-');
    const wasm = wasmFile(work, 150);
    const cacheDir = join(work, 'cache');
    const folder = join(cacheDir, '.producers');
    mkdirSync(folder, { recursive: true });
    const abandoned = fileAged(folder, 'f.k.hot.lock.77.deliver', 2 * hour, 'x'.repeat(1 << 16));
    const report = await runChild(process.execPath, [cacheDir, wasm.path, '--tier', 'hot', '--work', '20', '--no-close']);
    expect(report.outcomes).toEqual(['miss']);
    expect(existsSync(abandoned)).toBe(false);
    // Its own hand-over still happened: the next process loads the code.
    expect(await until(() => entryFiles(cacheDir).length === 1, 30_000)).toBe(true);
    expect((await runChild(process.execPath, [cacheDir, wasm.path, '--tier', 'hot'])).outcomes).toEqual(['hit']);
  });
});

describe('the note of a store refusal (an artifact larger than the capacity)', () => {
  it('holds only under the settings it was made under; any other note is removed', () => {
    const lock = join(tempDir('engine-refusal-'), 'f.k.full.lock');
    const note = { reason: 'entry of 9000 bytes exceeds the 4096-byte capacity', capacity: 4096, compression: false };
    expect(refusalStillHolding(lock, note)).toBeUndefined(); // none
    leaveRefusalNote(lock, note);
    expect(refusalStillHolding(lock, { capacity: 4096, compression: false })).toEqual(note);
    expect(existsSync(refusalNotePath(lock))).toBe(true);
    expect(refusalStillHolding(lock, { capacity: 4096, compression: true })).toBeUndefined();
    expect(existsSync(refusalNotePath(lock))).toBe(false);
    leaveRefusalNote(lock, note);
    expect(refusalStillHolding(lock, { capacity: 8192, compression: false })).toBeUndefined();
    expect(existsSync(refusalNotePath(lock))).toBe(false);
    for (const damaged of ['{"capacity":4096,"compression":false', '{"capacity":4096,"compression":false}', '[]']) {
      writeFileSync(refusalNotePath(lock), damaged);
      expect(refusalStillHolding(lock, { capacity: 4096, compression: false })).toBeUndefined();
      expect(existsSync(refusalNotePath(lock))).toBe(false);
    }
  });
});
