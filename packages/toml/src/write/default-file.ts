import { defaultConfigFilePath, formatSettingValue, SETTING_NAMES, SETTINGS } from '@cache/config';
import { writeConfigFile } from './config-file.js';

/**
 * The text `wasm-cache config new` writes: a `[cache]` table with every
 * setting listed, commented out at its default, so a user uncomments what
 * they change. Loading it gives `CacheConfig.default()`.
 */
export function defaultConfigFileText(): string {
  const lines = [
    '# WebAssembly module cache configuration, in Wasmtime\'s cache file format.',
    '# Uncomment a setting to change it; settings left commented out take the default shown.',
    '# Sizes: K Ki M Mi G Gi T Ti P Pi. Counts: K M G T P. Durations: s m h d. Percents: %.',
    '',
    '[cache]',
  ];
  for (const name of SETTING_NAMES) {
    const { fileKey, description, defaultValue } = SETTINGS[name];
    lines.push(`# ${description}`);
    if (defaultValue === undefined) {
      lines.push(`# ${fileKey} = "/absolute/path"`);
    } else {
      const value = formatSettingValue(name, defaultValue);
      lines.push(`# ${fileKey} = ${typeof value === 'string' ? JSON.stringify(value) : value}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Writes a new configuration file with every setting at its default, the way
 * `wasmtime config new` does, and returns its path. Refuses to overwrite an
 * existing file.
 *
 * @param file where to write; the OS's default location when omitted.
 * @throws ConfigFileExistsError or ConfigFileAccessError.
 */
export async function createDefaultConfigFile(file: string = defaultConfigFilePath()): Promise<string> {
  await writeConfigFile(file, defaultConfigFileText());
  return file;
}
