import { RemoteCacheConfig, remoteSettingForFileKey, REMOTE_SETTINGS, type ConfigProblem, type SettingOrigin } from '@cache/config';

/** The top-level table of our own settings; Wasmtime reads only `[cache]` and never sees it. */
export const OWN_TABLE = 'wasm-cache';
/** The sub-table of the shared remote tier: `[wasm-cache.remote]`. */
export const REMOTE_TABLE = 'remote';

function isTable(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date);
}

function redactedValue(fileKey: string, value: unknown): unknown {
  const name = remoteSettingForFileKey(fileKey);
  if (!name) return value;
  const kind = REMOTE_SETTINGS[name].kind;
  return kind === 'secret' || kind === 'url' ? '<redacted>' : value;
}

/**
 * Reads the `[wasm-cache]` table: only a `remote` sub-table is allowed, with
 * the kebab-case keys of `REMOTE_SETTINGS`. Unknown keys and values of the
 * wrong TOML type become problems at their line and column (secrets never
 * echoed); the rest become a {@link RemoteCacheConfig} with file origins.
 */
export function readRemoteSection(
  table: unknown,
  originOf: (path: readonly string[]) => SettingOrigin,
): { remote: RemoteCacheConfig | undefined; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  if (!isTable(table)) {
    problems.push({ setting: OWN_TABLE, value: table, rule: `must be a table ([${OWN_TABLE}.${REMOTE_TABLE}])`, origin: originOf([OWN_TABLE]) });
    return { remote: undefined, problems };
  }
  for (const key of Object.keys(table)) {
    if (key !== REMOTE_TABLE) {
      problems.push({ setting: `${OWN_TABLE}.${key}`, value: table[key], rule: `unknown key in [${OWN_TABLE}] (only the [${OWN_TABLE}.${REMOTE_TABLE}] table is allowed)`, origin: originOf([OWN_TABLE, key]) });
    }
  }
  const section = table[REMOTE_TABLE];
  if (section === undefined) return { remote: undefined, problems };
  if (!isTable(section)) {
    problems.push({ setting: `${OWN_TABLE}.${REMOTE_TABLE}`, value: section, rule: `must be a table ([${OWN_TABLE}.${REMOTE_TABLE}])`, origin: originOf([OWN_TABLE, REMOTE_TABLE]) });
    return { remote: undefined, problems };
  }
  let remote = RemoteCacheConfig.create();
  for (const [key, value] of Object.entries(section)) {
    const origin = originOf([OWN_TABLE, REMOTE_TABLE, key]);
    const name = remoteSettingForFileKey(key);
    if (!name) {
      problems.push({ setting: key, value: redactedValue(key, value), rule: `unknown key in [${OWN_TABLE}.${REMOTE_TABLE}]`, origin });
      continue;
    }
    const wantsBoolean = REMOTE_SETTINGS[name].kind === 'boolean';
    if (wantsBoolean ? typeof value !== 'boolean' : typeof value !== 'string') {
      const rule = wantsBoolean ? 'must be true or false' : REMOTE_SETTINGS[name].kind === 'size' || REMOTE_SETTINGS[name].kind === 'duration' ? 'must be a TOML string such as "4Mi" or "5s"' : 'must be a TOML string';
      problems.push({ setting: key, value: redactedValue(key, value), rule, origin });
      continue;
    }
    remote = remote.withSetting(name, value as string | boolean, origin);
  }
  return { remote, problems };
}
