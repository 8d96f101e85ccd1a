/** The install script never fails the install: every problem is one line and exit code 0. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const script = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'scripts', 'build-addon.mjs');
const scratch = mkdtempSync(join(tmpdir(), 'cache-v8-build-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs the install script; `--force` so it does not stop at an up-to-date build. */
function install(env: Record<string, string>, args: string[] = ['--force']): { status: number | null; stdout: string } {
  const result = spawnSync(process.execPath, [script, ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout.trim() };
}

describe('scripts/build-addon.mjs', () => {
  it('exits 0 with one line when there are no headers', () => {
    const { status, stdout } = install({ CACHE_V8_NODEDIR: join(scratch, 'nothing') });
    expect(status).toBe(0);
    expect(stdout).toMatch(/^@cache\/v8: native addon not built .*no Node headers at /);
    expect(stdout.split('\n')).toHaveLength(1);
  });

  it('exits 0 when the headers belong to another Node version (never downloads)', () => {
    const nodedir = join(scratch, 'other');
    mkdirSync(join(nodedir, 'include', 'node'), { recursive: true });
    writeFileSync(
      join(nodedir, 'include', 'node', 'node_version.h'),
      '#define NODE_MAJOR_VERSION 1\n#define NODE_MINOR_VERSION 2\n#define NODE_PATCH_VERSION 3\n',
    );
    const { status, stdout } = install({ CACHE_V8_NODEDIR: nodedir });
    expect(status).toBe(0);
    expect(stdout).toContain(`are for Node 1.2.3, this is Node ${process.versions.node}`);
  });

  it('leaves an up-to-date build alone (no second node-gyp run in the shared build folder)', () => {
    const { status, stdout } = install({}, []);
    expect(status).toBe(0);
    expect(stdout).toBe(`@cache/v8: addon/node-v${process.versions.modules}-${process.platform}-${process.arch}/cache_v8.node is up to date for Node ${process.versions.node}`);
  });

  it('exits 0 when there is no compiler', () => {
    const { status, stdout } = install({ CXX: join(scratch, 'no-such-compiler') });
    expect(status).toBe(0);
    expect(stdout).toMatch(/no ".*no-such-compiler" on PATH/);
  });
});
