export { CacheConfig, displayName } from './cache-config/cache-config.js';
export { ARTIFACT_TIERS, Config, type ArtifactTier } from './engine-config/config.js';
export {
  CacheConfigError,
  describeOrigin,
  formatProblem,
  type ConfigProblem,
  type SettingOrigin,
} from './errors/config-error.js';
export { UnitParseError, type UnitKind } from './errors/unit-error.js';
export { DEFAULT_ENV_PREFIX, NON_SETTING_ENV_VARIABLES, readEnvOverlay, type EnvOverlayOptions } from './overlays/env-overlay.js';
export { readObjectOverlay, type CacheSettingsObject } from './overlays/object-overlay.js';
export type { Overlay } from './overlays/overlay.js';
export { absoluteDefaultConfigFilePath, APP_FOLDER, defaultCacheDirectory, defaultConfigFilePath, type PlatformContext } from './paths/default-paths.js';
export {
  formatSettingValue,
  settingForFileKey,
  SETTING_NAMES,
  SETTINGS,
  type SettingDefinition,
  type SettingKind,
  type SettingName,
} from './settings/definitions.js';
export { cacheFileJsonSchema, cacheFileSchema, cacheFileSectionSchema } from './settings/file-schema.js';
export {
  cacheSettingsSchema,
  type CacheSettingsInput,
  type ResolvedCacheSettings,
  type SettingInput,
} from './settings/schema.js';
export * from './units/index.js';
export { RemoteCacheConfig, type RemoteSettingInput, type RemoteSettingsInput } from './remote/remote-config.js';
export {
  displayRemoteValue,
  REDACTED,
  redactUrl,
  REMOTE_ENV,
  REMOTE_SETTING_NAMES,
  REMOTE_SETTINGS,
  remoteSettingForFileKey,
  type RemoteSettingDefinition,
  type RemoteSettingKind,
  type RemoteSettingName,
} from './remote/remote-definitions.js';
export { MIN_SIGNING_KEY_LENGTH, redisDatabaseOf, remoteSettingsSchema, type ResolvedRemoteSettings } from './remote/remote-schema.js';
export type { LocalFileFault } from './remote/local-file.js';
export { readSigningKeyFile, signingKeyFileMessage, type SigningKeyFileRead } from './remote/signing-key-file.js';
export { readTlsCaFile, tlsCaFileMessage, type TlsCaFileRead } from './remote/tls-ca-file.js';
