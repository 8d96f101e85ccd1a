/** How a remote-tier setting's value is written. */
export type RemoteSettingKind = 'url' | 'text' | 'secret' | 'size' | 'duration' | 'path' | 'boolean';

/** One remote-tier setting, declared once. */
export interface RemoteSettingDefinition {
  /** Kebab-case key in the `[wasm-cache.remote]` table. */
  readonly fileKey: string;
  /** How the value is written. */
  readonly kind: RemoteSettingKind;
  /** The default (bytes, milliseconds, text, boolean), when there is one. */
  readonly defaultValue: string | number | boolean | undefined;
  /** What the setting does. */
  readonly description: string;
}

/**
 * The settings of the shared remote tier (Redis), their file keys and
 * defaults. Not Wasmtime's: they live in a table of their own,
 * `[wasm-cache.remote]`, which Wasmtime never reads.
 */
export const REMOTE_SETTINGS = {
  url: { fileKey: 'url', kind: 'url', defaultValue: undefined, description: 'redis://[user:password@]host[:port][/db], or rediss:// for TLS; db is a database number (0 when absent). Required.' },
  username: { fileKey: 'username', kind: 'text', defaultValue: undefined, description: 'ACL user name (overrides one in the URL).' },
  password: { fileKey: 'password', kind: 'secret', defaultValue: undefined, description: 'Password (overrides one in the URL). Never printed.' },
  keyPrefix: { fileKey: 'key-prefix', kind: 'text', defaultValue: 'wasm-cache:', description: 'Prefix of every Redis key the cache uses.' },
  ttl: { fileKey: 'ttl', kind: 'duration', defaultValue: 7 * 24 * 3600 * 1000, description: 'Time to live of an entry, refreshed on each hit; "0s" keeps entries until Redis evicts them.' },
  maxEntrySize: { fileKey: 'max-entry-size', kind: 'size', defaultValue: 320 * 1024 * 1024, description: 'Largest artifact stored remotely.' },
  chunkSize: { fileKey: 'chunk-size', kind: 'size', defaultValue: 4 * 1024 * 1024, description: 'Bytes per Redis value (64Ki to 256Mi).' },
  connectTimeout: { fileKey: 'connect-timeout', kind: 'duration', defaultValue: 2000, description: 'How long connecting may take.' },
  commandTimeout: { fileKey: 'command-timeout', kind: 'duration', defaultValue: 5000, description: 'How long one command may take before it counts as a fault.' },
  tlsCaFile: { fileKey: 'tls-ca-file', kind: 'path', defaultValue: undefined, description: 'PEM file of certificate authorities to trust (rediss:// only).' },
  tlsRejectUnauthorized: { fileKey: 'tls-reject-unauthorized', kind: 'boolean', defaultValue: true, description: 'Refuse a server whose certificate does not verify (rediss:// only).' },
  signingKey: { fileKey: 'signing-key', kind: 'secret', defaultValue: undefined, description: 'Secret (at least 32 bytes) entries are signed with (HMAC-SHA256). Prefer WASM_CACHE_SIGNING_KEY or signing-key-file. Never printed.' },
  signingKeyFile: { fileKey: 'signing-key-file', kind: 'path', defaultValue: undefined, description: 'Absolute path of a file holding the signing key.' },
  allowUnsigned: { fileKey: 'allow-unsigned', kind: 'boolean', defaultValue: false, description: 'Use the shared tier without signatures. Anyone who can write to it can then run native code in every reader.' },
  memoryTierSize: { fileKey: 'memory-tier-size', kind: 'size', defaultValue: 256 * 1024 * 1024, description: 'Bytes held by the in-process tier in front of the disk.' },
} as const satisfies Record<string, RemoteSettingDefinition>;

/** The name of a remote-tier setting (camelCase). */
export type RemoteSettingName = keyof typeof REMOTE_SETTINGS;

/** Every remote-tier setting name, in display order. */
export const REMOTE_SETTING_NAMES = Object.keys(REMOTE_SETTINGS) as RemoteSettingName[];

/** The setting a `[wasm-cache.remote]` key names, if any. */
export function remoteSettingForFileKey(fileKey: string): RemoteSettingName | undefined {
  return REMOTE_SETTING_NAMES.find((name) => REMOTE_SETTINGS[name].fileKey === fileKey);
}

/** Environment variables `RemoteCacheConfig.fromEnv` reads (also accepted, not reported as unknown, by `CacheConfig.fromEnv`). */
export const REMOTE_ENV = {
  url: 'WASM_CACHE_REMOTE_URL',
  signingKey: 'WASM_CACHE_SIGNING_KEY',
  signingKeyFile: 'WASM_CACHE_SIGNING_KEY_FILE',
  allowUnsigned: 'WASM_CACHE_REMOTE_ALLOW_UNSIGNED',
  tlsCaFile: 'WASM_CACHE_REMOTE_TLS_CA_FILE',
} as const satisfies Partial<Record<RemoteSettingName, string>>;

/** What stands in for a secret in messages, `toJSON` and `config show`. */
export const REDACTED = '<redacted>';

/** A URL with its password replaced by `***` (or the whole value redacted when it does not parse). */
export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return REDACTED;
  }
}

/** A setting's value as it may be shown: secrets redacted, URLs without passwords. */
export function displayRemoteValue(name: RemoteSettingName, value: unknown): unknown {
  const kind = REMOTE_SETTINGS[name].kind;
  if (value === undefined) return undefined;
  if (kind === 'secret') return REDACTED;
  if (kind === 'url') return typeof value === 'string' ? redactUrl(value) : REDACTED;
  return value;
}
