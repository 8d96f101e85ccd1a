import { existsSync } from 'node:fs';
import { CacheConfig, defaultConfigFilePath, type PlatformContext } from '@cache/config';
import { loadCacheConfigSync, type ParseOptions } from './parse-config.js';

/**
 * The configuration from the default file location if that file exists, else
 * the defaults — what Wasmtime does when no file is named. A file that exists
 * but is invalid is an error, never silently ignored.
 *
 * @throws ConfigFileAccessError, TomlSyntaxError or CacheConfigError.
 */
export function loadDefaultCacheConfig(options: Omit<ParseOptions, 'file'> & { context?: PlatformContext } = {}): {
  config: CacheConfig;
  file: string | undefined;
} {
  const file = defaultConfigFilePath(options.context);
  if (!existsSync(file)) return { config: options.base ?? CacheConfig.default(), file: undefined };
  return { config: loadCacheConfigSync(file, options), file };
}
