import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempDir } from './helpers.js';

describe('wasm-cache config (built binary)', () => {
  const dir = tempDir('cli-config-');

  it('config new writes the default file and refuses to overwrite it', async () => {
    const file = join(dir, 'new', 'config.toml');
    const first = await cli(['config', 'new', file]);
    expect(first).toMatchObject({ code: 0 });
    expect(first.stdout).toContain(`Created ${file}`);
    expect(readFileSync(file, 'utf8')).toContain('[cache]');
    const second = await cli(['config', 'new', file]);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/already exists; refusing to overwrite/);
  });

  it('config show reports each setting and where it came from: default, file, environment, flag', async () => {
    const file = join(dir, 'show.toml');
    writeFileSync(file, '[cache]\ncleanup-interval = "30m"\n');
    const run = await cli(['--config', file, '--dir', '/srv/flag-dir', 'config', 'show', '--json'], { WASM_CACHE_CAPACITY: '2Gi' });
    expect(run.code).toBe(0);
    const shown = JSON.parse(run.stdout) as { file: string; settings: Record<string, { value: unknown; origin: string }> };
    expect(shown.file).toBe(file);
    expect(shown.settings['cleanupInterval']).toEqual({ value: 1_800_000, origin: `${file}:2:1` });
    expect(shown.settings['filesTotalSizeSoftLimit']).toEqual({ value: 2 * 1024 ** 3, origin: 'environment variable WASM_CACHE_CAPACITY' });
    expect(shown.settings['directory']).toEqual({ value: '/srv/flag-dir', origin: 'flag --dir' });
    expect(shown.settings['fileCountSoftLimit']).toEqual({ value: 65536, origin: 'default' });
    const human = await cli(['--config', file, 'config', 'show']);
    expect(human.stdout).toMatch(/cleanup-interval\s+30m\s+.*show\.toml:2:1/);
  });

  it('config show reports the artifact tier from WASM_CACHE_ARTIFACT_TIER, and refuses an invalid one as run does (exit 3)', async () => {
    const plain = JSON.parse((await cli(['config', 'show', '--json'], { WASM_CACHE_ARTIFACT_TIER: '' })).stdout) as { artifactTier: unknown };
    expect(plain.artifactTier).toEqual({ value: 'hot', origin: 'default' });
    const full = JSON.parse((await cli(['config', 'show', '--json'], { WASM_CACHE_ARTIFACT_TIER: 'full' })).stdout) as { artifactTier: unknown };
    expect(full.artifactTier).toEqual({ value: 'full', origin: 'environment variable WASM_CACHE_ARTIFACT_TIER' });
    expect((await cli(['config', 'show'], { WASM_CACHE_ARTIFACT_TIER: 'full' })).stdout).toContain('artifact tier: full (environment variable WASM_CACHE_ARTIFACT_TIER)');
    const warm = await cli(['config', 'show'], { WASM_CACHE_ARTIFACT_TIER: 'warm' });
    expect(warm.code).toBe(3);
    expect(warm.stderr).toContain('artifactTier = "warm" (environment variable WASM_CACHE_ARTIFACT_TIER): must be one of "hot", "full"');
  });

  it('config show prints the [wasm-cache.remote] tier with its origins and never a secret', async () => {
    const file = join(dir, 'remote.toml');
    writeFileSync(file, '[cache]\n[wasm-cache.remote]\nurl = "redis://ci:url-secret-pw@cache.internal:6379"\nttl = "3d"\n');
    const env = { WASM_CACHE_SIGNING_KEY: 'env-signing-secret-0123456789abcdef0123' };
    for (const args of [['config', 'show', '--json'], ['config', 'show']]) {
      const run = await cli(['--config', file, ...args], env);
      expect(run.code).toBe(0);
      for (const secret of ['url-secret-pw', env.WASM_CACHE_SIGNING_KEY]) expect(run.stdout + run.stderr).not.toContain(secret);
      expect(run.stdout).toContain('redis://ci:***@cache.internal:6379');
    }
    const json = JSON.parse((await cli(['--config', file, 'config', 'show', '--json'], env)).stdout) as { remote: Record<string, { value: unknown; origin: string }> };
    expect(json.remote['ttl']).toEqual({ value: 3 * 86_400_000, origin: `${file}:4:1` });
    expect(json.remote['signingKey']).toEqual({ value: '<redacted>', origin: 'environment variable WASM_CACHE_SIGNING_KEY' });
    const unsigned = await cli(['--config', file, 'config', 'show'], { WASM_CACHE_SIGNING_KEY: '' });
    expect(unsigned.code).toBe(3);
    expect(unsigned.stderr).toMatch(/signing key/);
    expect(unsigned.stderr).not.toContain('url-secret-pw');
  });

  it('config validate: exit 0 for a good file; exit 3 with key, line and column for a bad one', async () => {
    const good = join(dir, 'good.toml');
    writeFileSync(good, '[cache]\nfiles-total-size-soft-limit = "1Gi"\n');
    expect((await cli(['config', 'validate', good])).code).toBe(0);
    const bad = join(dir, 'bad.toml');
    writeFileSync(bad, '[cache]\ndirectroy = "/x"\ncleanup-interval = "10 min"\n');
    const run = await cli(['config', 'validate', bad]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`directroy = "/x" (${bad}:2:1): unknown key in [cache]`);
    expect(run.stderr).toContain(`cleanup-interval = "10 min" (${bad}:3:1)`);
    const missing = await cli(['config', 'validate', join(dir, 'missing.toml')]);
    expect(missing.code).toBe(4);
  });

  it('config migrate prints builder code', async () => {
    const file = join(dir, 'migrate.toml');
    writeFileSync(file, '[cache]\nfiles-total-size-soft-limit = "1Gi"\n');
    const run = await cli(['config', 'migrate', file]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(".withCapacity(\"1Gi\")");
  });

  it('config migrate keeps the exact directory and migrates [wasm-cache.remote], its secrets only with --write-secrets', async () => {
    const file = join(dir, 'migrate-remote.toml');
    writeFileSync(file, '[cache]\ndirectory = "/tmp/my cache "\n\n[wasm-cache.remote]\nurl = "redis://localhost"\nsigning-key = "0123456789abcdef0123456789abcdef"\n');
    const refused = await cli(['config', 'migrate', file]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('signing-key = "<redacted>"');
    expect(refused.stderr).not.toContain('0123456789abcdef');
    const run = await cli(['config', 'migrate', file, '--write-secrets']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('.withDirectory("/tmp/my cache ")');
    expect(run.stdout).toContain('RemoteCacheConfig.create("redis://localhost")');
    expect(run.stdout).toContain('.withSigningKey("0123456789abcdef0123456789abcdef")');
  });

  it('config migrate reports a missing file or a directory in one line (exit 4), and a file that is not UTF-8 as invalid (exit 3), as config validate does', async () => {
    const missing = join(dir, 'no-such-file.toml');
    for (const file of [missing, dir]) {
      const run = await cli(['config', 'migrate', file]);
      expect(run.code).toBe(4);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toContain(`error: Cannot read cache configuration file ${file}`);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
    const latin1 = join(dir, 'latin1.toml');
    writeFileSync(latin1, Buffer.concat([Buffer.from('[cache]\ndirectory = "/tmp/caf'), Buffer.from([0xe9]), Buffer.from('"\n')]));
    const run = await cli(['config', 'migrate', latin1]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`${latin1}:2:22: invalid TOML: not valid UTF-8`);
    expect(run.stdout).toBe('');
  });

  it('a default cache directory that is not absolute (HOME=relhome) is a configuration error (exit 3) naming HOME', async () => {
    const run = await cli(['cache', 'path'], { HOME: 'relhome', XDG_CACHE_HOME: '' });
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('directory = "relhome/.cache/wasm-cache" (default): the default cache directory is not an absolute path: it is built from HOME="relhome"');
  });

  it('with a relative HOME, --dir (absolute or relative) names the directory instead of the default one that HOME would make', async () => {
    const cwd = tempDir('cli-relative-home-dir-');
    const relativeHome = { HOME: 'relhome', XDG_CONFIG_HOME: '', XDG_CACHE_HOME: '' };
    const absolute = join(cwd, 'given');
    for (const [args, expected] of [
      [['--dir', absolute, 'cache', 'path'], absolute],
      [['cache', 'path', '--dir', 'below'], join(cwd, 'below')],
    ] as const) {
      const run = await cli([...args], relativeHome, undefined, cwd);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toBe(`${expected}\n`);
    }
    const show = await cli(['config', 'show', '--json', '--dir', absolute], relativeHome, undefined, cwd);
    expect(show.code, show.stderr).toBe(0);
    expect((JSON.parse(show.stdout) as { settings: { directory: { value: string; origin: string } } }).settings.directory).toEqual({ value: absolute, origin: 'flag --dir' });
    // The flag is over the environment too, and a bad variable is still reported.
    const overEnv = await cli(['cache', 'path', '--dir', absolute], { ...relativeHome, WASM_CACHE_DIRECTORY: join(cwd, 'from-env') }, undefined, cwd);
    expect(overEnv).toMatchObject({ code: 0, stdout: `${absolute}\n` });
    const badEnv = await cli(['cache', 'path', '--dir', absolute], { ...relativeHome, WASM_CACHE_CLEANUP_INTERVAL: '10' }, undefined, cwd);
    expect(badEnv.code).toBe(3);
    expect(badEnv.stderr).toContain('WASM_CACHE_CLEANUP_INTERVAL');
  });

  it('an empty WASM_CACHE_CONFIG_FILE counts as unset: the per-user file is still read', async () => {
    const home = join(dir, 'xdg-config');
    mkdirSync(join(home, 'wasm-cache'), { recursive: true });
    const file = join(home, 'wasm-cache', 'config.toml');
    writeFileSync(file, '[cache]\ncleanup-interval = "5m"\n');
    const run = await cli(['config', 'show', '--json'], { XDG_CONFIG_HOME: home, WASM_CACHE_CONFIG_FILE: '' });
    expect(run.code).toBe(0);
    const shown = JSON.parse(run.stdout) as { file: string | null; settings: { cleanupInterval: { value: number; origin: string } } };
    expect(shown.file).toBe(file);
    expect(shown.settings.cleanupInterval).toEqual({ value: 300_000, origin: `${file}:2:1` });
  });

  it('an empty --config is a configuration error (exit 3), as an empty --dir is, instead of reading no file at all', async () => {
    const file = join(dir, 'named-by-variable.toml');
    writeFileSync(file, '[cache]\ncleanup-interval = "5m"\n');
    const read = await cli(['config', 'show', '--json'], { WASM_CACHE_CONFIG_FILE: file });
    expect(read.code, read.stderr).toBe(0);
    expect((JSON.parse(read.stdout) as { file: string | null }).file).toBe(file);
    for (const args of [['config', 'show', '--config', ''], ['--config', '', 'cache', 'path']]) {
      const run = await cli(args, { WASM_CACHE_CONFIG_FILE: file });
      expect(run.code, args.join(' ')).toBe(3);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe(
        'error: Invalid cache configuration (1 problem) (ERR_CACHE_CONFIG_INVALID):\n' +
          '  - configuration file = "" (flag --config): must not be empty: name a TOML file, or leave --config out to read $WASM_CACHE_CONFIG_FILE or the per-user file\n',
      );
    }
  });

  it('with a relative HOME there is no per-user file: one below the current folder is not read, and config new does not write one there', async () => {
    const cwd = tempDir('cli-relative-home-');
    const planted = join(cwd, 'relhome', '.config', 'wasm-cache', 'config.toml');
    mkdirSync(join(planted, '..'), { recursive: true });
    writeFileSync(planted, `[cache]\ndirectory = ${JSON.stringify(join(cwd, 'planted-cache'))}\ncleanup-interval = "5m"\n`);
    const relativeHome = { HOME: 'relhome', XDG_CONFIG_HOME: '', XDG_CACHE_HOME: '' };
    // The default directory from that HOME is refused, and the planted file does not rescue it.
    const refused = await cli(['config', 'show'], relativeHome, undefined, cwd);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('directory = "relhome/.cache/wasm-cache" (default): the default cache directory is not an absolute path');
    // With a directory from the environment, the settings are the defaults: no file was read.
    const show = await cli(['config', 'show', '--json'], { ...relativeHome, WASM_CACHE_DIRECTORY: join(cwd, 'cache') }, undefined, cwd);
    expect(show.code, show.stderr).toBe(0);
    const shown = JSON.parse(show.stdout) as { file: string | null; settings: { cleanupInterval: { value: number; origin: string } } };
    expect(shown.file).toBeNull();
    expect(shown.settings.cleanupInterval).toEqual({ value: 3_600_000, origin: 'default' });

    const elsewhere = tempDir('cli-relative-home-new-');
    const created = await cli(['config', 'new'], relativeHome, undefined, elsewhere);
    expect(created.code).toBe(3);
    expect(created.stdout).toBe('');
    expect(created.stderr).toContain(
      'configuration file = "relhome/.config/wasm-cache/config.toml" (default): the default configuration file is not an absolute path: the home folder it is built from is relative (HOME); set that to an absolute path, or name the file: config new <path>',
    );
    expect(existsSync(join(elsewhere, 'relhome'))).toBe(false);
  });

  it('a baseline level alone, above the default optimized level, is reported at the line that set it, by its key', async () => {
    const file = join(dir, 'baseline-only.toml');
    writeFileSync(file, '[cache]\n\n\nbaseline-compression-level = 21\n');
    const run = await cli(['config', 'validate', file]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(
      `  - baseline-compression-level = 21 (${file}:4:1): is above the default optimized compression level (20); set optimized-compression-level too, to 21 or more\n`,
    );
    expect(run.stderr).not.toContain('optimizedCompressionLevel');
  });

  it('the engine\'s own variables (WASM_CACHE_PRELOAD, PRODUCER, ARTIFACT_TIER) are not unknown settings', async () => {
    const run = await cli(['cache', 'path'], { WASM_CACHE_PRELOAD: '/x.wasm', WASM_CACHE_ARTIFACT_TIER: 'full', WASM_CACHE_DIRECTORY: '/tmp/engine-vars-cache' });
    expect(run).toMatchObject({ code: 0, stdout: '/tmp/engine-vars-cache\n' });
  });

  it('an invalid environment variable is a configuration error (exit 3) naming it', async () => {
    const run = await cli(['cache', 'path'], { WASM_CACHE_CLEANUP_INTERVAL: '10' });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('WASM_CACHE_CLEANUP_INTERVAL');
  });

  it('unknown commands and options are usage errors (exit 2); --help works everywhere', async () => {
    expect((await cli(['frobnicate'])).code).toBe(2);
    expect((await cli(['cache', 'stats', '--bogus'])).code).toBe(2);
    const help = await cli(['cache', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/verify \[options\]\s+check every entry/);
  });
});
