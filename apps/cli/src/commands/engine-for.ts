import { Config, Engine, withArtifactTierFromEnv, type ArtifactTier } from '@cache/engine';
import type { CacheConfig } from '@cache/config';

/**
 * An engine over the CLI's configuration. The artifact tier is `tier` when
 * given (`compile` always makes full artifacts), else `WASM_CACHE_ARTIFACT_TIER`,
 * else the engine's default.
 */
export function engineFor(config: CacheConfig, tier?: ArtifactTier, env: NodeJS.ProcessEnv = process.env): Engine {
  const engineConfig = Config.default().cacheConfig(config);
  return new Engine(tier === undefined ? withArtifactTierFromEnv(engineConfig, env) : engineConfig.withArtifactTier(tier));
}
