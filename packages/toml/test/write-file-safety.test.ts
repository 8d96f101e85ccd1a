import { execFile } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CacheConfig, CacheConfigError, RemoteCacheConfig } from '@cache/config';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadCacheFile, saveCacheConfig, stringifyCacheConfig, writeConfigFile } from '../src/index.js';

const posix = process.platform !== 'win32';
const noEnv = { env: {}, onWarning: () => undefined };
const signingKey = 'k'.repeat(40);
const ORIGINAL = '# mine, tuned by hand\n[cache]\ncleanup-interval = "5m"  # for CI\n';
/** A configuration whose text is over 1 KiB, more than `ulimit -f 1` lets a process write. */
const LARGE = CacheConfig.default().withDirectory(`/tmp/${'a/'.repeat(700)}`);

/** The permission bits of a file. */
function modeOf(file: string): number {
  return statSync(file).mode & 0o777;
}

/**
 * Runs `saveCacheConfig(LARGE, file, options)` in a child process whose file size limit (`ulimit -f 1`) makes
 * writing the text fail with EFBIG part way, as a full disk would; returns what it threw.
 */
function saveUnderSizeLimit(file: string, options: { overwrite?: boolean }): Promise<{ name?: string; code?: string; systemCode?: string }> {
  const register = fileURLToPath(new URL('./helpers/register-ts.mjs', import.meta.url));
  const source = fileURLToPath(new URL('../src/index.ts', import.meta.url));
  const script = `
    const { saveCacheConfig, CacheConfig } = await import(${JSON.stringify(source)});
    const config = CacheConfig.default().withDirectory(${JSON.stringify(LARGE.directory)});
    try {
      await saveCacheConfig(config, ${JSON.stringify(file)}, ${JSON.stringify(options)});
      console.log(JSON.stringify({ saved: true }));
    } catch (error) {
      console.log(JSON.stringify({ name: error.name, code: error.code, systemCode: error.systemCode }));
    }`;
  const node = `exec "${process.execPath}" --import "${register}" --conditions=@cache/source --input-type=module -e "$0"`;
  return new Promise((resolve, reject) => {
    execFile('/bin/sh', ['-c', `ulimit -f 1 && ${node}`, script], { timeout: 20_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { name?: string; code?: string; systemCode?: string });
    });
  });
}

describe.skipIf(!posix)('writing a configuration file safely', () => {
  const dir = mkdtempSync(join(tmpdir(), 'toml-safe-'));

  it('a failed write while replacing a file (EFBIG) leaves the old file byte for byte, and no temporary file', async () => {
    const folder = join(dir, 'replace');
    mkdirSync(folder);
    const file = join(folder, 'config.toml');
    writeFileSync(file, ORIGINAL);
    expect(stringifyCacheConfig(LARGE).length).toBeGreaterThan(1024);
    const thrown = await saveUnderSizeLimit(file, { overwrite: true });
    expect(thrown).toEqual({ name: 'ConfigFileAccessError', code: 'ERR_CACHE_CONFIG_FILE_ACCESS', systemCode: 'EFBIG' });
    expect(readFileSync(file, 'utf8')).toBe(ORIGINAL);
    expect(readdirSync(folder)).toEqual(['config.toml']);
    // Without the limit, the same save replaces it.
    await saveCacheConfig(LARGE, file, { overwrite: true });
    expect(readFileSync(file, 'utf8')).toBe(stringifyCacheConfig(LARGE));
    expect(readdirSync(folder)).toEqual(['config.toml']);
  });

  it('a failed write of a new file removes what it wrote, so that the next save is not refused', async () => {
    const folder = join(dir, 'new');
    mkdirSync(folder);
    const file = join(folder, 'config.toml');
    expect(await saveUnderSizeLimit(file, {})).toEqual({ name: 'ConfigFileAccessError', code: 'ERR_CACHE_CONFIG_FILE_ACCESS', systemCode: 'EFBIG' });
    expect(readdirSync(folder)).toEqual([]);
  });

  it('replacing keeps the file’s permission bits, and a symbolic link with the file it points to replaced', async () => {
    const file = join(dir, 'kept-mode.toml');
    writeFileSync(file, ORIGINAL);
    chmodSync(file, 0o640);
    await saveCacheConfig(CacheConfig.default().withCapacity('1Gi'), file, { overwrite: true });
    expect(modeOf(file)).toBe(0o640);
    const link = join(dir, 'link.toml');
    symlinkSync('kept-mode.toml', link);
    await saveCacheConfig(CacheConfig.default().withCapacity('2Gi'), link, { overwrite: true });
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe('kept-mode.toml');
    expect(readFileSync(file, 'utf8')).toContain('files-total-size-soft-limit = "2Gi"');
    expect(modeOf(file)).toBe(0o640);
  });

  it('never replaces a directory or a device, and never writes through a link without overwrite', async () => {
    const folder = join(dir, 'a-folder');
    mkdirSync(folder);
    await expect(writeConfigFile(folder, '[cache]\n', { overwrite: true })).rejects.toMatchObject({ code: 'ERR_CACHE_CONFIG_FILE_ACCESS', systemCode: 'EISDIR' });
    expect(statSync(folder).isDirectory()).toBe(true);
    const device = join(dir, 'null.toml');
    symlinkSync('/dev/null', device);
    await expect(writeConfigFile(device, '[cache]\n', { overwrite: true })).rejects.toMatchObject({ code: 'ERR_CACHE_CONFIG_FILE_ACCESS', message: expect.stringMatching(/a character device, not a regular file/) });
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
    const dangling = join(dir, 'dangling.toml');
    symlinkSync(join(dir, 'nowhere.toml'), dangling);
    await expect(saveCacheConfig(CacheConfig.default(), dangling)).rejects.toMatchObject({ code: 'ERR_CACHE_CONFIG_FILE_EXISTS' });
    expect(readdirSync(dir)).not.toContain('nowhere.toml');
  });
});

