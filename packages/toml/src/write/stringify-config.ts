import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CacheConfig, CacheConfigError, formatSettingValue, isWholeSeconds, SETTING_NAMES, SETTINGS, type ConfigProblem } from '@cache/config';
import { stringify } from 'smol-toml';
import { ConfigFileAccessError, ConfigFileExistsError, systemCodeOf } from '../errors/toml-errors.js';

const HEADER = `# WebAssembly module cache configuration, in Wasmtime's cache file format.
# Settings left out take their defaults.
`;

/**
 * Writes a configuration as the text of Wasmtime's cache file. Only settings
 * that differ from the defaults (and the directory, when it was set) are
 * written, in canonical units, so that `parseCacheConfig(stringifyCacheConfig(c))`
 * equals `c`. A disabled configuration is written with the deprecated
 * `enabled = false` key, which this loader accepts but Wasmtime 33+ rejects.
 *
 * @throws CacheConfigError when the configuration is invalid or holds a value the
 * file format cannot express (a duration that is not whole seconds).
 */
export function stringifyCacheConfig(config: CacheConfig): string {
  const settings = config.settings();
  const explicit = config.explicitSettings();
  const defaults = CacheConfig.default();
  const section: Record<string, string | number | boolean> = {};
  const problems: ConfigProblem[] = [];
  if (!config.enabled) section['enabled'] = false;
  for (const name of SETTING_NAMES) {
    const value = settings[name];
    if (name === 'directory') {
      if (explicit.directory !== undefined) section[SETTINGS.directory.fileKey] = value;
      continue;
    }
    if (value === defaults.settings()[name]) continue;
    if (SETTINGS[name].kind === 'duration' && typeof value === 'number' && !isWholeSeconds(value)) {
      problems.push({ setting: name, value, rule: 'cannot be written to the file: durations there are whole seconds', origin: config.origin(name) });
      continue;
    }
    section[SETTINGS[name].fileKey] = formatSettingValue(name, value);
  }
  if (problems.length > 0) throw new CacheConfigError(problems, 'Cannot write this cache configuration as TOML');
  const disabledNote = config.enabled ? '' : '# "enabled" is deprecated (Wasmtime 33+ rejects it); this cache reads it with a warning.\n';
  return `${HEADER}${disabledNote}\n${stringify({ cache: section })}\n`;
}

/** Options for writing a configuration file. */
export interface SaveOptions {
  /** Replace an existing file. @default false */
  overwrite?: boolean;
}

/**
 * Writes text to a configuration file, creating its folder. Without
 * `overwrite`, an existing file is never touched (the check and the create are
 * one atomic exclusive open).
 *
 * @throws ConfigFileExistsError or ConfigFileAccessError.
 */
export async function writeConfigFile(file: string, text: string, options: SaveOptions = {}): Promise<void> {
  try {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, text, { flag: options.overwrite ? 'w' : 'wx', mode: 0o644 });
  } catch (error) {
    if (systemCodeOf(error) === 'EEXIST') throw new ConfigFileExistsError(file);
    throw new ConfigFileAccessError(file, 'write', systemCodeOf(error), { cause: error });
  }
}

/**
 * Saves a configuration as a TOML file (see {@link stringifyCacheConfig}).
 *
 * @throws CacheConfigError, ConfigFileExistsError or ConfigFileAccessError.
 */
export async function saveCacheConfig(config: CacheConfig, file: string, options: SaveOptions = {}): Promise<void> {
  await writeConfigFile(file, stringifyCacheConfig(config), options);
}
