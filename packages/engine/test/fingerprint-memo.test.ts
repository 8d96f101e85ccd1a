import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { WasmNamespace } from '../src/index.js';
import { entryFiles, runChild, tempDir, until, wasmFile } from './helpers.js';

const precompileChild = join(import.meta.dirname, 'fixtures', 'precompile-child.mjs');

/** Runs precompile-child.mjs: its JSON report and its stderr. */
function precompileProcess(args: string[]): { report: { compatibilityHash?: string; result?: number; error?: { code?: string } }; stderr: string } {
  const child = spawnSync(process.execPath, [precompileChild, ...args], { encoding: 'utf8' });
  expect(child.status).toBe(0);
  return { report: JSON.parse(child.stdout) as { compatibilityHash?: string; result?: number; error?: { code?: string } }, stderr: child.stderr };
}

/** The remembered V8 header file of a cache directory (one per Node build and V8 tag). */
function memoFile(cacheDir: string): string {
  const folder = join(cacheDir, '.fingerprints');
  const names = readdirSync(folder).filter((name) => name.endsWith('.header'));
  expect(names).toHaveLength(1);
  return join(folder, names[0] as string);
}

/** Changes one hex digit of the remembered header, keeping it well-formed: damage only a comparison with V8 can find. */
function damageMemo(file: string): string {
  const good = readFileSync(file, 'utf8').trim();
  // The CPU-feature and flag-hash half: a header V8 would refuse, in a namespace no process loads from.
  const at = 20;
  const digit = good[at] === '0' ? '1' : '0';
  writeFileSync(file, `${good.slice(0, at)}${digit}${good.slice(at + 1)}`);
  return good;
}


describe('a wrong remembered V8 header (the fingerprint memo) is found, removed and said once', () => {
  const work = tempDir('engine-memo-');
  const wasm = wasmFile(work, 150);

  it('hot tier: the first snapshot disagrees with it; the next process learns the header again and caching works', async () => {
    const cacheDir = join(work, 'hot');
    const first = await runChild(process.execPath, [cacheDir, wasm.path, '--tier', 'hot', '--work', '20']);
    expect(first.stats.artifactsProduced).toBe(1);
    const file = memoFile(cacheDir);
    const good = damageMemo(file);

    const misled = await runChild(process.execPath, [cacheDir, wasm.path, '--tier', 'hot', '--work', '20']);
    expect(misled.outcomes).toEqual(['miss']);
    expect(misled.stats.artifactsProduced).toBe(0);
    expect(misled.stderr.match(/CACHE_ENGINE_FINGERPRINT_WRONG/g) ?? []).toHaveLength(1);
    expect(misled.stderr).toContain(file);
    expect(existsSync(file)).toBe(false);

    const healed = await runChild(process.execPath, [cacheDir, wasm.path, '--tier', 'hot']);
    expect(healed.outcomes).toEqual(['hit']);
    expect(healed.serializedAfterLoad).toBeGreaterThan(0);
    expect(healed.stderr).not.toContain('CACHE_ENGINE_FINGERPRINT_WRONG');
    expect(readFileSync(file, 'utf8').trim()).toBe(good);
  });

  it('hot tier, found by the snapshot at exit (no close()): said once before the process ends, and removed', async () => {
    const cacheDir = join(work, 'hot-exit');
    await runChild(process.execPath, [cacheDir, wasm.path, '--tier', 'hot', '--work', '20']);
    const file = memoFile(cacheDir);
    damageMemo(file);
    const misled = await runChild(process.execPath, [cacheDir, wasm.path, '--tier', 'hot', '--work', '20', '--no-close']);
    expect(misled.outcomes).toEqual(['miss']);
    expect(misled.stderr.match(/CACHE_ENGINE_FINGERPRINT_WRONG/g) ?? []).toHaveLength(1);
    expect(misled.stderr).toContain(file);
    expect(existsSync(file)).toBe(false);
  });

  it('full tier: the producer finds it and the engine says so once; the next process produces and loads', async () => {
    const cacheDir = join(work, 'full');
    await runChild(process.execPath, [cacheDir, wasm.path, '--idle']);
    const file = memoFile(cacheDir);
    damageMemo(file);
    const before = entryFiles(cacheDir).length;

    const misled = await runChild(process.execPath, [cacheDir, wasm.path, '--idle']);
    expect(misled.outcomes).toEqual(['miss']);
    expect(misled.stats.artifactsProduced).toBe(0);
    expect(misled.stats.producerFailures).toBe(1);
    expect(misled.stderr.match(/CACHE_ENGINE_FINGERPRINT_WRONG/g) ?? []).toHaveLength(1);
    expect(misled.stderr).not.toContain('CACHE_ENGINE_PRODUCER_FAILED');
    expect(existsSync(file)).toBe(false);
    expect(entryFiles(cacheDir)).toHaveLength(before);

    const hit = await runChild(process.execPath, [cacheDir, wasm.path]);
    expect(hit.outcomes).toEqual(['hit']);
    expect(existsSync(file)).toBe(true);
  });

  it('full tier: a detached producer whose parent has already exited removes it itself', async () => {
    const cacheDir = join(work, 'detached');
    await runChild(process.execPath, [cacheDir, wasm.path, '--idle']);
    const file = memoFile(cacheDir);
    damageMemo(file);
    // No --idle: the process exits once its producer has its job; the producer finds the mismatch alone.
    const misled = await runChild(process.execPath, [cacheDir, wasm.path]);
    expect(misled.outcomes).toEqual(['miss']);
    expect(await until(() => !existsSync(file), 30_000)).toBe(true);
    const hit = await runChild(process.execPath, [cacheDir, wasm.path]);
    expect(hit.outcomes).toEqual(['hit']);
  });
});

