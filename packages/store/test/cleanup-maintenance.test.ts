import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiskStore, hashKey, Layout, nodeFs, readDirectoryStats, type DiskStoreOptions, type FsLayer, type StatsCounters } from '../src/index.js';
import { configFor, endedProcessPid, faultyFs, limitedConfigFor, manualClock, pseudoRandom, tempDirectory, type EvictionLimits } from './helpers.js';

type Clock = ReturnType<typeof manualClock>;

/** The cleanup's upkeep of the whole cache directory: when the disk is full, in every namespace, and of the statistics files. */
describe('DiskStore cleanup upkeep', () => {
  let dir: ReturnType<typeof tempDirectory>;
  const stores: DiskStore[] = [];
  beforeEach(() => {
    dir = tempDirectory('upkeep-');
  });
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    dir.remove();
  });

  async function open(namespace: string, clock: Clock, options: DiskStoreOptions = {}, limits: EvictionLimits = {}): Promise<DiskStore> {
    const store = await DiskStore.open(limitedConfigFor(dir.path, limits), { namespace, compression: false, clock: clock.now, background: 'inline', ...options });
    stores.push(store);
    return store;
  }

  /** Puts `count` entries of `size` bytes into `namespace` through a store without limits, one a second, then closes it. */
  async function fill(namespace: string, clock: Clock, count: number, size = 1000): Promise<void> {
    const writer = await open(namespace, clock);
    for (let i = 0; i < count; i++) {
      await writer.put(`k${i}`, pseudoRandom(size, `${namespace}/${i}`));
      clock.advance(1000);
    }
    await writer.close();
    stores.splice(stores.indexOf(writer), 1);
  }

  const entryFiles = (namespace: string): number => {
    const entries = new Layout(dir.path, namespace).entries;
    return existsSync(entries) ? readdirSync(entries, { recursive: true }).filter((name) => String(name).endsWith('.entry')).length : 0;
  };

  /** The statistics files of store instances in a namespace's stats folder, and those a cleanup claimed. */
  const instanceFiles = (layout: Layout): string[] => (existsSync(layout.statsDirectory) ? readdirSync(layout.statsDirectory).filter((name) => /^(stats|fold)-/.test(name)).sort() : []);

  const totalOf = (layout: Layout): Record<string, unknown> => JSON.parse(readFileSync(layout.totalFile, 'utf8')) as Record<string, unknown>;

  async function countersOf(namespace: string): Promise<StatsCounters | undefined> {
    return (await readDirectoryStats(dir.path)).namespaces.find((found) => found.namespace === namespace)?.counters;
  }

  describe('on a full file system', () => {
    /** `faulty`'s layer, where the first entry a cleanup evicts frees space (clears the fault), and what the lock file was then. */
    function freeingSpace(faulty: ReturnType<typeof faultyFs>, layout: Layout, base: FsLayer = faulty.fs): { fs: FsLayer; lockAtFirstEviction: () => { size: number; mtimeMs: number } | undefined } {
      let lock: { size: number; mtimeMs: number } | undefined;
      let evicted = false;
      const fs: FsLayer = {
        ...base,
        unlink: async (file) => {
          if (file.endsWith('.entry') && !evicted) {
            evicted = true;
            const stat = statSync(layout.cleanupLock);
            lock = { size: stat.size, mtimeMs: Math.round(stat.mtimeMs) };
            faulty.clear();
          }
          return base.unlink(file);
        },
      };
      return { fs, lockAtFirstEviction: () => lock };
    }

    it('evicts with no room to write a byte: the lock is taken empty, and nothing is written before the evictions free space', async () => {
      const clock = manualClock();
      await fill('ns', clock, 10);
      const layout = new Layout(dir.path, 'ns');
      const faulty = faultyFs();
      const { fs, lockAtFirstEviction } = freeingSpace(faulty, layout);
      const store = await open('ns', clock, { fs }, { entries: 5, percent: 60 });
      clock.advance(1000);
      faulty.set('ENOSPC', ['write']);
      const report = await store.runCleanup({ force: true });
      expect(report).toMatchObject({ ran: true, reason: 'evicted', evicted: 7, entries: 3 });
      expect(report.faults).toEqual([]);
      expect(entryFiles('ns')).toBe(3);
      // Held as an empty file dated now (judged by that date), and released.
      expect(lockAtFirstEviction()).toEqual({ size: 0, mtimeMs: clock.now() });
      expect(existsSync(layout.cleanupLock)).toBe(false);
      // The record, written once space was freed, says what remains.
      expect(JSON.parse(readFileSync(layout.lastCleanup, 'utf8'))).toMatchObject({ at: clock.now(), entries: 3 });
    });

    it('evicts even when no space comes free (EDQUOT), reporting only what it then could not write, and releases the lock', async () => {
      const clock = manualClock();
      await fill('ns', clock, 10);
      const layout = new Layout(dir.path, 'ns');
      const faulty = faultyFs();
      const store = await open('ns', clock, { fs: faulty.fs }, { entries: 5, percent: 60 });
      clock.advance(1000);
      faulty.set('EDQUOT', ['write']);
      const report = await store.runCleanup({ force: true });
      expect(report).toMatchObject({ ran: true, reason: 'evicted', evicted: 7, entries: 3 });
      expect(entryFiles('ns')).toBe(3);
      // The records after the evictions: each namespace's usage.json and the directory's last-cleanup.json.
      expect(report.faults.length).toBeGreaterThan(0);
      expect(new Set(report.faults.map((fault) => fault.code))).toEqual(new Set(['EDQUOT']));
      expect(existsSync(layout.cleanupLock)).toBe(false);
    });

    it('without hard links, keeps the lock it created when its body finds no room, and releases it', async () => {
      const clock = manualClock();
      await fill('ns', clock, 10);
      const layout = new Layout(dir.path, 'ns');
      const faulty = faultyFs();
      const noLinks: FsLayer = {
        ...faulty.fs,
        link: () => Promise.reject(Object.assign(new Error('EPERM: hard links not supported'), { code: 'EPERM' })),
      };
      const { fs, lockAtFirstEviction } = freeingSpace(faulty, layout, noLinks);
      const store = await open('ns', clock, { fs }, { entries: 5, percent: 60 });
      clock.advance(1000);
      faulty.set('ENOSPC', ['write']);
      const report = await store.runCleanup({ force: true });
      expect(report).toMatchObject({ ran: true, evicted: 7, faults: [] });
      expect(lockAtFirstEviction()).toEqual({ size: 0, mtimeMs: clock.now() });
      expect(existsSync(layout.cleanupLock)).toBe(false);
    });

    it('an empty lock (taken on a full disk, or left by a crash) is judged by its date', async () => {
      const clock = manualClock();
      const store = await open('ns', clock, { lockStaleAge: 60_000 });
      mkdirSync(store.layout.storeDirectory, { recursive: true });
      writeFileSync(store.layout.cleanupLock, '');
      utimesSync(store.layout.cleanupLock, clock.now() / 1000, clock.now() / 1000);
      expect(await store.runCleanup({ force: true })).toMatchObject({ ran: false, reason: 'locked' });
      clock.advance(120_000); // older than lockStaleAge: abandoned
      expect(await store.runCleanup({ force: true })).toMatchObject({ ran: true });
      expect(existsSync(store.layout.cleanupLock)).toBe(false);
    });
  });

  it('looks after a namespace without entries: removes a killed first writer\'s temp file and folds a reader\'s counters', async () => {
    const clock = manualClock();
    const bare = new Layout(dir.path, 'node-18-bare');
    mkdirSync(bare.tmp, { recursive: true });
    mkdirSync(bare.statsDirectory, { recursive: true });
    const dead = endedProcessPid();
    const temp = path.join(bare.tmp, `${hashKey('big')}.entry.${dead}.0badf00d.tmp`); // a writer killed during its first put
    writeFileSync(temp, Buffer.alloc(64 * 1024));
    const finished = path.join(bare.statsDirectory, `stats-${dead}.1-abc.json`); // a process that only read
    writeFileSync(finished, JSON.stringify({ misses: 3 }));
    mkdirSync(path.join(dir.path, 'notes')); // a valid name without v1/: not a namespace of the store
    const store = await open('node-24-live', clock);
    const report = await store.runCleanup({ force: true });
    expect(report.staleTempsRemoved).toBe(1);
    expect(existsSync(temp)).toBe(false);
    expect(existsSync(finished)).toBe(false);
    expect(totalOf(bare)).toMatchObject({ misses: 3 });
    expect(JSON.parse(readFileSync(bare.usageFile, 'utf8'))).toMatchObject({ entries: 0, bytes: 0 });
    expect((await countersOf('node-18-bare'))?.misses).toBe(3);
    expect(existsSync(bare.entries)).toBe(false); // no entries: none made
    expect(readdirSync(path.join(dir.path, 'notes'))).toEqual([]);
  });

  it('folds the counters of stores closed in a process that still runs; a store still open keeps its file', async () => {
    const clock = manualClock();
    const layout = new Layout(dir.path, 'ns');
    for (let i = 0; i < 20; i++) {
      const store = await DiskStore.open(configFor(dir.path), { namespace: 'ns', background: 'inline', clock: clock.now });
      await store.get(`absent-${i}`);
      await store.close();
    }
    const running = await open('ns', clock);
    await running.get('absent');
    await running.flush();
    expect(instanceFiles(layout).length).toBeGreaterThan(1);
    await running.runCleanup({ force: true });
    // Only the open store's file is left; the closed ones' counters are in total.json, once each.
    expect(instanceFiles(layout)).toHaveLength(1);
    expect(instanceFiles(layout)[0]).toMatch(new RegExp(`^stats-${process.pid}\\.`));
    expect(totalOf(layout)).toMatchObject({ misses: 20 });
    expect((await countersOf('ns'))?.misses).toBe(21);
    await running.close();
    await (await open('other', clock)).runCleanup({ force: true });
    expect(instanceFiles(layout)).toEqual([]);
    expect(totalOf(layout)).toMatchObject({ misses: 21 });
  });

  describe('folding statistics counts each file once', () => {
    /** Three statistics files of an ended process (1 hit and 2 misses each) beside a total of 10 hits: 13 hits and 6 misses in all. */
    function finishedFiles(layout: Layout): string[] {
      mkdirSync(layout.statsDirectory, { recursive: true });
      mkdirSync(layout.entries, { recursive: true }); // a namespace any version of the store looks after
      const dead = endedProcessPid();
      const names = [0, 1, 2].map((i) => `stats-${dead}.${i}-abc.json`);
      for (const name of names) writeFileSync(path.join(layout.statsDirectory, name), JSON.stringify({ hits: 1, misses: 2 }));
      writeFileSync(layout.totalFile, JSON.stringify({ hits: 10 }));
      return names;
    }

    /** A file system on which this process stops doing anything (every call fails) once `dies` says so: a kill, without timing. */
    function dyingFs(dies: (call: string, file: string) => 'before' | 'after' | undefined): { fs: FsLayer; died: () => boolean } {
      let dead = false;
      const step = async <T>(call: string, file: string, run: () => Promise<T>): Promise<T> => {
        if (dead) throw Object.assign(new Error(`killed: ${call} ${file}`), { code: 'EKILLED' });
        const when = dies(call, file);
        if (when === 'before') {
          dead = true;
          throw Object.assign(new Error(`killed: ${call} ${file}`), { code: 'EKILLED' });
        }
        const result = await run();
        if (when === 'after') dead = true;
        return result;
      };
      const fs: FsLayer = {
        open: (file, flags, mode) => step('open', file, () => nodeFs.open(file, flags, mode)),
        rename: (from, to) => step('rename', to, () => nodeFs.rename(from, to)),
        link: (existing, to) => step('link', to, () => nodeFs.link(existing, to)),
        unlink: (file) => step('unlink', file, () => nodeFs.unlink(file)),
        mkdir: (file, options) => step('mkdir', file, () => nodeFs.mkdir(file, options)),
        readdir: (file) => step('readdir', file, () => nodeFs.readdir(file)),
        stat: (file) => step('stat', file, () => nodeFs.stat(file)),
        lstat: (file) => step('lstat', file, () => nodeFs.lstat(file)),
      };
      return { fs, died: () => dead };
    }

    it.each([
      ['after claiming the files, before writing total.json', (layout: Layout) => (call: string, file: string) => (call === 'open' && path.basename(file).startsWith('total.json.') && path.dirname(file) === layout.tmp ? 'before' : undefined)],
      ['after writing total.json, before removing the files it folded', (layout: Layout) => (call: string, file: string) => (call === 'rename' && file === layout.totalFile ? 'after' : undefined)],
    ] as const)('when the cleanup is killed %s', async (_, killPoint) => {
      const clock = manualClock();
      const layout = new Layout(dir.path, 'ns');
      finishedFiles(layout);
      const dying = dyingFs(killPoint(layout));
      const killed = await open('ns', clock, { fs: dying.fs, lockStaleAge: 60_000 });
      await killed.runCleanup({ force: true });
      expect(dying.died()).toBe(true);
      // Meanwhile a reader counts each file once.
      expect(await countersOf('ns')).toMatchObject({ hits: 13, misses: 6 });
      clock.advance(120_000); // the killed cleanup's lock and claims are abandoned (its process runs on: by age)
      const report = await (await open('other', clock, { lockStaleAge: 60_000 })).runCleanup({ force: true });
      expect(report).toMatchObject({ ran: true, faults: [] });
      expect(totalOf(layout)).toMatchObject({ hits: 13, misses: 6 });
      expect(instanceFiles(layout)).toEqual([]);
      expect(await countersOf('ns')).toMatchObject({ hits: 13, misses: 6 });
    });

    it('when the cleanup process is SIGKILLed after writing total.json, before removing what it folded', async () => {
      const clock = manualClock();
      const layout = new Layout(dir.path, 'ns');
      finishedFiles(layout);
      const child = spawnSync(process.execPath, [path.resolve('test/fixtures/fold-killer.mjs'), path.resolve('dist/index.js'), dir.path, 'other'], { encoding: 'utf8' });
      expect(child.signal).toBe('SIGKILL');
      expect(await countersOf('ns')).toMatchObject({ hits: 13, misses: 6 });
      // Its process has ended: its lock and claims are abandoned at once.
      const report = await (await open('ns', clock)).runCleanup({ force: true });
      expect(report).toMatchObject({ ran: true, faults: [] });
      expect(totalOf(layout)).toMatchObject({ hits: 13, misses: 6 });
      expect(instanceFiles(layout)).toEqual([]);
    });

    it('when another cleanup takes the lock over as stale and runs between writing total.json and removing the files', async () => {
      const clock = manualClock();
      const later = manualClock(clock.now() + 1000);
      const layout = new Layout(dir.path, 'ns');
      finishedFiles(layout);
      // Judges every lock and claim of another cleanup abandoned: the worst case of two taking one stale lock.
      const other = await open('other', later, { lockStaleAge: 0 });
      let interleaved: Awaited<ReturnType<DiskStore['runCleanup']>> | undefined;
      const fs: FsLayer = {
        ...nodeFs,
        rename: async (from, to) => {
          await nodeFs.rename(from, to);
          if (to === layout.totalFile && !interleaved) interleaved = await other.runCleanup({ force: true });
        },
      };
      const first = await open('ns', clock, { fs });
      expect(await first.runCleanup({ force: true })).toMatchObject({ ran: true, faults: [] });
      expect(interleaved).toMatchObject({ ran: true, faults: [] });
      expect(totalOf(layout)).toMatchObject({ hits: 13, misses: 6 });
      expect(instanceFiles(layout)).toEqual([]);
    });

    it('lists only what it folded and may still find in total.json, and counts a claimed file the total does not list', async () => {
      const clock = manualClock();
      const layout = new Layout(dir.path, 'ns');
      finishedFiles(layout);
      await (await open('ns', clock)).runCleanup({ force: true });
      // The files are gone, so the next fold no longer lists them.
      const dead = endedProcessPid();
      writeFileSync(path.join(layout.statsDirectory, `stats-${dead}.9-abc.json`), JSON.stringify({ hits: 100 }));
      // A claim of an ended cleanup that the total does not list: its counters were never added.
      const claim = `fold-${dead}.${clock.now()}.0123456789abcdef.stats-${dead}.8-abc.json`;
      writeFileSync(path.join(layout.statsDirectory, claim), JSON.stringify({ hits: 1000 }));
      expect((await countersOf('ns'))?.hits).toBe(1113);
      await (await open('other', clock)).runCleanup({ force: true });
      expect(totalOf(layout)).toMatchObject({ hits: 1113, misses: 6 });
      // The two it added; the three of the first fold are gone, so no longer listed.
      expect(totalOf(layout)['folded']).toHaveLength(2);
      expect(instanceFiles(layout)).toEqual([]);
      await (await open('third', clock)).runCleanup({ force: true });
      expect(totalOf(layout)).toMatchObject({ hits: 1113, misses: 6 });
    });
  });
});
