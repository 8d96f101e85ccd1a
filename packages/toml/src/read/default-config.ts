import { absoluteDefaultConfigFilePath, CacheConfig, type PlatformContext, type RemoteCacheConfig } from '@cache/config';
import { loadCacheFileSync, type ParseOptions } from './parse-config.js';
import { nodeBuiltin } from '../node/node-builtin.js';

const { existsSync } = nodeBuiltin<typeof import('node:fs')>('node:fs');

/**
 * The configuration from the default file location if that file exists, else
 * the defaults: what Wasmtime does when no file is named. A file that exists
 * but is invalid is an error, never silently ignored. `remote` is the file's
 * `[wasm-cache.remote]` table, when it has one (see `loadCacheFile`). There
 * is no default file when its path would be relative (a relative `HOME`):
 * one below the current folder is not read.
 *
 * @throws ConfigFileAccessError, TomlSyntaxError or CacheConfigError.
 */
export function loadDefaultCacheConfig(options: Omit<ParseOptions, 'file'> & { context?: PlatformContext } = {}): {
  config: CacheConfig;
  file: string | undefined;
  remote: RemoteCacheConfig | undefined;
} {
  // None where the home folder is relative: not a file below whatever the current folder is.
  const file = absoluteDefaultConfigFilePath(options.context);
  if (file === undefined || !existsSync(file)) return { config: options.base ?? CacheConfig.default(), file: undefined, remote: undefined };
  const loaded = loadCacheFileSync(file, options);
  return { config: loaded.cache, file, remote: loaded.remote };
}
