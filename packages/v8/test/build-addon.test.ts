/** The install script never fails the install: every problem is one line and exit code 0. */
import { execFile, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const script = join(packageDir, 'scripts', 'build-addon.mjs');
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

/**
 * A copy of this package's build inputs in a folder of its own (node-gyp from
 * this package's node_modules), so that builds there neither use nor replace
 * the addon the tests load.
 */
function packageCopy(name: string): string {
  const copy = join(scratch, name);
  mkdirSync(copy);
  for (const entry of ['scripts', 'native', 'binding.gyp', 'package.json']) cpSync(join(packageDir, entry), join(copy, entry), { recursive: true });
  symlinkSync(join(packageDir, 'node_modules'), join(copy, 'node_modules'));
  return copy;
}

function installIn(copy: string, args: string[] = [], env: Record<string, string> = {}): Promise<{ status: number; stdout: string }> {
  return new Promise((resolveRun) => {
    execFile(process.execPath, [join(copy, 'scripts', 'build-addon.mjs'), ...args], { env: { ...process.env, ...env }, encoding: 'utf8' }, (error, stdout) =>
      resolveRun({ status: error ? Number(error.code ?? 1) : 0, stdout: stdout.trim() }),
    );
  });
}

const abi = `node-v${process.versions.modules}-${process.platform}-${process.arch}`;
const builtLine = `@cache/v8: built addon/${abi}/cache_v8.node for Node ${process.versions.node}`;
const upToDateLine = `@cache/v8: addon/${abi}/cache_v8.node is up to date for Node ${process.versions.node}`;

describe('scripts/build-addon.mjs run several times at once (one build folder for all)', () => {
  it('builds once: the other runs wait for the lock and then find the addon up to date', { timeout: 180_000 }, async () => {
    const copy = packageCopy('concurrent');
    const runs = await Promise.all([1, 2, 3, 4].map(() => installIn(copy)));
    expect(runs.map((run) => run.status)).toEqual([0, 0, 0, 0]);
    expect(runs.map((run) => run.stdout).sort()).toEqual([upToDateLine, upToDateLine, upToDateLine, builtLine]);
    expect(existsSync(join(copy, 'addon', abi, 'cache_v8.node'))).toBe(true);
    expect(existsSync(join(copy, '.build-addon.lock'))).toBe(false);
  });

  it('takes over the lock of a process that died holding it, and releases it', { timeout: 120_000 }, async () => {
    const copy = packageCopy('stale-lock');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    mkdirSync(join(copy, '.build-addon.lock'));
    writeFileSync(join(copy, '.build-addon.lock', 'owner'), dead.stdout);
    const run = await installIn(copy);
    expect(run).toEqual({ status: 0, stdout: builtLine });
    expect(existsSync(join(copy, '.build-addon.lock'))).toBe(false);
  });

  it('takes over a lock older than any build, though its pid names a live process (reused, or of another PID namespace)', { timeout: 120_000 }, async () => {
    const copy = packageCopy('old-lock');
    mkdirSync(join(copy, '.build-addon.lock'));
    writeFileSync(join(copy, '.build-addon.lock', 'owner'), String(process.pid));
    const old = new Date(Date.now() - 60 * 60_000);
    utimesSync(join(copy, '.build-addon.lock'), old, old);
    const run = await installIn(copy);
    expect(run).toEqual({ status: 0, stdout: builtLine });
    expect(existsSync(join(copy, '.build-addon.lock'))).toBe(false);
  });

  it('waits for a live holder, and gives up with one line and exit 0 when it waited too long', async () => {
    const copy = packageCopy('held-lock');
    mkdirSync(join(copy, '.build-addon.lock'));
    writeFileSync(join(copy, '.build-addon.lock', 'owner'), String(process.pid));
    const run = await installIn(copy, [], { CACHE_V8_BUILD_LOCK_WAIT_MS: '300' });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^@cache/v8: native addon not built \\(${abi}\\): another build \\(pid ${process.pid}\\) held .*\\.build-addon\\.lock for over 0 s$`));
    expect(existsSync(join(copy, 'addon'))).toBe(false);
  });
});
