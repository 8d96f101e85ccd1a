import type { SettingOrigin } from '../errors/config-error.js';
import { REMOTE_ENV } from '../remote/remote-definitions.js';
import { SETTING_NAMES, SETTINGS, type SettingName } from '../settings/definitions.js';
import { parseBooleanWord, type Overlay } from './overlay.js';

/** The prefix of the environment variables this cache reads, unless told otherwise. */
export const DEFAULT_ENV_PREFIX = 'WASM_CACHE_';

/**
 * The variables with the cache's prefix that are not `CacheConfig` settings
 * but that other parts of the cache read, so `CacheConfig.fromEnv` knows them
 * (and ignores them) rather than reporting them as typos: the configuration
 * file (`WASM_CACHE_CONFIG_FILE`), `@cache/engine`'s own
 * (`WASM_CACHE_PRELOAD`, `WASM_CACHE_PRODUCER`, `WASM_CACHE_ARTIFACT_TIER`)
 * and the remote tier's (`RemoteCacheConfig.fromEnv`: `WASM_CACHE_REMOTE_URL`,
 * `WASM_CACHE_SIGNING_KEY`, `WASM_CACHE_SIGNING_KEY_FILE`,
 * `WASM_CACHE_REMOTE_ALLOW_UNSIGNED`, `WASM_CACHE_REMOTE_TLS_CA_FILE`). The
 * one list of them.
 */
export const NON_SETTING_ENV_VARIABLES: readonly string[] = Object.freeze([
  `${DEFAULT_ENV_PREFIX}CONFIG_FILE`,
  `${DEFAULT_ENV_PREFIX}PRELOAD`,
  `${DEFAULT_ENV_PREFIX}PRODUCER`,
  `${DEFAULT_ENV_PREFIX}ARTIFACT_TIER`,
  ...Object.values(REMOTE_ENV),
]);

/** Options for reading settings from the environment. */
export interface EnvOverlayOptions {
  /**
   * Variable suffixes (after the prefix) that other parts of the application
   * read, so they are not reported as unknown. `CONFIG_FILE` is always
   * allowed, and with the default prefix every one of
   * {@link NON_SETTING_ENV_VARIABLES}.
   */
  allow?: readonly string[];
}

/**
 * Reads cache settings from environment variables named `<prefix><SETTING>`:
 * `WASM_CACHE_DIRECTORY`, `WASM_CACHE_FILES_TOTAL_SIZE_SOFT_LIMIT=1Gi`,
 * `WASM_CACHE_CAPACITY=1Gi` (the same setting), `WASM_CACHE_ENABLED=false`, ...
 * Values are written as in Wasmtime's file. Empty variables count as unset. A
 * variable with the prefix that names no setting is a problem (a typo would
 * otherwise be silently ignored).
 */
export function readEnvOverlay(
  env: Readonly<Record<string, string | undefined>>,
  prefix: string = DEFAULT_ENV_PREFIX,
  options: EnvOverlayOptions = {},
): Overlay {
  const overlay: Overlay = { settings: [], problems: [] };
  const bySuffix = new Map<string, SettingName>(SETTING_NAMES.map((name) => [SETTINGS[name].envSuffix, name]));
  // The variables other parts of the cache read (the engine's, the remote tier's) are not cache settings but are not unknown either.
  const others = NON_SETTING_ENV_VARIABLES.filter((variable) => variable.startsWith(prefix)).map((variable) => variable.slice(prefix.length));
  const allowed = new Set(['CONFIG_FILE', ...others, ...(options.allow ?? [])]);
  const seen = new Map<SettingName, string>();

  for (const variable of Object.keys(env).sort()) {
    if (!variable.startsWith(prefix)) continue;
    const value = env[variable];
    if (value === undefined || value === '') continue;
    const suffix = variable.slice(prefix.length);
    const origin: SettingOrigin = { kind: 'env', variable };
    if (suffix === 'ENABLED') {
      const enabled = parseBooleanWord(value);
      if (enabled === undefined) {
        overlay.problems.push({ setting: variable, value, rule: 'must be true or false (also 1/0, yes/no, on/off)', origin });
      } else {
        overlay.enabled = { value: enabled, origin };
      }
      continue;
    }
    const name = suffix === 'CAPACITY' ? 'filesTotalSizeSoftLimit' : bySuffix.get(suffix);
    if (name === undefined) {
      if (!allowed.has(suffix)) {
        const known = ['ENABLED', 'CAPACITY', ...bySuffix.keys()].map((s) => prefix + s).join(', ');
        // An unknown variable may be a misspelt secret: never echo its value.
        overlay.problems.push({ setting: variable, value: '<redacted>', rule: `unknown cache setting variable; known: ${known}`, origin });
      }
      continue;
    }
    const previous = seen.get(name);
    if (previous !== undefined) {
      overlay.problems.push({ setting: variable, value, rule: `sets the same setting as ${previous}; use only one`, origin });
      continue;
    }
    seen.set(name, variable);
    overlay.settings.push({ name, value, origin });
  }
  return overlay;
}
