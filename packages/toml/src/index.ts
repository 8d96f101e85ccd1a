export { CacheConfig } from './cache-config.js';
export { ConfigFileAccessError, ConfigFileExistsError, TomlSyntaxError } from './errors/toml-errors.js';
export { locateKeys, type KeyPositions, type TextPosition } from './locate/key-locator.js';
export { tomlToBuilderCode, type MigrationOptions } from './migrate/to-builder-code.js';
export { decodeConfigText, MAX_CONFIG_FILE_BYTES, readConfigText, readConfigTextSync } from './read/config-text.js';
export { loadDefaultCacheConfig } from './read/default-config.js';
export {
  loadCacheConfig,
  loadCacheConfigSync,
  loadCacheFile,
  loadCacheFileSync,
  parseCacheConfig,
  parseCacheFile,
  type CacheFile,
  type ConfigFileWarning,
  type ParseOptions,
} from './read/parse-config.js';
export { OWN_TABLE, readRemoteSection, REMOTE_TABLE } from './remote/remote-section.js';
export { createDefaultConfigFile, defaultConfigFileText } from './write/default-file.js';
export { remoteTable, type RemoteTableOptions } from './write/remote-table.js';
export { writeConfigFile, type SaveOptions, type WriteConfigFileOptions } from './write/config-file.js';
export { saveCacheConfig, stringifyCacheConfig, type SaveConfigOptions, type StringifyOptions } from './write/stringify-config.js';
export { defaultConfigFilePath } from '@cache/config';
