import { formatCount, formatDuration, formatPercent, formatSize } from '../units/index.js';

/** How a setting's value is written. */
export type SettingKind = 'path' | 'count' | 'size' | 'duration' | 'percent' | 'level';

/** One of Wasmtime's twelve cache settings, declared once. */
export interface SettingDefinition {
  /** Kebab-case key in Wasmtime's TOML file. */
  readonly fileKey: string;
  /** Suffix of the environment variable (after the prefix). */
  readonly envSuffix: string;
  /** How the value is written. */
  readonly kind: SettingKind;
  /** Wasmtime's default, in this project's units (bytes, milliseconds, percent); absent for the directory. */
  readonly defaultValue: number | undefined;
  /** The smallest value allowed. */
  readonly min: number;
  /** What the setting does. */
  readonly description: string;
}

/**
 * Wasmtime's twelve cache settings, their file keys, defaults and limits.
 * Numbers are bytes (sizes), milliseconds (durations) or percent.
 */
export const SETTINGS = {
  directory: {
    fileKey: 'directory',
    envSuffix: 'DIRECTORY',
    kind: 'path',
    defaultValue: undefined,
    min: 0,
    description: 'Absolute path of the cache directory. Defaults to the per-user cache folder of the OS.',
  },
  workerEventQueueSize: {
    fileKey: 'worker-event-queue-size',
    envSuffix: 'WORKER_EVENT_QUEUE_SIZE',
    kind: 'count',
    defaultValue: 16,
    min: 1,
    description: 'How many events (uses, writes) may wait for the background worker. This cache never drops events when it is full; it coalesces them.',
  },
  baselineCompressionLevel: {
    fileKey: 'baseline-compression-level',
    envSuffix: 'BASELINE_COMPRESSION_LEVEL',
    kind: 'level',
    defaultValue: 3,
    min: 0,
    description: 'zstd level used when an entry is first written (0 to 21).',
  },
  optimizedCompressionLevel: {
    fileKey: 'optimized-compression-level',
    envSuffix: 'OPTIMIZED_COMPRESSION_LEVEL',
    kind: 'level',
    defaultValue: 20,
    min: 0,
    description: 'zstd level used to recompress entries that are used often (0 to 21, at least the baseline level).',
  },
  optimizedCompressionUsageCounterThreshold: {
    fileKey: 'optimized-compression-usage-counter-threshold',
    envSuffix: 'OPTIMIZED_COMPRESSION_USAGE_COUNTER_THRESHOLD',
    kind: 'count',
    defaultValue: 256,
    min: 0,
    description: 'After how many uses an entry is recompressed at the optimized level.',
  },
  cleanupInterval: {
    fileKey: 'cleanup-interval',
    envSuffix: 'CLEANUP_INTERVAL',
    kind: 'duration',
    defaultValue: 60 * 60 * 1000,
    min: 0,
    description: 'Cleanup (eviction) runs at most once per this interval, across every process sharing the directory.',
  },
  optimizingCompressionTaskTimeout: {
    fileKey: 'optimizing-compression-task-timeout',
    envSuffix: 'OPTIMIZING_COMPRESSION_TASK_TIMEOUT',
    kind: 'duration',
    defaultValue: 30 * 60 * 1000,
    min: 1,
    description: 'How long a recompression task may hold its lock before another process may take it over.',
  },
  allowedClockDriftForFilesFromFuture: {
    fileKey: 'allowed-clock-drift-for-files-from-future',
    envSuffix: 'ALLOWED_CLOCK_DRIFT_FOR_FILES_FROM_FUTURE',
    kind: 'duration',
    defaultValue: 24 * 60 * 60 * 1000,
    min: 0,
    description: 'Files dated this far in the future are still trusted as recent (clocks of machines sharing a network drive).',
  },
  fileCountSoftLimit: {
    fileKey: 'file-count-soft-limit',
    envSuffix: 'FILE_COUNT_SOFT_LIMIT',
    kind: 'count',
    defaultValue: 65536,
    min: 1,
    description: 'Cleanup starts when the cache holds more entries than this.',
  },
  filesTotalSizeSoftLimit: {
    fileKey: 'files-total-size-soft-limit',
    envSuffix: 'FILES_TOTAL_SIZE_SOFT_LIMIT',
    kind: 'size',
    defaultValue: 512 * 1024 * 1024,
    min: 1,
    description: 'The capacity: cleanup starts when entries take more bytes than this, and writes keep the cache near it between cleanups.',
  },
  fileCountLimitPercentIfDeleting: {
    fileKey: 'file-count-limit-percent-if-deleting',
    envSuffix: 'FILE_COUNT_LIMIT_PERCENT_IF_DELETING',
    kind: 'percent',
    defaultValue: 70,
    min: 0,
    description: 'When cleanup runs for the count limit, it deletes down to this percent of it.',
  },
  filesTotalSizeLimitPercentIfDeleting: {
    fileKey: 'files-total-size-limit-percent-if-deleting',
    envSuffix: 'FILES_TOTAL_SIZE_LIMIT_PERCENT_IF_DELETING',
    kind: 'percent',
    defaultValue: 70,
    min: 0,
    description: 'When cleanup runs for the size limit, it deletes down to this percent of it.',
  },
} as const satisfies Record<string, SettingDefinition>;

/** The name of a cache setting, in code. */
export type SettingName = keyof typeof SETTINGS;

/** Every setting name, in Wasmtime's order. */
export const SETTING_NAMES = Object.keys(SETTINGS) as SettingName[];

/** Finds the setting for a kebab-case file key. */
export function settingForFileKey(fileKey: string): SettingName | undefined {
  return SETTING_NAMES.find((name) => SETTINGS[name].fileKey === fileKey);
}

/** Writes a resolved value in the file's form: "512Mi", "1h", "70%", 3, "/path". */
export function formatSettingValue(name: SettingName, value: number | string): string | number {
  const kind: SettingKind = SETTINGS[name].kind;
  if (typeof value === 'string') return value;
  switch (kind) {
    case 'size':
      return formatSize(value);
    case 'count':
      return formatCount(value);
    case 'duration':
      return formatDuration(value);
    case 'percent':
      return formatPercent(value);
    case 'level':
    case 'path':
      return value;
  }
}
