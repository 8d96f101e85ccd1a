import { execFileSync } from 'node:child_process';
import diagnostics from 'node:diagnostics_channel';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assertSafeStoreDirectories, CHANNELS, DiskStore, InvalidNamespaceError, UnsafeDirectoryError, type FaultMessage } from '../src/index.js';
import { captureWarnings, configFor, faultyFs, pseudoRandom, tempDirectory } from './helpers.js';

function tryExec(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function remount(mountPoint: string, mode: 'ro' | 'rw'): Promise<boolean> {
  for (let attempt = 0; attempt < 20; attempt++) {
    if (tryExec('mount', ['-o', `remount,${mode}`, mountPoint])) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

describe('DiskStore faults', () => {
  let dir: ReturnType<typeof tempDirectory>;
  const stores: DiskStore[] = [];
  beforeEach(() => {
    dir = tempDirectory('faults-');
  });
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    dir.remove();
  });
  const open = async (...args: Parameters<typeof DiskStore.open>): Promise<DiskStore> => {
    const store = await DiskStore.open(...args);
    stores.push(store);
    return store;
  };

  for (const code of ['EACCES', 'ENOSPC', 'EROFS', 'EMFILE']) {
    it(`absorbs ${code} on write: put fails softly, warns once, recovers when it clears`, async () => {
      const faulty = faultyFs();
      const store = await open(configFor(dir.path), { fs: faulty.fs });
      await store.put('before', Buffer.from('ok'));
      faulty.set(code, code === 'ENOSPC' ? ['write'] : ['open-write']);
      const faults: FaultMessage[] = [];
      const listener = (message: unknown): void => void faults.push(message as FaultMessage);
      diagnostics.subscribe(CHANNELS.fault, listener);
      const { result, warnings } = await captureWarnings(async () => [
        await store.put('k1', Buffer.from('v1')),
        await store.put('k2', Buffer.from('v2')),
        await store.put('k3', Buffer.from('v3')),
      ]);
      diagnostics.unsubscribe(CHANNELS.fault, listener);
      for (const outcome of result) {
        expect(outcome.stored).toBe(false);
        expect(outcome.stored === false && outcome.reason).toContain(code);
        expect(outcome).toMatchObject({ faultCode: code });
      }
      const ours = warnings.filter((w) => (w as { code?: string }).code === `WASM_CACHE_STORE_${code}`);
      expect(ours).toHaveLength(1);
      expect(faults.filter((f) => f.code === code)).toHaveLength(3);
      expect(store.stats().errors).toBe(3);
      await store.flush(); // background work (a cleanup check) uses tmp/ briefly too
      expect(readdirSync(store.layout.tmp)).toEqual([]); // no temp left behind
      expect(Buffer.from((await store.get('before')) ?? []).toString()).toBe('ok');
      faulty.clear();
      expect((await store.put('k1', Buffer.from('v1'))).stored).toBe(true);
      expect(Buffer.from((await store.get('k1')) ?? []).toString()).toBe('v1');
    });
  }

  it('absorbs EMFILE and EACCES on read as misses', async () => {
    const faulty = faultyFs();
    const store = await open(configFor(dir.path), { fs: faulty.fs });
    await store.put('k', Buffer.from('v'));
    for (const code of ['EMFILE', 'EACCES']) {
      faulty.set(code, ['open-read', 'lstat', 'readdir', 'unlink']);
      expect(await store.get('k')).toBeUndefined();
      expect(await store.has('k')).toBe(false);
      expect(await store.delete('k')).toBe(false);
      const keys: string[] = [];
      for await (const key of store.keys()) keys.push(key);
      expect(keys).toEqual([]);
    }
    faulty.clear();
    expect(store.stats().misses).toBe(2);
    expect(store.stats().errors).toBe(8);
    expect(Buffer.from((await store.get('k')) ?? []).toString()).toBe('v');
  });

  it('turns an error in the middle of a read (EIO, a vanished file) into a miss', async () => {
    const faulty = faultyFs();
    const store = await open(configFor(dir.path), { fs: faulty.fs });
    await store.put('k', pseudoRandom(100_000, 'k'));
    for (const code of ['EIO', 'ENOENT', 'ESTALE']) {
      faulty.set(code, ['read']);
      expect(await store.get('k')).toBeUndefined();
    }
    faulty.clear();
    expect(store.stats().corruptEntries).toBe(0); // an I/O error is not damage: the entry stays
    expect((await store.get('k'))?.byteLength).toBe(100_000);
  });

  it('opens degraded on a file where the directory should be (ENOTDIR), and recovers', async () => {
    const namespaceDirectory = path.join(dir.path, 'ns');
    writeFileSync(namespaceDirectory, 'a file, not a directory');
    const { result: store, warnings } = await captureWarnings(() => open(configFor(dir.path), { namespace: 'ns' }));
    expect(warnings.some((w) => /^WASM_CACHE_STORE_(ENOTDIR|EEXIST)$/.test((w as { code?: string }).code ?? ''))).toBe(true);
    expect((await store.put('k', Buffer.from('v'))).stored).toBe(false);
    expect(await store.get('k')).toBeUndefined();
    expect(await store.has('k')).toBe(false);
    expect(await store.delete('k')).toBe(false);
    rmSync(namespaceDirectory);
    expect((await store.put('k', Buffer.from('v'))).stored).toBe(true);
    expect(Buffer.from((await store.get('k')) ?? []).toString()).toBe('v');
  });

  it('opens degraded under /proc, where recursive mkdir never returns: one warning, misses, no hang', { timeout: 15_000 }, async () => {
    const { result, warnings } = await captureWarnings(async () => {
      const store = await DiskStore.open(configFor(`/proc/wasm-cache-test-${process.pid}`), { namespace: 'ns', background: 'inline' });
      const outcome = { put: await store.put('k', Buffer.from('v')), get: await store.get('k'), has: await store.has('k') };
      await store.close();
      return outcome;
    });
    expect(result).toMatchObject({ put: { stored: false }, get: undefined, has: false });
    expect(warnings.map((w) => (w as { code?: string }).code)).toEqual(['WASM_CACHE_STORE_ENOENT']);
  });

  it('turns ENOTDIR under a running store into misses and soft put failures', async () => {
    const store = await open(configFor(dir.path), { namespace: 'ns' });
    await store.put('k', Buffer.from('v'));
    rmSync(store.layout.namespaceDirectory, { recursive: true });
    writeFileSync(store.layout.namespaceDirectory, 'planted file');
    expect(await store.get('k')).toBeUndefined();
    const result = await store.put('k2', Buffer.from('v'));
    expect(result.stored === false && result.reason).toMatch(/ENOTDIR/);
    expect(result).toMatchObject({ stored: false, faultCode: 'ENOTDIR' });
    // Node's message already starts with the code: it is said once ("ENOTDIR: not a directory, ...").
    expect(result.stored === false && result.reason).not.toMatch(/ENOTDIR: ENOTDIR/);
    expect(store.stats().errors).toBeGreaterThanOrEqual(2);
    rmSync(store.layout.namespaceDirectory);
    expect((await store.put('k2', Buffer.from('v2'))).stored).toBe(true);
  });

  it('survives its directory being deleted while running, recreating it on the next put', async () => {
    const store = await open(configFor(dir.path), { namespace: 'ns' });
    await store.put('k', Buffer.from('v'));
    rmSync(dir.path, { recursive: true, force: true });
    expect(await store.get('k')).toBeUndefined();
    expect(await store.has('k')).toBe(false);
    expect((await store.put('k', Buffer.from('again'))).stored).toBe(true);
    expect(Buffer.from((await store.get('k')) ?? []).toString()).toBe('again');
    expect((await store.runCleanup({ force: true })).ran).toBe(true);
    expect(store.stats().errors).toBe(0);
  });

  it('meets a real ENOSPC (1 MiB tmpfs) and a real EROFS (read-only remount) softly', async () => {
    const mountPoint = path.join(dir.path, 'mnt');
    mkdirSync(mountPoint);
    if (!tryExec('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint])) {
      // Not root or no mount here: the injected-fs cases above cover these codes.
      expect(existsSync(mountPoint)).toBe(true);
      return;
    }
    try {
      const store = await open(configFor(mountPoint), { namespace: 'ns', compression: false });
      const full = await store.put('big', pseudoRandom(2 * 1024 * 1024, 'big'));
      expect(full).toMatchObject({ stored: false });
      expect(full.stored === false && full.reason).toMatch(/ENOSPC/);
      await store.flush();
      expect(readdirSync(store.layout.tmp)).toEqual([]);
      expect((await store.put('small', Buffer.from('fits'))).stored).toBe(true);
      await store.flush(); // a file open for writing (background work) makes a read-only remount fail with EBUSY
      expect(await remount(mountPoint, 'ro')).toBe(true);
      const readOnly = await store.put('other', Buffer.from('x'));
      expect(readOnly.stored === false && readOnly.reason).toMatch(/EROFS/);
      expect(Buffer.from((await store.get('small')) ?? []).toString()).toBe('fits');
      expect(await remount(mountPoint, 'rw')).toBe(true);
      expect((await store.put('other', Buffer.from('x'))).stored).toBe(true);
      await store.close();
    } finally {
      tryExec('umount', ['-l', mountPoint]);
    }
  });
});

describe('DiskStore directory safety', () => {
  let dir: ReturnType<typeof tempDirectory>;
  beforeEach(() => {
    dir = tempDirectory('safety-');
  });
  afterEach(() => dir.remove());

  it('refuses a world-writable directory without the sticky bit', async () => {
    const root = path.join(dir.path, 'cache');
    mkdirSync(root);
    chmodSync(root, 0o777);
    const error = await DiskStore.open(configFor(root)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsafeDirectoryError);
    expect(error).toMatchObject({ code: 'ERR_CACHE_STORE_UNSAFE_DIRECTORY', reason: 'world-writable', path: root });
  });

  it('refuses a world-writable namespace directory too', async () => {
    mkdirSync(path.join(dir.path, 'ns'));
    chmodSync(path.join(dir.path, 'ns'), 0o777);
    await expect(DiskStore.open(configFor(dir.path), { namespace: 'ns' })).rejects.toMatchObject({ reason: 'world-writable' });
  });

  it('accepts a world-writable directory with the sticky bit (like /tmp)', async () => {
    chmodSync(dir.path, 0o1777);
    const store = await DiskStore.open(configFor(dir.path));
    await store.close();
  });

  it('refuses a directory owned by another user', async () => {
    const root = path.join(dir.path, 'cache');
    mkdirSync(root);
    if (process.getuid?.() === 0) {
      chownSync(root, 4242, 4242);
      await expect(DiskStore.open(configFor(root))).rejects.toMatchObject({ reason: 'foreign-owner' });
    }
    // The same rule through the injectable uid, which works as any user.
    await expect(DiskStore.open(configFor(dir.path), { expectedUid: 4242 })).rejects.toMatchObject({ reason: 'foreign-owner' });
    const unchecked = await DiskStore.open(configFor(root), { expectedUid: null });
    await unchecked.close();
  });

  it('assertSafeStoreDirectories refuses what opening a store would, creating and saying nothing; missing folders, a file in the way and a safe folder pass', async () => {
    const root = path.join(dir.path, 'cache');
    // Nothing there yet: passes, and creates nothing.
    await expect(assertSafeStoreDirectories(root, 'ns')).resolves.toBeUndefined();
    expect(existsSync(root)).toBe(false);
    mkdirSync(path.join(root, 'ns'), { recursive: true });
    await expect(assertSafeStoreDirectories(root, 'ns')).resolves.toBeUndefined();
    const { warnings } = await captureWarnings(async () => {
      chmodSync(path.join(root, 'ns'), 0o777);
      await expect(assertSafeStoreDirectories(root, 'ns')).rejects.toMatchObject({ reason: 'world-writable', path: path.join(root, 'ns') });
      await expect(assertSafeStoreDirectories(root, 'other')).resolves.toBeUndefined(); // another namespace's folder is not looked at
      chmodSync(root, 0o777);
      await expect(assertSafeStoreDirectories(root, 'other')).rejects.toMatchObject({ code: 'ERR_CACHE_STORE_UNSAFE_DIRECTORY', reason: 'world-writable', path: root });
      chmodSync(root, 0o1777); // sticky, as /tmp
      await expect(assertSafeStoreDirectories(root, 'other')).resolves.toBeUndefined();
      chmodSync(root, 0o700);
      chmodSync(path.join(root, 'ns'), 0o700);
      await expect(assertSafeStoreDirectories(root, 'ns', 4242)).rejects.toMatchObject({ reason: 'foreign-owner', path: root });
      await expect(assertSafeStoreDirectories(root, 'ns', undefined)).resolves.toBeUndefined();
      writeFileSync(path.join(root, 'file-ns'), 'a file where the namespace folder goes');
      await expect(assertSafeStoreDirectories(root, 'file-ns')).resolves.toBeUndefined(); // opening the store says it
    });
    expect(warnings).toEqual([]);
    await expect(assertSafeStoreDirectories(root, '../escape')).rejects.toBeInstanceOf(InvalidNamespaceError);
  });
});
