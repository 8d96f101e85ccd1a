import type { SettingOrigin } from '../errors/config-error.js';
import { REMOTE_ENV } from '../remote/remote-definitions.js';
import { SETTING_NAMES, SETTINGS, type SettingName } from '../settings/definitions.js';
import { parseBooleanWord, type Overlay } from './overlay.js';

/** The prefix of the environment variables this cache reads, unless told otherwise. */
export const DEFAULT_ENV_PREFIX = 'WASM_CACHE_';

/** Options for reading settings from the environment. */
export interface EnvOverlayOptions {
  /**
   * Variable suffixes (after the prefix) that other parts of the application
   * read, so they are not reported as unknown. `CONFIG_FILE` is always allowed.
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
  // The remote tier's variables (read by RemoteCacheConfig.fromEnv) are not cache settings but are not unknown either.
  const remote = Object.values(REMOTE_ENV).filter((variable) => variable.startsWith(prefix)).map((variable) => variable.slice(prefix.length));
  const allowed = new Set(['CONFIG_FILE', ...remote, ...(options.allow ?? [])]);
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
