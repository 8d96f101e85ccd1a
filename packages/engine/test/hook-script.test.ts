import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cachedDataVersionTag } from 'node:v8';
import { Script } from 'node:vm';
import { describe, expect, it, vi } from 'vitest';
import { hookCodeCachePath, KEPT_CODE_CACHES, loadHookScript } from '../src/register/hook-script.js';
import { tempDir } from './helpers.js';

interface Fixture {
  answer(n: number): number;
  label: string;
  filename: string;
  loadedWith: string;
}

/** A CommonJS script like the hook's: `'use strict'`, functions compiled lazily, `require` and `__filename` used. */
function fixtureSource(factor: number): string {
  return [
    "'use strict';",
    "const { basename } = require('node:path');",
    `function answer(n) { return n * ${factor} + helper(n); }`,
    'function helper(n) { return n % 7; }',
    "exports.answer = answer;",
    "exports.label = 'fixture';",
    'exports.filename = basename(__filename);',
    'module.exports.loadedWith = typeof module.exports;',
    '',
  ].join('\n');
}

/** A script file and where its code cache goes, in a fresh folder. */
function fixture(name: string, factor = 3): { file: string; cacheFile: string } {
  const dir = tempDir(`hook-script-${name}-`);
  const file = join(dir, 'hook-engine.cjs');
  writeFileSync(file, fixtureSource(factor));
  return { file, cacheFile: hookCodeCachePath(file) };
}

/** A loaded fixture works whatever happened to its code cache. */
function expectWorking(exports: Fixture): void {
  expect(exports.answer(10)).toBe(33);
  expect(exports.label).toBe('fixture');
  expect(exports.filename).toBe('hook-engine.cjs');
  expect(exports.loadedWith).toBe('object');
}

/** A load past an unusable cache: the state it reports, a working script, and a good cache written for the next load. */
function expectCompiledAroundAndReplaced(file: string, cacheFile: string, state: 'damaged' | 'rejected'): void {
  const loaded = loadHookScript<Fixture>(file, cacheFile);
  expect(loaded.codeCache).toBe(state);
  expectWorking(loaded.exports);
  loaded.saveCodeCache(false);
  expect(loadHookScript<Fixture>(file, cacheFile).codeCache).toBe('used');
}

/** Magic, format, flags, length, two SHA-256 digests. */
const PAYLOAD_AT = 8 + 4 + 4 + 4 + 32 + 32;
const SOURCE_DIGEST_AT = 20;

