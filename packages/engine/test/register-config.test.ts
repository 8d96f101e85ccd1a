import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CacheConfigError, DEFAULT_ENV_PREFIX, NON_SETTING_ENV_VARIABLES } from '@cache/config';
import { ConfigFileAccessError, TomlSyntaxError } from '@cache/toml';
import { afterEach, describe, expect, it } from 'vitest';
import { ARTIFACT_TIER_ENV, CONFIG_FILE_ENV, ENGINE_ENV_SUFFIXES, installRegisterHook, PRELOAD_ENV, registerConfig } from '../src/index.js';
import { PRODUCER_ENV } from '../src/producer/producer-protocol.js';
import { tempDir } from './helpers.js';

// registerConfig is asynchronous: it loads the TOML reader only when a file is read.
describe('registerConfig', () => {
  const work = tempDir('engine-register-config-');
  const savedXdg = process.env['XDG_CONFIG_HOME'];
  afterEach(() => {
    if (savedXdg === undefined) delete process.env['XDG_CONFIG_HOME'];
    else process.env['XDG_CONFIG_HOME'] = savedXdg;
  });

  function toml(name: string, text: string): string {
    const file = join(work, name);
    writeFileSync(file, text);
    return file;
  }

  it('reads the file named by WASM_CACHE_CONFIG_FILE, with the environment laid over it', async () => {
    const file = toml('named.toml', `[cache]\ndirectory = ${JSON.stringify(join(work, 'named'))}\ncleanup-interval = "2h"\n`);
    const config = await registerConfig({ [CONFIG_FILE_ENV]: file, WASM_CACHE_CLEANUP_INTERVAL: '3h', WASM_CACHE_PRELOAD: 'x.wasm' });
    expect(config.directory).toBe(join(work, 'named'));
    expect(config.cleanupInterval).toBe(3 * 3600_000);
    expect(config.origin('directory')).toMatchObject({ kind: 'file', file, line: 2 });
    expect(config.origin('cleanupInterval')).toMatchObject({ kind: 'env', variable: 'WASM_CACHE_CLEANUP_INTERVAL' });
  });

  it('reads the default file when none is named and it exists, else uses the defaults', async () => {
    process.env['XDG_CONFIG_HOME'] = join(work, 'xdg');
    expect((await registerConfig({})).explicitSettings()).toEqual({});
    mkdirSync(join(work, 'xdg', 'wasm-cache'), { recursive: true });
    writeFileSync(join(work, 'xdg', 'wasm-cache', 'config.toml'), '[cache]\ncleanup-interval = "5m"\n');
    expect((await registerConfig({ [CONFIG_FILE_ENV]: '' })).cleanupInterval).toBe(5 * 60_000);
  });

  it('knows the engine’s own variables without being told: ENGINE_ENV_SUFFIXES are in @cache/config’s NON_SETTING_ENV_VARIABLES', async () => {
    process.env['XDG_CONFIG_HOME'] = join(work, 'no-default-file');
    expect(ENGINE_ENV_SUFFIXES.map((suffix) => `${DEFAULT_ENV_PREFIX}${suffix}`)).toEqual([PRELOAD_ENV, PRODUCER_ENV, ARTIFACT_TIER_ENV]);
    for (const suffix of ENGINE_ENV_SUFFIXES) expect(NON_SETTING_ENV_VARIABLES).toContain(`${DEFAULT_ENV_PREFIX}${suffix}`);
    const config = await registerConfig({ [PRELOAD_ENV]: '/x.wasm', [PRODUCER_ENV]: '0', [ARTIFACT_TIER_ENV]: 'full', WASM_CACHE_CLEANUP_INTERVAL: '3h' });
    expect(config.cleanupInterval).toBe(3 * 3600_000);
    // A typo of one is still one.
    await expect(registerConfig({ WASM_CACHE_PRELAOD: '/x.wasm' })).rejects.toThrow(/WASM_CACHE_PRELAOD/);
  });

  it('rejects with the errors the file and the environment cause', async () => {
    await expect(registerConfig({ [CONFIG_FILE_ENV]: join(work, 'absent.toml') })).rejects.toBeInstanceOf(ConfigFileAccessError);
    await expect(registerConfig({ [CONFIG_FILE_ENV]: toml('syntax.toml', '[cache\n') })).rejects.toBeInstanceOf(TomlSyntaxError);
    await expect(registerConfig({ [CONFIG_FILE_ENV]: toml('bad.toml', '[cache]\ncleanup-interval = 5\n') })).rejects.toBeInstanceOf(CacheConfigError);
    await expect(registerConfig({ WASM_CACHE_CLEANUP_INTERVAL: '10 minutes' })).rejects.toBeInstanceOf(CacheConfigError);
  });

  it('installRegisterHook resolves undefined, without touching WebAssembly, in a producer or on an invalid configuration', async () => {
    const wasm = (globalThis as unknown as { WebAssembly: { compile: unknown } }).WebAssembly;
    const compile = wasm.compile;
    await expect(installRegisterHook({ WASM_CACHE_PRODUCER: '1' })).resolves.toBeUndefined();
    await expect(installRegisterHook({ [CONFIG_FILE_ENV]: join(work, 'absent.toml') })).resolves.toBeUndefined();
    expect(wasm.compile).toBe(compile);
  });
});
