import { Config } from '@cache/config';
import { warnOnce } from '../diagnostics/warn-once.js';
import { Engine } from '../engine/engine.js';
import { PRODUCER_ENV } from '../producer/producer-protocol.js';
import { patchWebAssembly } from './patch-webassembly.js';
import { registerConfig, withArtifactTierFromEnv } from './register-config.js';

/**
 * What `@cache/engine/register` does before preloading: builds an engine from
 * the environment (see `registerConfig`) and routes the WebAssembly globals
 * through it. Resolves undefined, leaving WebAssembly untouched, in a producer
 * process or when the configuration is invalid (reported once); never rejects.
 */
export async function installRegisterHook(env: Readonly<Record<string, string | undefined>> = process.env): Promise<Engine | undefined> {
  if (env[PRODUCER_ENV] === '1') return undefined;
  try {
    const engine = new Engine(withArtifactTierFromEnv(Config.default().cacheConfig(await registerConfig(env)), env));
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
