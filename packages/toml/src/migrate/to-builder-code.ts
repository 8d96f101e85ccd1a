import { CacheConfigError, REDACTED, REMOTE_ENV, REMOTE_SETTING_NAMES, REMOTE_SETTINGS, SETTING_NAMES, type ConfigProblem, type RemoteCacheConfig, type RemoteSettingName, type SettingName } from '@cache/config';
import { parseCacheFile, type ParseOptions } from '../read/parse-config.js';
import { parseTomlDocument } from '../read/parse-document.js';
import { OWN_TABLE, REMOTE_TABLE } from '../remote/remote-section.js';

/** Options for {@link tomlToBuilderCode}. */
export interface MigrationOptions extends Pick<ParseOptions, 'file' | 'onWarning' | 'env'> {
  /** The package the generated code imports from. @default '@cache/config' */
  importFrom?: string;
  /** The name of the generated constant. @default 'cacheConfig' */
  variable?: string;
  /** The name of the constant of the remote tier, when the file has a `[wasm-cache.remote]` table. @default 'remoteCacheConfig' */
  remoteVariable?: string;
  /**
   * Copy the secrets of `[wasm-cache.remote]` (the password, the signing key,
   * a URL's password) into the code. Without it, a file that holds one is a
   * `CacheConfigError` naming each, never code silently missing it.
   * @default false
   */
  writeSecrets?: boolean;
}

function setterFor(name: SettingName): string {
  if (name === 'filesTotalSizeSoftLimit') return 'withCapacity';
  return `with${name.charAt(0).toUpperCase()}${name.slice(1)}`;
}

/** The remote settings that have a setter of their own taking just that value. */
const REMOTE_SETTERS: Partial<Record<RemoteSettingName, string>> = {
  keyPrefix: 'withKeyPrefix',
  ttl: 'withTtl',
  maxEntrySize: 'withMaxEntrySize',
  chunkSize: 'withChunkSize',
  signingKey: 'withSigningKey',
  signingKeyFile: 'withSigningKeyFile',
  allowUnsigned: 'withAllowUnsigned',
  memoryTierSize: 'withMemoryTierSize',
};

function urlHasPassword(value: string): boolean {
  try {
    return new URL(value).password !== '';
  } catch {
    return false;
  }
}

function literal(value: string | number | boolean): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/**
 * The builder code of a `[wasm-cache.remote]` table: the values as the file
 * writes them, with the environment laid over them as the file's loader does
 * (`RemoteCacheConfig.fromEnv`).
 */
function remoteCode(table: Record<string, unknown>, remote: RemoteCacheConfig, variable: string, writeSecrets: boolean): { code: string[]; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  let start = 'RemoteCacheConfig.create()';
  const calls: string[] = [];
  for (const name of REMOTE_SETTING_NAMES) {
    const { fileKey, kind } = REMOTE_SETTINGS[name];
    const value = table[fileKey];
    if (typeof value !== 'string' && typeof value !== 'boolean') continue;
    if ((kind === 'secret' || (kind === 'url' && typeof value === 'string' && urlHasPassword(value))) && !writeSecrets) {
      problems.push({
        setting: fileKey,
        value: REDACTED,
        rule: 'holds a secret, which is copied into code only with { writeSecrets: true } (wasm-cache config migrate --write-secrets); or keep it out of code: WASM_CACHE_SIGNING_KEY, signing-key-file',
        origin: remote.origin(name),
      });
      continue;
    }
    if (name === 'url') start = `RemoteCacheConfig.create(${literal(value)})`;
    else calls.push(`  .${REMOTE_SETTERS[name] ?? 'withSetting'}(${REMOTE_SETTERS[name] ? '' : `'${name}', `}${literal(value)})`);
  }
  const variables = Object.values(REMOTE_ENV).join(', ');
  const code = [
    '',
    `// The shared remote tier, from [${OWN_TABLE}.${REMOTE_TABLE}] (Wasmtime never reads it). As the file's loader`,
    `// does, ${variables} are laid over it.`,
    `export const ${variable} = RemoteCacheConfig.fromEnv(process.env, ${start}${calls.length > 0 ? `\n${calls.join('\n')}` : ''});`,
  ];
  return { code, problems };
}

/**
 * Turns a TOML cache file into the equivalent TypeScript builder code, as a
 * migration aid: the code a user pastes to configure the cache in code. The
 * file is validated first (as `parseCacheFile` does); values are copied
 * exactly as written, units and white space included, so the code builds the
 * configuration the file describes. A `[wasm-cache.remote]` table becomes a
 * second constant, a `RemoteCacheConfig` (secrets only with `writeSecrets`).
 *
 * @throws TomlSyntaxError or CacheConfigError, as {@link parseCacheFile}; a
 * CacheConfigError too when the remote table holds a secret and
 * `writeSecrets` is not set.
 */
export function tomlToBuilderCode(text: string, options: MigrationOptions = {}): string {
  const { cache: config, remote } = parseCacheFile(text, options);
  const explicit = config.explicitSettings();
  const calls: string[] = [];
  for (const name of SETTING_NAMES) {
    const value = explicit[name];
    if (value === undefined) continue;
    calls.push(`  .${setterFor(name)}(${literal(value)})`);
  }
  const start = config.enabled ? 'CacheConfig.default()' : 'CacheConfig.disabled()';
  const variable = options.variable ?? 'cacheConfig';
  const document = remote ? parseTomlDocument(text, options.file ?? '<string>') : undefined;
  const own = document?.[OWN_TABLE] as Record<string, unknown> | undefined;
  const table = own?.[REMOTE_TABLE] as Record<string, unknown> | undefined;
  const remotePart = remote && table ? remoteCode(table, remote, options.remoteVariable ?? 'remoteCacheConfig', options.writeSecrets === true) : undefined;
  if (remotePart && remotePart.problems.length > 0) throw new CacheConfigError(remotePart.problems, 'Cannot write this configuration as code');
  return [
    `import { CacheConfig${remotePart ? ', RemoteCacheConfig' : ''} } from '${options.importFrom ?? '@cache/config'}';`,
    '',
    `export const ${variable} = ${start}${calls.length > 0 ? `\n${calls.join('\n')}` : ''};`,
    ...(remotePart?.code ?? []),
    '',
  ].join('\n');
}
