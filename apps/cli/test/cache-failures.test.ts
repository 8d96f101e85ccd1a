import { chmodSync, chownSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

  it('a directory that does not exist yet is an empty cache, not an error', async () => {
    const directory = join(root, 'absent');
    const ls = await cli(['cache', 'ls', '--dir', directory], {}, user);
    expect(ls).toMatchObject({ code: 0, stdout: `No entries in ${directory}\n` });
    expect((await cli(['cache', 'clear', '--dir', directory], {}, user)).code).toBe(0);
    expect((await cli(['cache', 'stats', '--dir', directory], {}, user)).code).toBe(0);
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
