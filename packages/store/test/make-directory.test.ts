import { spawnSync } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeDirectory, makeDirectorySync } from '../src/disk/make-directory.js';
import { nodeFs } from '../src/index.js';
import { tempDirectory } from './helpers.js';

describe('makeDirectory', () => {
  let dir: ReturnType<typeof tempDirectory>;
  beforeEach(() => {
    dir = tempDirectory('mkdir-');
  });
  afterEach(() => dir.remove());

  for (const [name, make] of [
    ['async', (target: string) => makeDirectory(nodeFs, target)],
    ['sync', async (target: string) => makeDirectorySync(target)],
  ] as const) {
    it(`(${name}) creates every missing level with mode 0700, and accepts one that exists`, async () => {
      const target = path.join(dir.path, 'a', 'b', 'c');
      await make(target);
      for (const level of ['a', 'a/b', 'a/b/c']) expect(statSync(path.join(dir.path, level)).mode & 0o777).toBe(0o700);
      await make(target);
      mkdirSync(path.join(dir.path, 'x'));
      await make(path.join(dir.path, 'x'));
    });

    it(`(${name}) fails with ENOTDIR when a file stands in the way`, async () => {
      writeFileSync(path.join(dir.path, 'file'), 'not a directory');
      await expect(make(path.join(dir.path, 'file', 'below'))).rejects.toMatchObject({ code: 'ENOTDIR' });
    });

    it(`(${name}) fails with ENOENT under /proc instead of looping forever`, { timeout: 10_000 }, async () => {
      await expect(make(`/proc/wasm-cache-test-${process.pid}/deeper`)).rejects.toMatchObject({ code: 'ENOENT' });
    });
  }

  it('a process whose store is under /proc exits: the exit-time statistics write fails softly', () => {
    // In a child process with a time limit: a synchronous loop in this process could not be stopped.
    const result = spawnSync(process.execPath, [path.join(import.meta.dirname, 'fixtures', 'exit-under-proc.mjs'), `/proc/wasm-cache-test-${process.pid}`], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.signal).toBeNull();
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ stored: false, hit: false });
    expect(result.stderr.match(/WASM_CACHE_STORE_ENOENT/g)).toHaveLength(1);
  });
});
