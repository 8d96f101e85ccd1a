import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CacheConfig, Config, Engine } from '@cache/engine';
import { DiskStore, hashKey, Layout } from '@cache/store';
import { buildWasmModule } from '@cache/wasm-fixtures';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, tempDir, type CliRun } from './helpers.js';

/**
 * Permission failures need a user the permissions apply to: as root the
 * commands run as `nobody` on a directory that user owns; otherwise as this
 * user on its own directory.
 */
const isRoot = process.getuid?.() === 0;
const user = isRoot ? { uid: 65534, gid: 65534 } : undefined;

function chmodTree(directory: string, mode: number): void {
  for (const name of readdirSync(directory)) {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) chmodTree(path, mode);
  }
  chmodSync(directory, mode);
}

function chownTree(directory: string, uid: number, gid: number): void {
  chownSync(directory, uid, gid);
  for (const name of readdirSync(directory)) {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) chownTree(path, uid, gid);
    else chownSync(path, uid, gid);
  }
}

/** The last byte of `bytes` flipped. */
function flipLast(bytes: Uint8Array): Uint8Array {
  const copy = bytes.slice();
  copy[copy.byteLength - 1] = (copy[copy.byteLength - 1] ?? 0) ^ 1;
  return copy;
}

/**
 * Engine artifact keys (`<64 hex>.full`, which verify decodes) by where
 * their entry files go: `count` in `shard`, or `count` in any other shard.
 */
function artifactKeys(count: number, where: { shard: string } | { notShard: string }): string[] {
  const keys: string[] = [];
  for (let i = 0; keys.length < count; i++) {
    const key = `${i.toString(16).padStart(64, '0')}.full`;
    const shard = hashKey(key).slice(0, 2);
    if ('shard' in where ? shard === where.shard : shard !== where.notShard) keys.push(key);
  }
  return keys;
}

function oneErrorLine(run: CliRun): string {
  const lines = run.stderr.trim().split('\n');
  expect(lines, run.stderr).toHaveLength(1);
  expect(run.stderr).not.toMatch(/\n\s+at /);
  return lines[0] ?? '';
}

