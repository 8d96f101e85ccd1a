import { Config, type ArtifactTier } from '@cache/config';
import { warnOnce } from '../diagnostics/warn-once.js';
import { Engine } from '../engine/engine.js';
import { PRODUCER_ENV } from '../producer/producer-protocol.js';
import { patchWebAssembly } from './patch-webassembly.js';
import { ARTIFACT_TIER_ENV, registerConfig } from './register-config.js';

/**
 * What `@cache/engine/register` does before preloading: builds an engine from
 * the environment (see `registerConfig`) and routes the WebAssembly globals
 * through it. Returns undefined, leaving WebAssembly untouched, in a producer
 * process or when the configuration is invalid (reported once).
 */
export function installRegisterHook(env: Readonly<Record<string, string | undefined>> = process.env): Engine | undefined {
  if (env[PRODUCER_ENV] === '1') return undefined;
  try {
    let config = Config.default().cacheConfig(registerConfig(env));
    const tier = env[ARTIFACT_TIER_ENV];
    if (tier !== undefined && tier !== '') config = config.withArtifactTier(tier as ArtifactTier, { kind: 'env', variable: ARTIFACT_TIER_ENV });
    const engine = new Engine(config);
    patchWebAssembly(engine);
    return engine;
  } catch (error) {
    warnOnce(
      'CACHE_ENGINE_CONFIG_INVALID',
      `@cache/engine/register: the WebAssembly cache is off because its configuration is invalid: ${error instanceof Error ? error.message : String(error)}`,
    );
    return undefined;
  }
}
