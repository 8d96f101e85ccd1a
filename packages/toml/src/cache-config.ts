import { CacheConfig as BaseCacheConfig } from '@cache/config';
import { loadCacheConfig, loadCacheConfigSync, parseCacheConfig, type ParseOptions } from './read/parse-config.js';

/**
 * {@link BaseCacheConfig | CacheConfig} with the legacy file loaders:
 * `CacheConfig.fromToml(text)` and `CacheConfig.fromTomlFile(path)`. Every
 * other member is `@cache/config`'s, and the values it returns are plain
 * `@cache/config` CacheConfig instances.
 */
export class CacheConfig extends BaseCacheConfig {
  /**
   * Reads the text of Wasmtime's cache file.
   *
   * @throws TomlSyntaxError or CacheConfigError.
   */
  static fromToml(text: string, options: ParseOptions = {}): BaseCacheConfig {
    return parseCacheConfig(text, options);
  }

  /**
   * Loads Wasmtime's cache file.
   *
   * @throws ConfigFileAccessError, TomlSyntaxError or CacheConfigError.
   */
  static fromTomlFile(file: string, options: Omit<ParseOptions, 'file'> = {}): Promise<BaseCacheConfig> {
    return loadCacheConfig(file, options);
  }

  /** The synchronous form of {@link CacheConfig.fromTomlFile}. */
  static fromTomlFileSync(file: string, options: Omit<ParseOptions, 'file'> = {}): BaseCacheConfig {
    return loadCacheConfigSync(file, options);
  }
}