describe('wasm-cache cache * on a directory it cannot read or change (built binary)', () => {
  const root = tempDir('cli-failures-');
  chmodSync(root, 0o755);
  const wasm = join(root, 'module.wasm');
  writeFileSync(wasm, buildWasmModule({ functions: 20 }));
  chmodSync(wasm, 0o644);
  const created: string[] = [];

  /** A cache directory holding one entry, owned by the user the commands run as. */
  async function filledCache(name: string): Promise<string> {
    const directory = join(root, name);
    mkdirSync(directory, { mode: 0o700 });
    if (user) chownSync(directory, user.uid, user.gid);
    created.push(directory);
    const compiled = await cli(['compile', wasm, '--dir', directory], {}, user);
    expect(compiled.code, compiled.stderr).toBe(0);
    return directory;
  }

  afterAll(() => {
    for (const directory of created) chmodTree(directory, 0o700);
    rmSync(root, { recursive: true, force: true });
  });

  it('an unreadable directory (EACCES) is an error naming it and the code, exit 1, for ls, stats, clear, verify and gc', async () => {
    const directory = await filledCache('unreadable');
    chmodSync(directory, 0o000);
    for (const command of ['ls', 'stats', 'clear', 'verify', 'gc']) {
      const run = await cli(['cache', command, '--dir', directory], {}, user);
      expect(run.code, `${command}: ${run.stderr}`).toBe(1);
      expect(run.stdout, command).toBe('');
      expect(oneErrorLine(run)).toContain(`error: Cannot read cache directory ${directory}: EACCES`);
    }
  });

  it('a read-only directory: clear and gc fail with exit 1 naming the directory and the code; the entry remains', async () => {
    const directory = await filledCache('read-only');
    chmodTree(directory, 0o500);
    // Reading works there: listing and verifying succeed (that usage counts cannot be recorded is a warning, not a failure).
    expect(JSON.parse((await cli(['cache', 'ls', '--json', '--dir', directory], {}, user)).stdout)).toHaveLength(1);
    const verified = await cli(['cache', 'verify', '--json', '--dir', directory], {}, user);
    expect(verified.code, verified.stderr).toBe(0);
    expect(JSON.parse(verified.stdout)).toEqual({ checked: 1, damaged: [], otherVersion: [] });
    for (const command of ['clear', 'gc']) {
      const run = await cli(['cache', command, '--dir', directory], {}, user);
      expect(run.code, `${command}: ${run.stderr}`).toBe(1);
      expect(oneErrorLine(run)).toMatch(new RegExp(`^error: The operation failed in cache directory ${directory}: \\w+ EACCES`));
    }
    chmodTree(directory, 0o700);
    const listed = await cli(['cache', 'ls', '--json', '--dir', directory], {}, user);
    expect(JSON.parse(listed.stdout)).toHaveLength(1);
  });

  it('verify and clear report each entry they could not remove (a read-only shard) as such, remove the others, and exit 1', async () => {
    const engine = new Engine(Config.default().cacheConfig(CacheConfig.default().withDirectory(join(root, 'engine'))));
    const artifact = await engine.precompile(buildWasmModule({ functions: 10 }));
    await engine.close();
    const directory = join(root, 'stuck');
    created.push(directory);
    const namespace = 'd'.repeat(24);
    const layout = new Layout(directory, namespace);
    // The shard made read-only: the first candidate key's.
    const shard = hashKey(`${'0'.repeat(64)}.full`).slice(0, 2);
    // In the shard made read-only, and elsewhere: an artifact whose own checksum fails (verify deletes it), and an
    // entry whose store checksum fails (the store removes it when read); and an intact entry elsewhere.
    const [stuckArtifact, stuckEntry] = artifactKeys(2, { shard });
    const [freeArtifact, freeEntry, intact] = artifactKeys(3, { notShard: shard });
    const store = await DiskStore.open(CacheConfig.default().withDirectory(directory), { namespace, compression: false });
    for (const key of [stuckArtifact, freeArtifact]) expect((await store.put(key ?? '', flipLast(artifact))).stored).toBe(true);
    for (const key of [stuckEntry, freeEntry, intact]) expect((await store.put(key ?? '', artifact)).stored).toBe(true);
    await store.close();
    const file = (key: string | undefined): string => layout.entry(hashKey(key ?? ''));
    for (const key of [stuckEntry, freeEntry]) writeFileSync(file(key), flipLast(readFileSync(file(key))));
    // And an entry file whose header names no key, in that shard.
    const unkeyed = join(layout.shard(hashKey(stuckEntry ?? '')), `${'e'.repeat(64)}.entry`);
    writeFileSync(unkeyed, 'no header here');
    if (user) chownTree(directory, user.uid, user.gid);
    chmodSync(layout.shard(hashKey(stuckEntry ?? '')), 0o500);

    const verified = await cli(['cache', 'verify', '--json', '--dir', directory], {}, user);
    expect(verified.code, verified.stderr).toBe(1);
    expect(oneErrorLine(verified)).toMatch(new RegExp(`^error: The operation failed in cache directory ${directory}: [\\w-]+ EACCES on .* \\(3 faults in all\\)$`));
    const report = JSON.parse(verified.stdout) as { checked: number; damaged: Array<{ key: string | null; file?: string; reason: string; removed: boolean }> };
    expect(report.checked).toBe(6);
    expect(report.damaged.map((d) => [d.key ?? d.file, d.reason, d.removed]).sort()).toEqual(
      [
        [stuckArtifact, 'checksum-mismatch (could not be removed: EACCES)', false],
        [stuckEntry, 'checksum mismatch (could not be removed: EACCES)', false],
        [unkeyed, 'its header names no key (could not be removed: EACCES)', false],
        [freeArtifact, 'checksum-mismatch (removed)', true],
        [freeEntry, 'checksum mismatch (removed by the store)', true],
      ].sort(),
    );
    for (const key of [freeArtifact, freeEntry]) expect(existsSync(file(key))).toBe(false);
    for (const path of [file(stuckArtifact), file(stuckEntry), unkeyed]) expect(existsSync(path)).toBe(true);
    const human = await cli(['cache', 'verify', '--dir', directory], {}, user);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain('Checked 4 entries: 3 damaged, 3 could not be removed');
    expect(human.stdout).toContain(`  ${stuckArtifact}: checksum-mismatch (could not be removed: EACCES)`);

    const cleared = await cli(['cache', 'clear', '--json', '--dir', directory], {}, user);
    expect(cleared.code, cleared.stderr).toBe(1);
    expect(oneErrorLine(cleared)).toMatch(new RegExp(`^error: The operation failed in cache directory ${directory}: delete EACCES on `));
    const clearReport = JSON.parse(cleared.stdout) as { removed: number; notRemoved: Array<{ key: string | null; file?: string; code: string }> };
    expect(clearReport.removed).toBe(1);
    expect(clearReport.notRemoved.map((entry) => [entry.key ?? entry.file, entry.code]).sort()).toEqual(
      [[stuckArtifact, 'EACCES'], [stuckEntry, 'EACCES'], [unkeyed, 'EACCES']].sort(),
    );
    expect(existsSync(file(intact))).toBe(false);
    const humanClear = await cli(['cache', 'clear', '--dir', directory], {}, user);
    expect(humanClear.code).toBe(1);
    expect(humanClear.stdout).toContain(`Removed 0 entries from ${directory}; 3 could not be removed:\n`);
    expect(humanClear.stdout).toContain(`\n  ${stuckArtifact}: EACCES\n`);

    chmodSync(layout.shard(hashKey(stuckEntry ?? '')), 0o700);
    const retried = await cli(['cache', 'clear', '--json', '--dir', directory], {}, user);
    expect(retried.code, retried.stderr).toBe(0);
    expect(JSON.parse(retried.stdout)).toEqual({ removed: 3, notRemoved: [] });
  });

  it('a directory that does not exist yet is an empty cache, not an error', async () => {
    const directory = join(root, 'absent');
    const ls = await cli(['cache', 'ls', '--dir', directory], {}, user);
    expect(ls).toMatchObject({ code: 0, stdout: `No entries in ${directory}\n` });
    expect((await cli(['cache', 'clear', '--dir', directory], {}, user)).code).toBe(0);
    expect((await cli(['cache', 'stats', '--dir', directory], {}, user)).code).toBe(0);
  });

  /** Directories the store refuses (see the test above): world-writable, empty or holding a cache; as root, one owned by root too (the commands run as nobody). */
  async function unsafeDirectories(name: string): Promise<Array<{ directory: string; why: string }>> {
    const empty = join(root, `${name}-empty-world-writable`);
    mkdirSync(empty);
    chmodSync(empty, 0o777);
    created.push(empty);
    const filled = await filledCache(`${name}-world-writable`);
    chmodSync(filled, 0o777);
    const open = 'it is world-writable without the sticky bit (mode 777), so anyone could plant entries; run chmod o-w on it';
    const refused = [{ directory: empty, why: open }, { directory: filled, why: open }];
    if (user) {
      const foreign = await filledCache(`${name}-foreign`);
      chownTree(foreign, 0, 0);
      chmodTree(foreign, 0o755);
      refused.push({ directory: foreign, why: `it is owned by uid 0, not by this process's uid ${user.uid}` });
    }
    return refused;
  }

  it('compile on a directory refused as unsafe: one line naming it and why, exit 5, before compiling (not "not cached", exit 1)', async () => {
    for (const { directory, why } of await unsafeDirectories('compile')) {
      const run = await cli(['compile', wasm, '--dir', directory], {}, user);
      expect(run.code, run.stderr).toBe(5);
      expect(run.stdout).toBe('');
      expect(oneErrorLine(run)).toBe(`error: Refusing cache directory ${directory}: ${why} (ERR_CACHE_STORE_UNSAFE_DIRECTORY)`);
    }
  });

  it('run on a directory refused as unsafe still runs the module, with a warning naming the directory, and exits with its own code', async () => {
    for (const { directory } of await unsafeDirectories('run')) {
      const run = await cli(['run', wasm, '--invoke', 'run', '1', '--dir', directory], {}, user);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^-?\d+\n$/);
      expect(run.stderr).toContain(`Refusing cache directory ${directory}`);
      expect(run.stderr).toContain('compiled (cache off)');
      expect(run.stderr).not.toContain('error:');
    }
  });

  it('a directory refused as unsafe (world-writable; owned by another user): one line with the message and code, exit 5, no stack', async () => {
    const open = await filledCache('world-writable');
    chmodSync(open, 0o777);
    const refused = [open];
    if (isRoot) {
      const foreign = await filledCache('foreign');
      chownTree(foreign, 0, 0);
      chmodTree(foreign, 0o755);
      refused.push(foreign);
    }
    for (const directory of refused) {
      for (const command of ['ls', 'verify', 'gc', 'clear']) {
        const run = await cli(['cache', command, '--dir', directory], {}, user);
        expect(run.code, `${command}: ${run.stderr}`).toBe(5);
        const line = oneErrorLine(run);
        expect(line).toContain(`Refusing cache directory ${directory}`);
        expect(line).toMatch(/\(ERR_CACHE_STORE_UNSAFE_DIRECTORY\)$/);
      }
    }
  });
});
