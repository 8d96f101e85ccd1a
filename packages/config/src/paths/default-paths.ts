import { createRequire } from 'node:module';
import { posix, win32 } from 'node:path';

/** The application folder name used under the OS's per-user folders. */
export const APP_FOLDER = 'wasm-cache';

/** What the default-path functions read; every field defaults to this process's. */
export interface PlatformContext {
  platform?: NodeJS.Platform;
  env?: Readonly<Record<string, string | undefined>>;
  home?: string;
}

/**
 * This user's home folder, as `os.homedir()` gives it: on Unix that is
 * `$HOME` when it is set, read here without loading `node:os` (which a
 * process under the `--import` hook otherwise never loads).
 */
function homeDirectory(): string {
  const home = process.platform === 'win32' ? undefined : process.env['HOME'];
  if (home !== undefined && home !== '') return home;
  const os = (typeof process.getBuiltinModule === 'function' ? process.getBuiltinModule('node:os') : createRequire(import.meta.url)('node:os')) as typeof import('node:os');
  return os.homedir();
}

function resolved(context: PlatformContext) {
  return {
    platform: context.platform ?? process.platform,
    env: context.env ?? process.env,
    home: context.home ?? homeDirectory(),
  };
}

/** An XDG base directory variable is used only when it is an absolute path (the XDG rule). */
function xdg(env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const value = env[name];
  return value !== undefined && value !== '' && posix.isAbsolute(value) ? value : undefined;
}

/**
 * The default cache directory for this user, the way Wasmtime picks its own:
 * - Linux and other Unix: `$XDG_CACHE_HOME/wasm-cache`, else `~/.cache/wasm-cache`
 * - macOS: `~/Library/Caches/wasm-cache`
 * - Windows: `%LOCALAPPDATA%\wasm-cache\cache`
 */
export function defaultCacheDirectory(context: PlatformContext = {}): string {
  const { platform, env, home } = resolved(context);
  switch (platform) {
    case 'darwin':
      return posix.join(home, 'Library', 'Caches', APP_FOLDER);
    case 'win32': {
      const local = env['LOCALAPPDATA'];
      const base = local && win32.isAbsolute(local) ? local : win32.join(home, 'AppData', 'Local');
      return win32.join(base, APP_FOLDER, 'cache');
    }
    default:
      return posix.join(xdg(env, 'XDG_CACHE_HOME') ?? posix.join(home, '.cache'), APP_FOLDER);
  }
}

/**
 * @internal What the default cache directory was built from, in words for a
 * message: `HOME="relhome"`, `XDG_CACHE_HOME="/x"`, `LOCALAPPDATA="..."`, or
 * the home folder.
 */
export function defaultCacheDirectorySource(context: PlatformContext = {}): string {
  const { platform, env, home } = resolved(context);
  const homeVariable = platform === 'win32' ? 'USERPROFILE' : 'HOME';
  const fromHome = context.home === undefined && env[homeVariable] ? `${homeVariable}=${JSON.stringify(home)}` : `the home folder ${JSON.stringify(home)}`;
  switch (platform) {
    case 'darwin':
      return fromHome;
    case 'win32': {
      const local = env['LOCALAPPDATA'];
      return local && win32.isAbsolute(local) ? `LOCALAPPDATA=${JSON.stringify(local)}` : `${fromHome} (LOCALAPPDATA is unset or not absolute)`;
    }
    default: {
      const cache = xdg(env, 'XDG_CACHE_HOME');
      return cache ? `XDG_CACHE_HOME=${JSON.stringify(cache)}` : `${fromHome} (XDG_CACHE_HOME is unset or not absolute)`;
    }
  }
}

/**
 * The default location of the TOML configuration file, as `wasmtime config new`
 * picks its own:
 * - Linux and other Unix: `$XDG_CONFIG_HOME/wasm-cache/config.toml`, else `~/.config/wasm-cache/config.toml`
 * - macOS: `~/Library/Application Support/wasm-cache/config.toml`
 * - Windows: `%APPDATA%\wasm-cache\config\config.toml`
 *
 * Relative when the home folder is (a relative `HOME`): to look for the file,
 * use {@link absoluteDefaultConfigFilePath}, which then gives none.
 */
export function defaultConfigFilePath(context: PlatformContext = {}): string {
  const { platform, env, home } = resolved(context);
  switch (platform) {
    case 'darwin':
      return posix.join(home, 'Library', 'Application Support', APP_FOLDER, 'config.toml');
    case 'win32': {
      const roaming = env['APPDATA'];
      const base = roaming && win32.isAbsolute(roaming) ? roaming : win32.join(home, 'AppData', 'Roaming');
      return win32.join(base, APP_FOLDER, 'config', 'config.toml');
    }
    default:
      return posix.join(xdg(env, 'XDG_CONFIG_HOME') ?? posix.join(home, '.config'), APP_FOLDER, 'config.toml');
  }
}

/**
 * The default configuration file ({@link defaultConfigFilePath}) when its path
 * is absolute; undefined when it is not (a relative `HOME`, or `USERPROFILE`
 * on Windows; a relative `XDG_CONFIG_HOME` or `APPDATA` is already passed
 * over): there is then no default file, rather than one below whatever the
 * current folder is, as the default cache directory built from the same home
 * folder is refused rather than used (see `CacheConfig`).
 */
export function absoluteDefaultConfigFilePath(context: PlatformContext = {}): string | undefined {
  const file = defaultConfigFilePath(context);
  const platform = context.platform ?? process.platform;
  return (platform === 'win32' ? win32 : posix).isAbsolute(file) ? file : undefined;
}
