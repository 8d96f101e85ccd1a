import { CacheConfigError, formatSettingValue, isWholeSeconds, SETTING_NAMES, SETTINGS, type CacheConfig, type ConfigProblem, type RemoteCacheConfig } from '@cache/config';
import { stringify } from 'smol-toml';
import { ConfigFileAccessError } from '../errors/toml-errors.js';
import { readConfigText } from '../read/config-text.js';
import { parseTomlDocument } from '../read/parse-document.js';
import { OWN_TABLE, REMOTE_TABLE } from '../remote/remote-section.js';
import { writeConfigFile, type SaveOptions } from './config-file.js';
import { holdsSecret, remoteTable, type RemoteTableOptions } from './remote-table.js';

const HEADER = `# WebAssembly module cache configuration, in Wasmtime's cache file format.
# Settings left out take their defaults.
`;

/** Options of {@link stringifyCacheConfig}. */
export interface StringifyOptions extends RemoteTableOptions {
  /**
   * The shared remote tier to write as `[wasm-cache.remote]` (as
   * `loadCacheFile` returns it): every setting not at its default, in the
   * file's units. Secrets need `writeSecrets`.
   */
  remote?: RemoteCacheConfig;
}

/**
 * Writes a configuration as the text of Wasmtime's cache file. Only settings
 * that differ from the defaults (and the directory, when it was set) are
 * written, in canonical units, so that `parseCacheConfig(stringifyCacheConfig(c))`
 * equals `c`. A disabled configuration is written with the deprecated
 * `enabled = false` key, which this loader accepts but Wasmtime 33+ rejects.
 * With `options.remote`, the shared tier's `[wasm-cache.remote]` table
 * follows (Wasmtime never reads it).
 *
 * @throws CacheConfigError when the configuration is invalid or holds a value the
 * file format cannot express (a duration that is not whole seconds; a secret
 * without `writeSecrets`), naming each.
 */
export function stringifyCacheConfig(config: CacheConfig, options: StringifyOptions = {}): string {
  const settings = config.settings();
  const explicit = config.explicitSettings();
  const section: Record<string, string | number | boolean> = {};
  const problems: ConfigProblem[] = [];
  if (!config.enabled) section['enabled'] = false;
  for (const name of SETTING_NAMES) {
    const value = settings[name];
    if (name === 'directory') {
      if (explicit.directory !== undefined) section[SETTINGS.directory.fileKey] = value;
      continue;
    }
    // The declared default, not CacheConfig.default()'s settings: those validate the default directory, which a
    // relative HOME makes invalid, and this configuration may not use it (its own directory, or disabled).
    if (value === SETTINGS[name].defaultValue) continue;
    if (SETTINGS[name].kind === 'duration' && typeof value === 'number' && !isWholeSeconds(value)) {
      problems.push({ setting: name, value, rule: 'cannot be written to the file: durations there are whole seconds', origin: config.origin(name) });
      continue;
    }
    section[SETTINGS[name].fileKey] = formatSettingValue(name, value);
  }
  const remote = options.remote ? remoteTable(options.remote, options) : undefined;
  problems.push(...(remote?.problems ?? []));
  if (problems.length > 0) throw new CacheConfigError(problems, 'Cannot write this cache configuration as TOML');
  const disabledNote = config.enabled ? '' : '# "enabled" is deprecated (Wasmtime 33+ rejects it); this cache reads it with a warning.\n';
  const document = remote ? { cache: section, [OWN_TABLE]: { [REMOTE_TABLE]: remote.table } } : { cache: section };
  return `${HEADER}${disabledNote}\n${stringify(document)}\n`;
}

/** Options of {@link saveCacheConfig}. */
export interface SaveConfigOptions extends SaveOptions, StringifyOptions {}

/**
 * Saves a configuration as a TOML file (see {@link stringifyCacheConfig}).
 * Replacing a file (`overwrite`) keeps its `[wasm-cache]` table (the shared
 * remote tier) unless `options.remote` gives a new one: saving the `[cache]`
 * settings never drops the remote tier's. Replacing is atomic and keeps the
 * file's permissions (see {@link SaveOptions.overwrite}); a file that holds a
 * secret (written with `writeSecrets`, or in the `[wasm-cache.remote]` table
 * kept) is made readable by its owner only (0600).
 *
 * @throws CacheConfigError, ConfigFileExistsError, ConfigFileAccessError, or
 * TomlSyntaxError when the file to replace is not TOML (it is left as it is).
 */
export async function saveCacheConfig(config: CacheConfig, file: string, options: SaveConfigOptions = {}): Promise<void> {
  let text = stringifyCacheConfig(config, options);
  let secret = options.remote !== undefined && options.writeSecrets === true && holdsSecret(remoteTable(options.remote, options).table);
  if (options.overwrite && options.remote === undefined) {
    const kept = await existingOwnTable(file);
    if (kept !== undefined) {
      text = `${text}\n${stringify({ [OWN_TABLE]: kept })}\n`;
      secret = holdsSecret(kept[REMOTE_TABLE]);
    }
  }
  await writeConfigFile(file, text, { overwrite: options.overwrite === true, secret });
}

/** The `[wasm-cache]` table of the file about to be replaced, if it exists and has one. */
async function existingOwnTable(file: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readConfigText(file);
  } catch (error) {
    // No file to replace (ENOTDIR: a file where a folder on its path should be): the write says why it cannot be made.
    if (error instanceof ConfigFileAccessError && (error.systemCode === 'ENOENT' || error.systemCode === 'ENOTDIR')) return undefined;
    throw error;
  }
  const document = parseTomlDocument(text, file);
  const table = document[OWN_TABLE];
  return table !== null && typeof table === 'object' && !Array.isArray(table) ? (table as Record<string, unknown>) : undefined;
}