describe('loadHookScript: the hook script with V8 code cache', () => {
  it('keeps the newest code caches beside the script when it writes one, and nothing else is touched', () => {
    const { file, cacheFile } = fixture('prune');
    const folder = join(file, '..');
    // Other Node versions' and flag sets' caches, written an hour apart (the oldest first), and files that are not such caches.
    const others = Array.from({ length: 10 }, (_, index) => join(folder, `hook-engine.v19.${index}.0-${1000 + index}.v8-code-cache`));
    others.forEach((other, index) => {
      writeFileSync(other, 'old');
      const at = new Date(Date.now() - (others.length - index) * 3_600_000);
      utimesSync(other, at, at);
    });
    const unrelated = ['hook-engine.cjs.map', 'other.v20.0.0-1.v8-code-cache', 'hook-engine.notes.txt'].map((name) => join(folder, name));
    for (const path of unrelated) writeFileSync(path, 'keep');
    const loaded = loadHookScript<Fixture>(file, cacheFile);
    loaded.saveCodeCache(false);
    const caches = readdirSync(folder).filter((name) => name.startsWith('hook-engine.') && name.endsWith('.v8-code-cache'));
    expect(caches).toHaveLength(KEPT_CODE_CACHES);
    expect(caches.sort()).toEqual([cacheFile, ...others.slice(others.length - (KEPT_CODE_CACHES - 1))].map((path) => path.slice(folder.length + 1)).sort());
    for (const path of unrelated) expect(readFileSync(path, 'utf8')).toBe('keep');
    expect(loadHookScript<Fixture>(file, cacheFile).codeCache).toBe('used');
  });

  it('keeps the cache beside the script, one file per Node version and V8 flags', () => {
    expect(hookCodeCachePath('/x/dist/hook-engine.cjs')).toBe(`/x/dist/hook-engine.${process.version}-${cachedDataVersionTag()}.v8-code-cache`);
  });

  it('compiles the script when there is no cache, writes one, and the next load uses it', () => {
    const { file, cacheFile } = fixture('roundtrip');
    const first = loadHookScript<Fixture>(file, cacheFile);
    expect(first.codeCache).toBe('missing');
    expectWorking(first.exports);
    expect(existsSync(cacheFile)).toBe(false);
    first.saveCodeCache(false);
    const stored = readFileSync(cacheFile);
    expect(stored.subarray(0, 8).toString('latin1')).toBe('CEJSCODE');
    expect(stored.length).toBeGreaterThan(PAYLOAD_AT);

    const second = loadHookScript<Fixture>(file, cacheFile);
    expect(second.codeCache).toBe('used');
    expectWorking(second.exports);
    // A valid cache is left as it is.
    second.saveCodeCache(false);
    expect(readFileSync(cacheFile).equals(stored)).toBe(true);
  });

  it('the first process with a cache hit replaces a code cache written after a miss, once', () => {
    const { file, cacheFile } = fixture('after-hit');
    const flags = (): number => readFileSync(cacheFile).readUInt32LE(12);
    loadHookScript<Fixture>(file, cacheFile).saveCodeCache(false);
    expect(flags()).toBe(0);
    const afterMiss = readFileSync(cacheFile);

    const hit = loadHookScript<Fixture>(file, cacheFile);
    expect(hit.codeCache).toBe('used');
    expectWorking(hit.exports);
    hit.saveCodeCache(true);
    expect(flags()).toBe(1);
    expect(readFileSync(cacheFile).equals(afterMiss)).toBe(false);
    const afterHit = readFileSync(cacheFile);

    for (const hadHit of [true, false]) {
      const later = loadHookScript<Fixture>(file, cacheFile);
      expect(later.codeCache).toBe('used');
      later.saveCodeCache(hadHit);
      expect(readFileSync(cacheFile).equals(afterHit)).toBe(true);
    }
  });

  it('refuses a cache made for another build of the script, which V8 alone would accept', () => {
    const { file, cacheFile } = fixture('stale', 3);
    loadHookScript<Fixture>(file, cacheFile).saveCodeCache(false);
    const payload = readFileSync(cacheFile).subarray(PAYLOAD_AT);
    // The same length, other code: V8 checks the source's length only, and takes this payload.
    const rebuilt = fixtureSource(4);
    expect(rebuilt.length).toBe(fixtureSource(3).length);
    const wrap = (source: string): string => `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
    expect(new Script(wrap(rebuilt), { filename: file, cachedData: payload }).cachedDataRejected).toBe(false);

    writeFileSync(file, rebuilt);
    const loaded = loadHookScript<Fixture>(file, cacheFile);
    expect(loaded.codeCache).toBe('stale');
    expect(loaded.exports.answer(10)).toBe(43);
    loaded.saveCodeCache(false);
    const again = loadHookScript<Fixture>(file, cacheFile);
    expect(again.codeCache).toBe('used');
    expect(again.exports.answer(10)).toBe(43);
  });

  const damages: Array<[string, (stored: Buffer) => Buffer]> = [
    ['truncated in the payload', (stored) => stored.subarray(0, stored.length - 100)],
    ['truncated in the header', (stored) => stored.subarray(0, 20)],
    ['empty', () => Buffer.alloc(0)],
    ['a payload byte flipped', (stored) => flip(stored, PAYLOAD_AT + Math.floor((stored.length - PAYLOAD_AT) / 2))],
    ['the last byte flipped', (stored) => flip(stored, stored.length - 1)],
    ['a digest byte flipped', (stored) => flip(stored, PAYLOAD_AT - 1)],
    ['the magic changed', (stored) => flip(stored, 0)],
    ['another format', (stored) => flip(stored, 8)],
    ['bytes appended', (stored) => Buffer.concat([stored, Buffer.from('appended')])],
    ['the payload zeroed', (stored) => Buffer.concat([stored.subarray(0, PAYLOAD_AT), Buffer.alloc(stored.length - PAYLOAD_AT)])],
  ];

  it.each(damages)('never gives V8 a damaged cache (%s): compiles, works, writes a good one', (_name, damage) => {
    const { file, cacheFile } = fixture('damaged');
    loadHookScript<Fixture>(file, cacheFile).saveCodeCache(false);
    writeFileSync(cacheFile, damage(readFileSync(cacheFile)));
    expectCompiledAroundAndReplaced(file, cacheFile, 'damaged');
  });

  it.each([
    ['a FIFO', (path: string) => execFileSync('mkfifo', [path])],
    ['a link to /dev/zero', (path: string) => symlinkSync('/dev/zero', path)],
  ])('a code cache that is %s is refused unread (no wait, no endless read): damaged, then replaced', (_name, plant) => {
    const { file, cacheFile } = fixture('not-a-file');
    plant(cacheFile);
    expectCompiledAroundAndReplaced(file, cacheFile, 'damaged');
  });

  it('says so when V8 rejects a cache that passed the checks (made for a script of another length)', () => {
    const { file, cacheFile } = fixture('rejected');
    const other = fixture('rejected-other');
    writeFileSync(other.file, `${fixtureSource(3)}exports.extra = 1;\n`);
    loadHookScript<Fixture>(other.file, other.cacheFile).saveCodeCache(false);
    // The other script's cache, re-labelled with this script's source digest: our checks pass, V8's do not.
    const stored = readFileSync(other.cacheFile);
    const relabelled = Buffer.from(stored);
    createHash('sha256').update(readFileSync(file)).digest().copy(relabelled, SOURCE_DIGEST_AT);
    writeFileSync(cacheFile, relabelled);
    expectCompiledAroundAndReplaced(file, cacheFile, 'rejected');
  });

  it('a cache that cannot be written is no error: the next load compiles again', () => {
    const { file } = fixture('unwritable');
    const cacheFile = join(tempDir('hook-script-gone-'), 'no-such-folder', 'hook-engine.v8-code-cache');
    const loaded = loadHookScript<Fixture>(file, cacheFile);
    expect(() => loaded.saveCodeCache(false)).not.toThrow();
    expect(existsSync(cacheFile)).toBe(false);
    expect(loadHookScript<Fixture>(file, cacheFile).codeCache).toBe('missing');
  });

  it('works on a Node without process.getBuiltinModule (before 20.16): its built-ins come through createRequire', async () => {
    const original = process.getBuiltinModule;
    vi.resetModules();
    Reflect.deleteProperty(process, 'getBuiltinModule');
    try {
      expect(typeof process.getBuiltinModule).toBe('undefined');
      const fresh = await import('../src/register/hook-script.js');
      const { file, cacheFile } = fixture('no-builtin-module');
      const first = fresh.loadHookScript<Fixture>(file, cacheFile);
      expect(first.codeCache).toBe('missing');
      expectWorking(first.exports);
      first.saveCodeCache(false);
      expect(fresh.loadHookScript<Fixture>(file, cacheFile).codeCache).toBe('used');
    } finally {
      process.getBuiltinModule = original;
    }
  });

  it('loads with require, without a cache, a script node:vm cannot compile but Node can (a #! line)', () => {
    const { file, cacheFile } = fixture('hashbang');
    writeFileSync(file, `#!/usr/bin/env node\n${fixtureSource(3)}`);
    const loaded = loadHookScript<Fixture>(file, cacheFile);
    expect(loaded.codeCache).toBe('unavailable');
    expectWorking(loaded.exports);
    loaded.saveCodeCache(false);
    expect(existsSync(cacheFile)).toBe(false);
  });

  // Decoded from ASCII bytes, the script is a one-byte string in V8. One character outside ASCII (a
  // "…" in a bundled package's doc comment was enough) makes it a two-byte string: on Node 24 that
  // cost 0.4 ms to decode and 0.9 ms more in vm.Script with its code cache, at every hooked process's
  // first WebAssembly call. esbuild escapes strings, not comments; the sources' comments are ASCII.
  it('the built hook script is ASCII, so V8 keeps it as a one-byte string', () => {
    const source = readFileSync(join(import.meta.dirname, '..', 'dist', 'hook-engine.cjs'), 'latin1');
    const lines = source.split('\n');
    const offending = lines.flatMap((line, index) => (/[^\x00-\x7f]/.test(line) ? [`${index + 1}: ${line.trim()}`] : []));
    expect(lines.length).toBeGreaterThan(1000);
    expect(offending).toEqual([]);
  });
});

function flip(bytes: Buffer, at: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[at] = (copy[at] ?? 0) ^ 0xff;
  return copy;
}
