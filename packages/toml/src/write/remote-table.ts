import { formatDuration, formatSize, isWholeSeconds, REDACTED, remoteSettingForFileKey, REMOTE_SETTING_NAMES, REMOTE_SETTINGS, type ConfigProblem, type RemoteCacheConfig } from '@cache/config';

/** Options of writing a `[wasm-cache.remote]` table. */
export interface RemoteTableOptions {
  /**
   * Write the password, the signing key and a URL's password into the file.
   * Without it, a configuration that holds one cannot be written (an error
   * names each), rather than being written without it.
   * @default false
   */
  writeSecrets?: boolean;
}

function urlHasPassword(value: string): boolean {
  try {
    return new URL(value).password !== '';
  } catch {
    return false;
  }
}

/**
 * Whether a `[wasm-cache.remote]` table (as written, or as read from a file)
 * holds a secret: a password, a signing key, a URL with a password. A file
 * that has one is written readable by its owner only.
 */
export function holdsSecret(table: unknown): boolean {
  if (table === null || typeof table !== 'object' || Array.isArray(table)) return false;
  return Object.entries(table).some(([fileKey, value]) => {
    const name = remoteSettingForFileKey(fileKey);
    if (name === undefined) return false;
    const kind = REMOTE_SETTINGS[name].kind;
    return kind === 'secret' || (kind === 'url' && typeof value === 'string' && urlHasPassword(value));
  });
}

/**
 * The `[wasm-cache.remote]` table of a remote-tier configuration: every
 * setting that is not at its default, whatever it came from (code, a file, the
 * environment), in the file's units, plus the problems that stop it being
 * written (a secret without `writeSecrets`, a duration that is not whole
 * seconds). Secrets never appear in a problem.
 *
 * @throws CacheConfigError when the configuration itself is invalid.
 */
export function remoteTable(remote: RemoteCacheConfig, options: RemoteTableOptions = {}): { table: Record<string, string | boolean>; problems: ConfigProblem[] } {
  const settings = remote.settings();
  const table: Record<string, string | boolean> = {};
  const problems: ConfigProblem[] = [];
  for (const name of REMOTE_SETTING_NAMES) {
    const { fileKey, kind, defaultValue } = REMOTE_SETTINGS[name];
    const value: unknown = settings[name];
    if (value === undefined || value === defaultValue) continue;
    const origin = remote.origin(name);
    const secret = kind === 'secret' || (kind === 'url' && typeof value === 'string' && urlHasPassword(value));
    if (secret && options.writeSecrets !== true) {
      problems.push({
        setting: fileKey,
        value: REDACTED,
        rule: 'holds a secret, which is written to a file only with { writeSecrets: true } (or keep it out of the file: WASM_CACHE_SIGNING_KEY, signing-key-file)',
        origin,
      });
      continue;
    }
    if (kind === 'duration' && typeof value === 'number' && !isWholeSeconds(value)) {
      problems.push({ setting: fileKey, value, rule: 'cannot be written to the file: durations there are whole seconds', origin });
      continue;
    }
    if (kind === 'size' && typeof value === 'number') table[fileKey] = formatSize(value);
    else if (kind === 'duration' && typeof value === 'number') table[fileKey] = formatDuration(value);
    else if (typeof value === 'string' || typeof value === 'boolean') table[fileKey] = value;
  }
  return { table, problems };
}
