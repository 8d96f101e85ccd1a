import {
  absoluteDefaultConfigFilePath,
  CacheConfigError,
  defaultConfigFilePath,
  describeOrigin,
  formatSettingValue,
  REMOTE_SETTING_NAMES,
  REMOTE_SETTINGS,
  type RemoteCacheConfig,
  SETTING_NAMES,
  SETTINGS,
} from '@cache/config';
import { ARTIFACT_TIER_ENV, Config, withArtifactTierFromEnv } from '@cache/engine';
import { createDefaultConfigFile, loadCacheConfig, readConfigText, tomlToBuilderCode } from '@cache/toml';
import { originsOf, resolveCliConfig, type GlobalOptions } from '../../context/cli-config.js';
import { out, table } from '../../output/style.js';

/** `config new [path]`: writes a default file; never overwrites. */
export async function configNew(path: string | undefined): Promise<void> {
  const file = await createDefaultConfigFile(path ?? defaultFileToCreate());
  console.log(`Created ${file}`);
}

/**
 * The per-user file `config new` writes when given no path. Refused when it is
 * not absolute (a relative HOME), as the other commands then read no default
 * file: one written below the current folder would never be read.
 *
 * @throws CacheConfigError naming the path.
 */
function defaultFileToCreate(): string {
  const file = absoluteDefaultConfigFilePath();
  if (file !== undefined) return file;
  throw new CacheConfigError([
    {
      setting: 'configuration file',
      value: defaultConfigFilePath(),
      rule: `the default configuration file is not an absolute path: the home folder it is built from is relative (${process.platform === 'win32' ? 'USERPROFILE' : 'HOME'}); set that to an absolute path, or name the file: config new <path>`,
      origin: { kind: 'default' },
    },
  ]);
}

/** `config show`: the effective settings and where each came from. */
export function configShow(options: GlobalOptions & { json?: boolean }): void {
  const { config, file, remote } = resolveCliConfig(options);
  // The engine's own setting from the environment, checked as `run` and the hook check it (an invalid one is exit 3 here too).
  const artifactTier = {
    value: withArtifactTierFromEnv(Config.default(), process.env).artifactTier,
    origin: process.env[ARTIFACT_TIER_ENV] ? `environment variable ${ARTIFACT_TIER_ENV}` : 'default',
  };
  const origins = originsOf(config);
  const settings = config.settings();
  if (options.json) {
    const entries = SETTING_NAMES.map((name) => [name, { value: settings[name], origin: origins[name] }]);
    console.log(JSON.stringify({ enabled: config.enabled, file: file ?? null, artifactTier, settings: Object.fromEntries(entries), remote: remote ? remoteRows(remote) : null }, null, 2));
    return;
  }
  console.log(`${out.bold('enabled')}: ${config.enabled}    ${out.bold('file')}: ${file ?? out.dim('(none)')}`);
  console.log(`${out.bold('artifact tier')}: ${artifactTier.value} ${artifactTier.origin === 'default' ? out.dim('(default)') : `(${artifactTier.origin})`}`);
  const rows = [['setting', 'value', 'from'].map((h) => out.bold(h))];
  for (const name of SETTING_NAMES) {
    const value = formatSettingValue(name, settings[name]);
    const from = origins[name];
    rows.push([SETTINGS[name].fileKey, String(value), from === 'default' ? out.dim(from) : from]);
  }
  console.log(table(rows));
  if (!remote) return;
  console.log(`\n${out.bold('[wasm-cache.remote]')} (shared tier; secrets are never shown)`);
  const remoteTable = [['setting', 'value', 'from'].map((h) => out.bold(h))];
  for (const [name, row] of Object.entries(remoteRows(remote))) {
    remoteTable.push([REMOTE_SETTINGS[name as keyof typeof REMOTE_SETTINGS].fileKey, String(row.value), row.origin === 'default' ? out.dim(row.origin) : row.origin]);
  }
  console.log(table(remoteTable));
}

/** The remote tier's effective settings, redacted (`toJSON`), with where each came from. */
function remoteRows(remote: RemoteCacheConfig): Record<string, { value: unknown; origin: string }> {
  const shown = remote.toJSON();
  const rows: Record<string, { value: unknown; origin: string }> = {};
  for (const name of REMOTE_SETTING_NAMES) {
    if (shown[name] === undefined) continue;
    rows[name] = { value: shown[name], origin: describeOrigin(remote.origin(name)) };
  }
  return rows;
}

/** `config validate <file>`: loads and validates a file; errors name key, line and column. */
export async function configValidate(file: string): Promise<void> {
  await loadCacheConfig(file);
  console.log(`${file}: ${out.green('valid')}`);
}

/**
 * `config migrate <file>`: prints the builder code equivalent to a TOML file. The file is read as
 * `config validate` reads it: a missing or unreadable file is a ConfigFileAccessError (exit 4), one
 * that is not UTF-8 a TomlSyntaxError (exit 3).
 */
export async function configMigrate(file: string, options: { importFrom?: string; writeSecrets?: boolean }): Promise<void> {
  const text = await readConfigText(file);
  process.stdout.write(tomlToBuilderCode(text, { file, ...(options.importFrom ? { importFrom: options.importFrom } : {}), ...(options.writeSecrets ? { writeSecrets: true } : {}) }));
}
