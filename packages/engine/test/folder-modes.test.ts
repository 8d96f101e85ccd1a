import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runChild, tempDir, wasmFile } from './helpers.js';

const mode = (path: string): number => statSync(path).mode & 0o777;

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

describe('a cache directory the file system refuses to create (under /proc)', () => {
  it.runIf(process.platform === 'linux')(
    "compiles (a miss: the store opens degraded) and says so once, where Node's recursive mkdir would loop for ever",
    async () => {
      const wasm = wasmFile(tempDir('engine-proc-'), 150);
      const report = await runChild(process.execPath, ['/proc/wasm-cache-test/cache', wasm.path, '--tier', 'hot']);
      expect(report.outcomes).toEqual(['miss']);
      expect(report.stats.artifactsProduced).toBe(0);
      expect(report.result).toBeTypeOf('number');
      expect(report.stderr.match(/Warning:/g) ?? []).toHaveLength(1);
      expect(report.stderr).toMatch(/ENOENT: cannot create \/proc\/wasm-cache-test/);
    },
    30_000,
  );
});
