import { Config } from '@cache/config';
import { warnOnce } from '../diagnostics/warn-once.js';
import { Engine } from '../engine/engine.js';
import { PRODUCER_ENV } from '../producer/producer-protocol.js';
import { patchWebAssembly } from './patch-webassembly.js';
import { registerSettings, withArtifactTierFromEnv } from './register-config.js';
import { registerRemoteTier, type ModuleImporter } from '../remote/register-remote-tier.js';

/** How {@link createRegisterEngine} builds the hook's engine. */
export interface RegisterEngineOptions {
  /** Loads `@cache/store-redis` for the remote tier (default: `import()`). */
  importModule?: ModuleImporter;
}

/**
 * The engine `@cache/engine/register` routes through: built from the
 * environment (see `registerSettings` and `withArtifactTierFromEnv`), over the
 * shared remote tier when one is configured and `@cache/store-redis` is installed. Resolves
 * undefined in a producer process or when the configuration is invalid
 * (reported once, and the cache is then off); never rejects.
 */
export async function createRegisterEngine(env: Readonly<Record<string, string | undefined>> = process.env, options: RegisterEngineOptions = {}): Promise<Engine | undefined> {
  if (env[PRODUCER_ENV] === '1') return undefined;
  try {
    const settings = registerSettings(env);
    const config = withArtifactTierFromEnv(Config.default().cacheConfig(settings.cache), env);
    return new Engine(config, settings.remote && settings.cache.enabled ? registerRemoteTier(settings.remote, options.importModule, settings.cache.directory) : {});
  } catch (error) {
    warnOnce(
      'CACHE_ENGINE_CONFIG_INVALID',
      `@cache/engine/register: the WebAssembly cache is off because its configuration is invalid: ${error instanceof Error ? error.message : String(error)}`,
    );
    return undefined;
  }
}

/**
 * Builds the register engine now (see {@link createRegisterEngine}) and routes
 * the WebAssembly globals through it. Resolves undefined, leaving WebAssembly
 * untouched, in a producer process or when the configuration is invalid;
 * never rejects. (`@cache/engine/register` itself builds its engine lazily, at
 * the first WebAssembly call.)
 */
export async function installRegisterHook(env: Readonly<Record<string, string | undefined>> = process.env): Promise<Engine | undefined> {
  const engine = await createRegisterEngine(env);
  if (engine) patchWebAssembly(engine);
  return engine;
}
