import { CacheConfig } from '../cache-config/cache-config.js';

/** Engine-level options; others join them as the engine grows. */
interface EngineOptions {
  readonly cache: CacheConfig;
  readonly artifactCompression: boolean;
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
    return new Config({ cache: CacheConfig.default(), artifactCompression: false });
  }

  /** A copy that uses this cache configuration (`CacheConfig.disabled()` turns caching off). */
  cacheConfig(cache: CacheConfig): Config {
    if (!(cache instanceof CacheConfig)) {
      throw new TypeError('Config.cacheConfig expects a CacheConfig (from CacheConfig.default(), disabled(), fromEnv() or a TOML file)');
    }
    return new Config({ ...this.#options, cache });
  }

  /**
   * A copy that stores compiled artifacts zstd-compressed (at the cache's
   * baseline level, recompressed at the optimized level when used often).
   *
   * Off by default, from measurements on esbuild-wasm's 34.8 MB of optimized
   * code: level 3 makes it 3.3x smaller on disk but adds 50-70 ms to every
   * load, more than V8's own load (about 50 ms); level 19-20 takes over a
   * minute of background CPU per such artifact. Turn it on where disk space
   * matters more than start-up time.
   *
   * @default false
   */
  withArtifactCompression(enabled: boolean): Config {
    return new Config({ ...this.#options, artifactCompression: enabled });
  }

  /** Whether artifacts are stored compressed. */
  get artifactCompression(): boolean {
    return this.#options.artifactCompression;
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