describe.skipIf(!posix)('the permissions of a file with a secret', () => {
  const dir = mkdtempSync(join(tmpdir(), 'toml-mode-'));
  /** What 0644 gives under this process's umask: the mode of a file with no secret. */
  const probe = join(dir, 'probe');
  writeFileSync(probe, '', { mode: 0o644 });
  const publicMode = modeOf(probe);
  const withSecrets = RemoteCacheConfig.create('redis://builder:hunter2@cache.internal:6379/0').withSigningKey(signingKey);

  it('a file written with writeSecrets is readable by its owner only (0600)', async () => {
    const file = join(dir, 'secret.toml');
    await saveCacheConfig(CacheConfig.default(), file, { remote: withSecrets, writeSecrets: true });
    expect(modeOf(file)).toBe(0o600);
    expect((await loadCacheFile(file, noEnv)).remote?.settings().signingKey).toBe(signingKey);
    // Replacing it keeps it so.
    await saveCacheConfig(CacheConfig.default().withCapacity('1Gi'), file, { overwrite: true, remote: withSecrets, writeSecrets: true });
    expect(modeOf(file)).toBe(0o600);
  });

  it('replacing a world-readable file with a secret, or keeping its [wasm-cache.remote] table that holds one, makes it 0600', async () => {
    const given = join(dir, 'given.toml');
    writeFileSync(given, ORIGINAL, { mode: 0o644 });
    chmodSync(given, 0o644);
    await saveCacheConfig(CacheConfig.default(), given, { overwrite: true, remote: RemoteCacheConfig.create('redis://cache.internal').withSigningKey(signingKey), writeSecrets: true });
    expect(modeOf(given)).toBe(0o600);
    const kept = join(dir, 'kept.toml');
    writeFileSync(kept, `[cache]\n\n[wasm-cache.remote]\nurl = "redis://u:pw@cache.internal"\nallow-unsigned = true\n`);
    chmodSync(kept, 0o644);
    await saveCacheConfig(CacheConfig.default().withCapacity('1Gi'), kept, { overwrite: true });
    expect(modeOf(kept)).toBe(0o600);
    expect(readFileSync(kept, 'utf8')).toContain('url = "redis://u:pw@cache.internal"');
  });

  it('a file without a secret is made as before (0644 less the umask), writeSecrets or not', async () => {
    const plain = join(dir, 'plain.toml');
    await saveCacheConfig(CacheConfig.default().withCapacity('1Gi'), plain, { remote: RemoteCacheConfig.create('redis://cache.internal').withAllowUnsigned(true), writeSecrets: true });
    expect(modeOf(plain)).toBe(publicMode);
  });
});

describe.skipIf(!posix)('writing with a relative HOME', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('writes a valid configuration that does not use the default directory (its own directory, or disabled)', async () => {
    vi.stubEnv('HOME', 'relhome');
    vi.stubEnv('XDG_CACHE_HOME', '');
    // The default configuration itself is invalid here: its directory would be relative.
    expect(() => CacheConfig.default().validate()).toThrow(CacheConfigError);
    const own = CacheConfig.default().withDirectory('/tmp/x').withCapacity('1Gi');
    const text = stringifyCacheConfig(own);
    expect(text).toContain('directory = "/tmp/x"');
    expect(text).toContain('files-total-size-soft-limit = "1Gi"');
    expect(text).not.toContain('cleanup-interval');
    expect(stringifyCacheConfig(CacheConfig.disabled())).toContain('enabled = false');
    const file = join(mkdtempSync(join(tmpdir(), 'toml-home-')), 'config.toml');
    await saveCacheConfig(own, file);
    expect(readFileSync(file, 'utf8')).toBe(text);
    // And still refuses the one that would use it.
    expect(() => stringifyCacheConfig(CacheConfig.default())).toThrow(/default cache directory is not an absolute path/);
  });
});
