import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { absoluteDefaultConfigFilePath, CacheConfig, defaultCacheDirectory, defaultConfigFilePath } from '../src/index.js';

describe('default locations per OS', () => {
  it('Linux uses XDG_CACHE_HOME / XDG_CONFIG_HOME when absolute, else ~/.cache and ~/.config', () => {
    expect(defaultCacheDirectory({ platform: 'linux', env: { XDG_CACHE_HOME: '/xdg/cache' }, home: '/home/u' })).toBe('/xdg/cache/wasm-cache');
    expect(defaultCacheDirectory({ platform: 'linux', env: {}, home: '/home/u' })).toBe('/home/u/.cache/wasm-cache');
    expect(defaultCacheDirectory({ platform: 'linux', env: { XDG_CACHE_HOME: 'relative' }, home: '/home/u' })).toBe('/home/u/.cache/wasm-cache');
    expect(defaultConfigFilePath({ platform: 'linux', env: { XDG_CONFIG_HOME: '/xdg/config' }, home: '/home/u' })).toBe('/xdg/config/wasm-cache/config.toml');
    expect(defaultConfigFilePath({ platform: 'freebsd', env: {}, home: '/home/u' })).toBe('/home/u/.config/wasm-cache/config.toml');
  });

  it('macOS uses ~/Library/Caches and ~/Library/Application Support', () => {
    expect(defaultCacheDirectory({ platform: 'darwin', env: { XDG_CACHE_HOME: '/ignored' }, home: '/Users/u' })).toBe('/Users/u/Library/Caches/wasm-cache');
    expect(defaultConfigFilePath({ platform: 'darwin', env: {}, home: '/Users/u' })).toBe('/Users/u/Library/Application Support/wasm-cache/config.toml');
  });

  it('Windows uses LOCALAPPDATA and APPDATA, with fallbacks under the profile', () => {
    expect(defaultCacheDirectory({ platform: 'win32', env: { LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local' }, home: 'C:\\Users\\u' })).toBe(
      'C:\\Users\\u\\AppData\\Local\\wasm-cache\\cache',
    );
    expect(defaultCacheDirectory({ platform: 'win32', env: {}, home: 'C:\\Users\\u' })).toBe('C:\\Users\\u\\AppData\\Local\\wasm-cache\\cache');
    expect(defaultConfigFilePath({ platform: 'win32', env: { APPDATA: 'D:\\Roaming' }, home: 'C:\\Users\\u' })).toBe('D:\\Roaming\\wasm-cache\\config\\config.toml');
  });

  it("defaults to this user's home folder as os.homedir() gives it, with or without $HOME set", () => {
    const fixture = join(import.meta.dirname, 'fixtures', 'home-directory.cjs');
    const run = (env: NodeJS.ProcessEnv): { mine: string; os: string; osLoaded: boolean } =>
      JSON.parse(execFileSync(process.execPath, [fixture], { env, encoding: 'utf8' })) as { mine: string; os: string; osLoaded: boolean };
    const withHome = run({ ...process.env, HOME: '/home/someone', XDG_CACHE_HOME: '' });
    expect(withHome.mine).toBe(withHome.os);
    expect(withHome.mine).toBe('/home/someone/.cache/wasm-cache');
    expect(withHome.osLoaded).toBe(false); // $HOME is read without loading node:os
    const { HOME: _home, ...withoutHome } = process.env;
    const noHome = run({ ...withoutHome, XDG_CACHE_HOME: '' });
    expect(noHome.mine).toBe(noHome.os); // from the user database, through node:os
  });

  it('has no default configuration file when its path would not be absolute (a relative HOME), as the default directory is refused then', () => {
    expect(defaultConfigFilePath({ platform: 'linux', env: {}, home: 'relhome' })).toBe('relhome/.config/wasm-cache/config.toml');
    expect(absoluteDefaultConfigFilePath({ platform: 'linux', env: {}, home: 'relhome' })).toBeUndefined();
    // A relative XDG_CONFIG_HOME is passed over for the home folder; an absolute one is used whatever the home folder is.
    expect(absoluteDefaultConfigFilePath({ platform: 'linux', env: { XDG_CONFIG_HOME: 'relconfig' }, home: 'relhome' })).toBeUndefined();
    expect(absoluteDefaultConfigFilePath({ platform: 'linux', env: { XDG_CONFIG_HOME: 'relconfig' }, home: '/home/u' })).toBe('/home/u/.config/wasm-cache/config.toml');
    expect(absoluteDefaultConfigFilePath({ platform: 'linux', env: { XDG_CONFIG_HOME: '/xdg/config' }, home: 'relhome' })).toBe('/xdg/config/wasm-cache/config.toml');
    expect(absoluteDefaultConfigFilePath({ platform: 'darwin', env: {}, home: 'relhome' })).toBeUndefined();
    expect(absoluteDefaultConfigFilePath({ platform: 'darwin', env: {}, home: '/Users/u' })).toBe('/Users/u/Library/Application Support/wasm-cache/config.toml');
    expect(absoluteDefaultConfigFilePath({ platform: 'win32', env: { APPDATA: 'Roaming' }, home: 'relprofile' })).toBeUndefined();
    expect(absoluteDefaultConfigFilePath({ platform: 'win32', env: { APPDATA: 'D:\\Roaming' }, home: 'relprofile' })).toBe('D:\\Roaming\\wasm-cache\\config\\config.toml');
  });

  it('refuses a default directory that is not absolute, naming where it comes from (HOME), as Wasmtime checks the default', () => {
    const saved = { HOME: process.env['HOME'], XDG_CACHE_HOME: process.env['XDG_CACHE_HOME'] };
    try {
      process.env['HOME'] = 'relhome';
      delete process.env['XDG_CACHE_HOME'];
      const problems = CacheConfig.default().problems();
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({ setting: 'directory', value: 'relhome/.cache/wasm-cache', origin: { kind: 'default' } });
      expect(problems[0]?.rule).toBe(
        'the default cache directory is not an absolute path: it is built from HOME="relhome" (XDG_CACHE_HOME is unset or not absolute); set that to an absolute path, or set the directory',
      );
      // Listed with the other problems; gone when a directory is given or XDG_CACHE_HOME is absolute; a disabled cache uses none.
      expect(CacheConfig.default().withCapacity(0).problems()).toHaveLength(2);
      expect(CacheConfig.default().withDirectory('/srv/cache').problems()).toEqual([]);
      expect(CacheConfig.disabled().problems()).toEqual([]);
      process.env['XDG_CACHE_HOME'] = '/xdg';
      expect(CacheConfig.default().directory).toBe('/xdg/wasm-cache');
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});
