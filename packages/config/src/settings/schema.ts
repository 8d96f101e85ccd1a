import { statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { UnitParseError } from '../errors/unit-error.js';
import { parseCount, parseDuration, parsePercent, parseSize } from '../units/index.js';
import { SETTINGS, type SettingName } from './definitions.js';

/** A value as a user may give it in code: a number in base units, or a string with a unit. */
export type SettingInput = number | string;

const UNIT_PARSERS = {
  size: parseSize,
  count: parseCount,
  duration: parseDuration,
  percent: parsePercent,
} as const;

const EXAMPLES = {
  size: '"512Mi", "1G", 1048576',
  count: '"64K", "100", 65536',
  duration: '"1h", "30m", "90s", 3600000 (milliseconds)',
  percent: '"70%", 70',
} as const;

function unitSetting(name: SettingName, kind: keyof typeof UNIT_PARSERS) {
  const { min } = SETTINGS[name];
  const max = kind === 'percent' ? 100 : Number.MAX_SAFE_INTEGER;
  const parse = UNIT_PARSERS[kind];
  const unitName = kind === 'duration' ? 'milliseconds' : kind === 'size' ? 'bytes' : kind === 'percent' ? 'percent' : 'a count';
  return z
    .union([z.number(), z.string()], { error: `must be a number or a ${kind} string such as ${EXAMPLES[kind]}` })
    .transform((value, ctx) => {
      if (typeof value === 'number') return value;
      try {
        return parse(value);
      } catch (error) {
        if (!(error instanceof UnitParseError)) throw error;
        ctx.addIssue({ code: 'custom', message: `${error.reason} (examples: ${EXAMPLES[kind]})`, input: value });
        return z.NEVER;
      }
    })
    .pipe(
      z
        .number()
        .refine(Number.isSafeInteger, { error: `must be a whole number of ${unitName}` })
        .refine((n) => n >= min, { error: min === 0 ? 'must not be negative' : `must be at least ${min}${min === 1 ? ' (zero would disable the limit)' : ''}` })
        .refine((n) => n <= max, { error: kind === 'percent' ? 'must be at most 100%' : `must be at most ${max}` }),
    );
}

function levelSetting() {
  return z
    .union([z.number(), z.string()], { error: 'must be a whole number from 0 to 21' })
    .transform((value, ctx) => {
      if (typeof value === 'number') return value;
      const text = value.trim();
      if (!/^[0-9]+$/.test(text)) {
        ctx.addIssue({ code: 'custom', message: 'must be a whole number from 0 to 21', input: value });
        return z.NEVER;
      }
      return Number(text);
    })
    .pipe(z.number().refine((n) => Number.isInteger(n) && n >= 0 && n <= 21, { error: 'must be a whole number from 0 to 21 (zstd levels)' }));
}

function directorySetting() {
  return z
    .string({ error: 'must be a path (a string)' })
    .refine((p) => p.length > 0, { error: 'must not be empty' })
    .refine((p) => !p.includes('\0'), { error: 'must not contain a NUL character' })
    .refine((p) => isAbsolute(p), { error: 'must be an absolute path' })
    .refine(
      (p) => {
        try {
          return statSync(p).isDirectory();
        } catch {
          return true; // absent: the store creates it
        }
      },
      { error: 'exists but is not a directory' },
    );
}

/**
 * The zod schema of every cache setting, the single source of truth for their
 * shape and rules: Wasmtime's (absolute directory, levels 0..21, optimized
 * level at least the baseline, percents at most 100) and the ones it misses
 * (zero limits, a directory path that is a file, unsafe integers).
 *
 * Input values are numbers in base units or strings with units; output values
 * are numbers in bytes, milliseconds, percent, or the directory path.
 */
export const cacheSettingsSchema = z
  .object({
    directory: directorySetting().optional(),
    workerEventQueueSize: unitSetting('workerEventQueueSize', 'count'),
    baselineCompressionLevel: levelSetting(),
    optimizedCompressionLevel: levelSetting(),
    optimizedCompressionUsageCounterThreshold: unitSetting('optimizedCompressionUsageCounterThreshold', 'count'),
    cleanupInterval: unitSetting('cleanupInterval', 'duration'),
    optimizingCompressionTaskTimeout: unitSetting('optimizingCompressionTaskTimeout', 'duration'),
    allowedClockDriftForFilesFromFuture: unitSetting('allowedClockDriftForFilesFromFuture', 'duration'),
    fileCountSoftLimit: unitSetting('fileCountSoftLimit', 'count'),
    filesTotalSizeSoftLimit: unitSetting('filesTotalSizeSoftLimit', 'size'),
    fileCountLimitPercentIfDeleting: unitSetting('fileCountLimitPercentIfDeleting', 'percent'),
    filesTotalSizeLimitPercentIfDeleting: unitSetting('filesTotalSizeLimitPercentIfDeleting', 'percent'),
  })
  .strict()
  .refine((settings) => settings.optimizedCompressionLevel >= settings.baselineCompressionLevel, {
    path: ['optimizedCompressionLevel'],
    error: (issue) => {
      const input = issue.input as { baselineCompressionLevel?: unknown } | undefined;
      return `must be at least the baseline compression level (${String(input?.baselineCompressionLevel)})`;
    },
    // Check the pair whenever both levels themselves are valid, even if other settings are not,
    // so one error lists every problem.
    when: (payload) =>
      !payload.issues.some((issue) => issue.path?.[0] === 'baselineCompressionLevel' || issue.path?.[0] === 'optimizedCompressionLevel'),
  });

/** Settings as given, before validation: every key optional. */
export type CacheSettingsInput = Partial<Record<SettingName, SettingInput>>;

/** Settings after validation, in base units. */
export type ResolvedCacheSettings = Omit<z.output<typeof cacheSettingsSchema>, 'directory'> & { directory: string };
