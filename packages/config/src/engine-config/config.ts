import { CacheConfig } from '../cache-config/cache-config.js';
import { describeNonCacheConfig } from '../cache-config/foreign-instance.js';
import { CacheConfigError, type SettingOrigin } from '../errors/config-error.js';

/**
 * Which compiled code an artifact holds.
 *
 * - `'hot'`: the code V8 optimized while the module ran in this process
 *   (TurboFan code of the functions that tiered up), saved in-process. Small
 *   (swc: 3 MB for an 18 MB module) and fast to load; functions that were not
 *   hot compile lazily, as without a cache. Later runs add the functions they
 *   make hot.
 * - `'full'`: every function compiled by TurboFan, in a background process of
 *   its own. Independent of what ran, but 2 to 7 times the module's size, so
 *   slower to load than V8's lazy compile for large modules, and it costs a
 *   full optimizing compile of background CPU (30 s for duckdb-wasm).
 */
export type ArtifactTier = 'hot' | 'full';

/** The tiers {@link Config.withArtifactTier} accepts. */
export const ARTIFACT_TIERS: readonly ArtifactTier[] = ['hot', 'full'];

/** Engine-level options; others join them as the engine grows. */
interface EngineOptions {
  readonly cache: CacheConfig;
  readonly artifactCompression: boolean;
  readonly artifactTier: ArtifactTier;
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
    return new Config({ cache: CacheConfig.default(), artifactCompression: false, artifactTier: 'hot' });
  }

  /**
   * A copy that uses this cache configuration (`CacheConfig.disabled()` turns caching off).
   *
   * @throws TypeError when `cache` is not a CacheConfig of this copy of the package; one from another copy (a
   * CommonJS `require` beside an ES `import`, or two installed versions) is said to be that.
   */
  cacheConfig(cache: CacheConfig): Config {
    if (!(cache instanceof CacheConfig)) {
      throw new TypeError(`Config.cacheConfig expects a CacheConfig (from CacheConfig.default(), disabled(), fromEnv() or a TOML file), got ${describeNonCacheConfig(cache)}`);
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

  /**
   * A copy whose artifacts hold this tier of code (see {@link ArtifactTier}).
   * `'hot'` by default: measured on real modules (apps/bench), it loads 2 to 18
   * times less code, is not slower to first result than plain Node, and costs
   * no background compile, while the rest of a workload runs nearly as fast as
   * with `'full'`. Choose `'full'` when the first run must already be optimized
   * everywhere, whatever ran before (as `precompile` always is).
   *
   * @param origin where the value came from, for the error message.
   * @throws CacheConfigError when `tier` is not `'hot'` or `'full'`.
   * @default 'hot'
   */
  withArtifactTier(tier: ArtifactTier, origin: SettingOrigin = { kind: 'code' }): Config {
    if (!ARTIFACT_TIERS.includes(tier)) {
      throw new CacheConfigError([{ setting: 'artifactTier', value: tier, rule: `must be one of ${ARTIFACT_TIERS.map((t) => `"${t}"`).join(', ')}`, origin }]);
    }
    return new Config({ ...this.#options, artifactTier: tier });
  }

  /** Which code artifacts hold. */
  get artifactTier(): ArtifactTier {
    return this.#options.artifactTier;
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
