import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeDirectorySync } from '../src/node/make-directory.js';
import { runChild, tempDir, wasmFile } from './helpers.js';

const mode = (path: string): number => statSync(path).mode & 0o777;

describe('makeDirectorySync', () => {
  it('creates the folder and its missing parents, each private (0700), and accepts one that exists', () => {
    const root = tempDir('engine-mkdir-');
    const deep = join(root, 'a', 'b', 'c');
    makeDirectorySync(deep);
    for (const folder of [join(root, 'a'), join(root, 'a', 'b'), deep]) expect(mode(folder)).toBe(0o700);
    makeDirectorySync(deep);
    mkdirSync(join(root, 'open'), { mode: 0o755 });
    makeDirectorySync(join(root, 'open'));
    expect(mode(join(root, 'open'))).toBe(0o755); // an existing folder is left as it is
  });

  it('throws ENOTDIR below a file', () => {
    const root = tempDir('engine-mkdir-');
    writeFileSync(join(root, 'file'), 'x');
    expect(() => makeDirectorySync(join(root, 'file', 'sub'))).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
  });

  it.runIf(process.platform === 'linux' && existsSync('/proc/self'))(
    "throws where the file system answers ENOENT for a folder whose parent exists (procfs), where Node's recursive mkdir loops for ever",
    () => {
      expect(() => makeDirectorySync('/proc/wasm-cache-test/sub')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    },
    5_000,
  );
});

describe("the engine's own folders in a fresh cache directory", () => {
  it('are private (0700), as the store makes its own', async () => {
    const work = tempDir('engine-modes-');
    const wasm = wasmFile(work, 150);
    const cacheDir = join(work, 'cache');
    await runChild(process.execPath, [cacheDir, wasm.path, '--idle']);
    expect(mode(cacheDir)).toBe(0o700);
    expect(mode(join(cacheDir, '.fingerprints'))).toBe(0o700);
    expect(mode(join(cacheDir, '.producers'))).toBe(0o700);
  });
});