describe('a wrong remembered V8 header, in a process that only precompiles or deserializes', () => {
  const work = tempDir('engine-memo-portable-');
  const wasm = wasmFile(work, 160);
  const made = join(work, 'made.artifact');
  let good = '';
  let goodHash = '';

  /** A cache folder holding only a damaged copy of the good memo. */
  function misledFolder(name: string): { dir: string; file: string } {
    const dir = join(work, name);
    mkdirSync(join(dir, '.fingerprints'), { recursive: true });
    const source = memoFile(join(work, 'maker'));
    const file = join(dir, '.fingerprints', source.split('/').pop() as string);
    copyFileSync(source, file);
    damageMemo(file);
    return { dir, file };
  }

  it.each(['deserialize', 'precompile'] as const)('%s finds it, says so once, learns the header again and succeeds; the compatibility hash is the right one', (action) => {
    if (!good) {
      const maker = precompileProcess([join(work, 'maker'), wasm.path, made, 'make']);
      goodHash = maker.report.compatibilityHash ?? '';
      expect(goodHash).toMatch(/^[0-9a-f]{24}$/);
      good = readFileSync(memoFile(join(work, 'maker')), 'utf8').trim();
    }
    const { dir, file } = misledFolder(action);
    const artifact = action === 'deserialize' ? made : join(work, `${action}.artifact`);
    const misled = precompileProcess([dir, wasm.path, artifact, action]);
    expect(misled.report.error).toBeUndefined();
    expect(misled.report.compatibilityHash).toBe(goodHash);
    expect(misled.stderr.match(/CACHE_ENGINE_FINGERPRINT_WRONG/g) ?? []).toHaveLength(1);
    expect(readFileSync(file, 'utf8').trim()).toBe(good);
    const wasmApi = (globalThis as unknown as { WebAssembly: WasmNamespace }).WebAssembly;
    const plain = new wasmApi.Instance(new wasmApi.Module(readFileSync(wasm.path)), {}).exports as unknown as { run(n: number): number };
    if (action === 'deserialize') expect(misled.report.result).toBe(plain.run(7));
    // What precompile made loads in a process with the right header.
    else expect(precompileProcess([join(work, 'maker'), wasm.path, artifact, 'deserialize']).report.error).toBeUndefined();
  });

  it('an artifact of another engine is still refused as such (one probe of V8, the memory kept)', () => {
    const { dir, file } = misledFolder('foreign');
    writeFileSync(file, good);
    const foreign = readFileSync(made);
    // Another engine's fingerprint id in the artifact's header (offset 8, 12 bytes).
    foreign.fill(0xab, 8, 20);
    writeFileSync(join(work, 'foreign.artifact'), foreign);
    const refused = precompileProcess([dir, wasm.path, join(work, 'foreign.artifact'), 'deserialize']);
    expect(refused.report.error?.code).toBe('ERR_CACHE_ARTIFACT_INCOMPATIBLE');
    expect(refused.stderr).not.toContain('CACHE_ENGINE_FINGERPRINT_WRONG');
    expect(readFileSync(file, 'utf8').trim()).toBe(good);
  });
});

describe('a remembered V8 header that is not a regular file', () => {
  const work = tempDir('engine-memo-fifo-');
  const wasm = wasmFile(work, 150);

  it.each([
    ['a FIFO', (path: string) => execFileSync('mkfifo', [path])],
    ['a link to /dev/zero', (path: string) => symlinkSync('/dev/zero', path)],
  ])('is %s: not read (no wait, no endless read); V8 is asked instead and the module is still cached and loaded', async (name, plant) => {
    const cacheDir = join(work, name.replace(/\W+/g, '-'));
    const first = await runChild(process.execPath, [cacheDir, wasm.path, '--idle']);
    const file = memoFile(cacheDir);
    rmSync(file);
    plant(file);
    const next = await runChild(process.execPath, [cacheDir, wasm.path]);
    expect(next.outcomes).toEqual(['hit']);
    expect(next.result).toBe(first.result);
  });
});

describe('an artifact V8 refuses after every check passed', () => {
  it("is removed, counted and said once: a remembered header copied from another flag set's process", async () => {
    const work = tempDir('engine-memo-rejected-');
    const wasm = wasmFile(work, 150);
    const cacheDir = join(work, 'cache');
    const folder = join(cacheDir, '.fingerprints');
    const flagged = await runChild(process.execPath, [cacheDir, wasm.path, '--idle'], ['--stack-size=900']);
    expect(flagged.stats.artifactsProduced).toBe(1);
    const flaggedMemo = readdirSync(folder).find((name) => name.endsWith('.header')) as string;
    const plain = await runChild(process.execPath, [cacheDir, wasm.path, '--tier', 'hot']);
    expect(plain.outcomes).toEqual(['miss']);
    const plainMemo = readdirSync(folder).find((name) => name.endsWith('.header') && name !== flaggedMemo) as string;
    expect(plainMemo).toBeDefined();
    // This process now takes itself for the flagged one: it finds that one's artifact, which passes every check.
    writeFileSync(join(folder, plainMemo), readFileSync(join(folder, flaggedMemo)));
    const misled = await runChild(process.execPath, [cacheDir, wasm.path]);
    expect(misled.stats).toMatchObject({ hits: 0, rejectedByV8: 1 });
    expect(misled.result).toBe(flagged.result);
    expect(misled.stderr.match(/CACHE_ENGINE_ARTIFACT_DAMAGED/g) ?? []).toHaveLength(1);
    expect(misled.stderr).toContain('V8 refused a cached WebAssembly artifact that passed every check');
  });
});
