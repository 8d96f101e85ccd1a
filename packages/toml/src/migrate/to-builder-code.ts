import { SETTING_NAMES, type SettingName } from '@cache/config';
import { parseCacheConfig, type ParseOptions } from '../read/parse-config.js';

/** Options for {@link tomlToBuilderCode}. */
export interface MigrationOptions extends Pick<ParseOptions, 'file' | 'onWarning'> {
  /** The package the generated code imports from. @default '@cache/config' */
  importFrom?: string;
  /** The name of the generated constant. @default 'cacheConfig' */
  variable?: string;
}

function setterFor(name: SettingName): string {
  if (name === 'filesTotalSizeSoftLimit') return 'withCapacity';
  return `with${name.charAt(0).toUpperCase()}${name.slice(1)}`;
}

/**
 * Turns a TOML cache file into the equivalent TypeScript builder code, as a
 * migration aid: the code a user pastes to configure the cache in code. The
 * file is validated first; values keep the units they were written with.
 *
 * @throws TomlSyntaxError or CacheConfigError, as {@link parseCacheConfig}.
 */
export function tomlToBuilderCode(text: string, options: MigrationOptions = {}): string {
  const config = parseCacheConfig(text, options);
  const explicit = config.explicitSettings();
  const calls: string[] = [];
  for (const name of SETTING_NAMES) {
    const value = explicit[name];
    if (value === undefined) continue;
    calls.push(`  .${setterFor(name)}(${typeof value === 'string' ? JSON.stringify(value.trim()) : String(value)})`);
  }
  const start = config.enabled ? 'CacheConfig.default()' : 'CacheConfig.disabled()';
  const variable = options.variable ?? 'cacheConfig';
  return [
    `import { CacheConfig } from '${options.importFrom ?? '@cache/config'}';`,
    '',
    `export const ${variable} = ${start}${calls.length > 0 ? `\n${calls.join('\n')}` : ''};`,
    '',
  ].join('\n');
}
