import { CacheConfig, defaultConfigFilePath, type PlatformContext, type RemoteCacheConfig } from '@cache/config';
import { loadCacheFileSync, type ParseOptions } from './parse-config.js';
import { nodeBuiltin } from '../node/node-builtin.js';

const { existsSync } = nodeBuiltin<typeof import('node:fs')>('node:fs');

/**
 * The configuration from the default file location if that file exists, else
 * the defaults: what Wasmtime does when no file is named. A file that exists
 * but is invalid is an error, never silently ignored. `remote` is the file's
 * `[wasm-cache.remote]` table, when it has one (see `loadCacheFile`).
 *
 * @throws ConfigFileAccessError, TomlSyntaxError or CacheConfigError.
 */
export function loadDefaultCacheConfig(options: Omit<ParseOptions, 'file'> & { context?: PlatformContext } = {}): {
  config: CacheConfig;
  file: string | undefined;
  remote: RemoteCacheConfig | undefined;
} {
  const file = defaultConfigFilePath(options.context);
  if (!existsSync(file)) return { config: options.base ?? CacheConfig.default(), file: undefined, remote: undefined };
  const loaded = loadCacheFileSync(file, options);
  return { config: loaded.cache, file, remote: loaded.remote };
}
