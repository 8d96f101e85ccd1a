import { CacheConfig } from '../cache-config/cache-config.js';

/** Engine-level options; the cache is the first, others join it as the engine grows. */
interface EngineOptions {
  readonly cache: CacheConfig;
}

/**
 * The engine-level configuration, which carries the cache configuration
 * alongside the engine's other settings. Immutable, like {@link CacheConfig}.
 *
 * @example
 * const config = Config.default().cacheConfig(CacheConfig.default().withCapacity('1Gi'));
 */
export class Config {
  readonly #options: EngineOptions;

  private constructor(options: EngineOptions) {
    this.#options = Object.freeze({ ...options });
  }

  /** Every engine default; the cache enabled with Wasmtime's defaults. */
  static default(): Config {
    return new Config({ cache: CacheConfig.default() });
  }

  /** A copy that uses this cache configuration (`CacheConfig.disabled()` turns caching off). */
  cacheConfig(cache: CacheConfig): Config {
    if (!(cache instanceof CacheConfig)) {
      throw new TypeError('Config.cacheConfig expects a CacheConfig (from CacheConfig.default(), disabled(), fromEnv() or a TOML file)');
    }
    return new Config({ ...this.#options, cache });
  }

  /** The cache configuration this engine configuration carries. */
  get cache(): CacheConfig {
    return this.#options.cache;
  }

  /**
   * Checks every setting and returns this configuration.
   *
   * @throws CacheConfigError listing every problem.
   */
  validate(): this {
    this.#options.cache.validate();
    return this;
  }
}
