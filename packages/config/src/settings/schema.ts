import { isAbsolute } from 'node:path';
import * as z from 'zod/mini';
import { UnitParseError } from '../errors/unit-error.js';
import { parseCount, parseDuration, parsePercent, parseSize } from '../units/index.js';
import { lazy, lazyObject } from './lazy.js';
import { SETTING_NAMES, SETTINGS, type SettingName } from './definitions.js';
import { nodeBuiltin } from '../node/node-builtin.js';

const { statSync } = nodeBuiltin<typeof import('node:fs')>('node:fs');

/** A value as a user may give it in code: a number in base units, or a string with a unit. */
export type SettingInput = number | string;

const UNIT_PARSERS = {
  size: parseSize,
  count: parseCount,
  duration: parseDuration,
  percent: parsePercent,
} as const;

/** The forms a value is written in: in code (and an application's own object), in a TOML file, in an environment variable. */
export type ValueForm = 'code' | 'file' | 'env';

/** One message per form: what a value may look like depends on where it was written. */
type Forms = Readonly<Record<ValueForm, string>>;

/** The form a value from this origin was written in. */
export function formOf(origin: { readonly kind: string } | undefined): ValueForm {
  return origin?.kind === 'file' ? 'file' : origin?.kind === 'env' ? 'env' : 'code';
}

/**
 * Examples of valid values, by form: a file takes only strings (bare numbers
 * are refused there, as Wasmtime does), a variable only text, and code both
 * strings and numbers in base units.
 */
const EXAMPLES: Readonly<Record<keyof typeof UNIT_PARSERS, Forms>> = {
  size: { code: '"512Mi", "1G", 1048576 (bytes)', file: '"512Mi", "1G", "1048576"', env: '512Mi, 1G, 1048576' },
  count: { code: '"64K", "100", 65536', file: '"64K", "100"', env: '64K, 100' },
  duration: { code: '"1h", "30m", "90s", 3600000 (milliseconds)', file: '"1h", "30m", "90s"', env: '1h, 30m, 90s' },
  percent: { code: '"70%", 70', file: '"70%"', env: '70%' },
};

/** The same message in every form. */
function everyForm(make: (form: ValueForm) => string): Forms {
  return { code: make('code'), file: make('file'), env: make('env') };
}

/**
 * @internal The message of an issue for a value written in `form`: issues of
 * unit settings carry one message per form (`params.forms`); others have one.
 */
export function issueMessage(issue: { readonly message: string }, form: ValueForm): string {
  const params = (issue as { readonly params?: { readonly forms?: Forms } }).params;
  return params?.forms?.[form] ?? issue.message;
}

/** One rule: a predicate and what to say when it fails. */
type Rule<T> = readonly [test: (value: T) => boolean, message: string];

/**
 * One check for an ordered list of rules, reporting the first one broken: a
 * value breaks one rule at a time ("must not be empty" rather than that and
 * "must be an absolute path"), and no check aborts the object's own checks.
 */
function rules<T>(...list: ReadonlyArray<Rule<T>>) {
  return z.refine<T>((value) => list.every(([test]) => test(value)), {
    error: (issue) => list.find(([test]) => !test(issue.input as T))?.[1] ?? 'is invalid',
  });
}

/** What "too small" means for a setting, in each form. */
function minimumRule(name: SettingName, kind: keyof typeof UNIT_PARSERS, min: number): Forms {
  if (min <= 0) return everyForm(() => 'must not be negative');
  const why = name === 'fileCountSoftLimit' || name === 'filesTotalSizeSoftLimit' ? ' (zero would disable the limit)' : '';
  if (kind === 'duration') {
    // Durations in a file or a variable are whole seconds: the least there is 1s.
    return { code: `must be at least ${min} millisecond${min === 1 ? '' : 's'}${why}`, file: `must be at least 1 second ("1s")${why}`, env: `must be at least 1 second (1s)${why}` };
  }
  if (kind === 'size') return everyForm(() => `must be at least ${min} byte${min === 1 ? '' : 's'}${why}`);
  return everyForm(() => `must be at least ${min}${why}`);
}

/** The largest value of each kind, in words. */
const LARGEST = {
  size: 'is above the largest supported size, 2^53-1 bytes (about 8 PiB)',
  count: 'is above the largest supported count, 2^53-1',
  duration: 'is above the largest supported duration, 2^53-1 milliseconds',
  percent: 'must be at most 100%',
} as const;

/**
 * A value that is a number in code, or a string parsed by one of Wasmtime's
 * unit parsers. The first rule broken is reported, in the words of the form
 * the value was written in (see {@link issueMessage}).
 */
function unitSetting(name: SettingName, kind: keyof typeof UNIT_PARSERS) {
  const { min } = SETTINGS[name];
  const max = kind === 'percent' ? 100 : Number.MAX_SAFE_INTEGER;
  const parse = UNIT_PARSERS[kind];
  const examples = EXAMPLES[kind];
  const wholeRule = kind === 'count' ? 'must be a whole number' : `must be a whole number of ${kind === 'duration' ? 'milliseconds' : kind === 'size' ? 'bytes' : 'percent'}`;
  const tooSmall = minimumRule(name, kind, min);
  return z.pipe(
    z.custom<number | string>((value) => typeof value === 'number' || typeof value === 'string', { error: `must be a number or a ${kind} string such as ${examples.code}` }),
    z.transform((value: number | string, payload): number => {
      const fail = (forms: Forms): never => {
        payload.issues.push({ code: 'custom', message: forms.code, input: value, params: { forms } });
        return z.NEVER;
      };
      let number: number;
      if (typeof value === 'number') {
        number = value;
      } else {
        try {
          number = parse(value);
        } catch (error) {
          if (!(error instanceof UnitParseError)) throw error;
          return fail(everyForm((form) => `${error.reason} (examples: ${examples[form]})`));
        }
      }
      if (!Number.isFinite(number)) return fail(everyForm(() => `is not a finite number (examples: ${examples.code})`));
      if (number < min) return fail(tooSmall);
      if (number > Number.MAX_SAFE_INTEGER) return fail(everyForm(() => LARGEST[kind]));
      if (!Number.isInteger(number)) return fail(everyForm(() => wholeRule));
      if (number > max) return fail(everyForm(() => LARGEST.percent));
      return number;
    }),
  );
}

/** A zstd level: an integer 0..21 in code or a TOML file, digits in an environment variable. */
function levelSetting() {
  return z.pipe(
    z.pipe(
      z.union([z.number(), z.string()], { error: 'must be a whole number from 0 to 21' }),
      z.transform((value: number | string, payload) => {
        if (typeof value === 'number') return value;
        const text = value.trim();
        if (!/^[0-9]+$/.test(text)) {
          payload.issues.push({ code: 'custom', message: 'must be a whole number from 0 to 21', input: value });
          return z.NEVER;
        }
        return Number(text);
      }),
    ),
    z.number().check(rules<number>([(n) => Number.isInteger(n) && n >= 0 && n <= 21, 'must be a whole number from 0 to 21 (zstd levels)'])),
  );
}

/** What the directory check found wrong with a path, from one `stat`; undefined when it is usable (or absent: the store creates it). */
function directoryPathProblem(path: string): string | undefined {
  if (path.length === 0) return 'must not be empty';
  if (path.includes('\0')) return 'must not contain a NUL character';
  if (!isAbsolute(path)) return 'must be an absolute path';
  try {
    return statSync(path).isDirectory() ? undefined : 'exists but is not a directory';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ENOTDIR') return 'is a path below a file (ENOTDIR): one of the folders above it is a file';
    if (code === 'EACCES' || code === 'EPERM') return `cannot be reached: permission denied on a folder above it (${code})`;
    return `cannot be checked (${code ?? (error instanceof Error ? error.message : String(error))})`;
  }
}

/** The cache directory: an absolute path that is, or can become, a directory (not a file, not below one). */
function directorySetting() {
  return z.pipe(
    z.string({ error: 'must be a path (a string)' }),
    z.transform((path: string, payload): string => {
      const problem = directoryPathProblem(path);
      if (problem === undefined) return path;
      payload.issues.push({ code: 'custom', message: problem, input: path });
      return z.NEVER;
    }),
  );
}

/**
 * @internal The directory given, when it is usable as it is (a string that
 * {@link directorySetting} accepts, unchanged), checked with the same rules
 * but without zod; undefined when the schema must decide and say why. Building
 * even the directory's schema and parsing with it the first time costs 1.5-2.5
 * ms, on the path of every process's first cache load when only a directory
 * is set (the commonest configuration, and the hook's with
 * `WASM_CACHE_DIRECTORY`).
 */
export function usableDirectory(value: unknown): string | undefined {
  return typeof value === 'string' && directoryPathProblem(value) === undefined ? value : undefined;
}

/** Each setting's own schema, built on first use (shared by the whole schema and the partial ones). */
const FIELDS = {
  // Required here: a configuration that sets the directory (even to undefined) has it checked; the whole schema
  // makes it optional, for the default.
  directory: lazy(directorySetting),
  workerEventQueueSize: lazy(() => unitSetting('workerEventQueueSize', 'count')),
  baselineCompressionLevel: lazy(levelSetting),
  optimizedCompressionLevel: lazy(levelSetting),
  optimizedCompressionUsageCounterThreshold: lazy(() => unitSetting('optimizedCompressionUsageCounterThreshold', 'count')),
  cleanupInterval: lazy(() => unitSetting('cleanupInterval', 'duration')),
  optimizingCompressionTaskTimeout: lazy(() => unitSetting('optimizingCompressionTaskTimeout', 'duration')),
  allowedClockDriftForFilesFromFuture: lazy(() => unitSetting('allowedClockDriftForFilesFromFuture', 'duration')),
  fileCountSoftLimit: lazy(() => unitSetting('fileCountSoftLimit', 'count')),
  filesTotalSizeSoftLimit: lazy(() => unitSetting('filesTotalSizeSoftLimit', 'size')),
  fileCountLimitPercentIfDeleting: lazy(() => unitSetting('fileCountLimitPercentIfDeleting', 'percent')),
  filesTotalSizeLimitPercentIfDeleting: lazy(() => unitSetting('filesTotalSizeLimitPercentIfDeleting', 'percent')),
} as const satisfies Record<SettingName, () => z.ZodMiniType>;

/** The two compression levels, which the cross-setting rule relates. */
const LEVELS: readonly SettingName[] = ['baselineCompressionLevel', 'optimizedCompressionLevel'];

/**
 * @internal Whether an issue is the one of the rule across settings (see
 * `levelOrder`), which the schema reports at the optimized level: a
 * configuration that gave only the baseline reports it there instead.
 */
export function isLevelOrderIssue(issue: object): boolean {
  return (issue as { readonly params?: { readonly levelOrder?: unknown } }).params?.levelOrder === true;
}

/** The rule across settings: the optimized level is at least the baseline. */
function levelOrder() {
  return z.refine<{ baselineCompressionLevel: number; optimizedCompressionLevel: number }>((settings) => settings.optimizedCompressionLevel >= settings.baselineCompressionLevel, {
    path: ['optimizedCompressionLevel'],
    params: { levelOrder: true },
    error: (issue) => {
      const input = issue.input as { baselineCompressionLevel?: unknown } | undefined;
      return `must be at least the baseline compression level (${String(input?.baselineCompressionLevel)})`;
    },
    // Check the pair whenever both levels themselves are valid, even if other settings are not,
    // so one error lists every problem.
    when: (payload) => !payload.issues.some((issue) => LEVELS.includes(issue.path?.[0] as SettingName)),
  });
}

function buildCacheSettingsSchema() {
  return z
    .strictObject({
      directory: z.optional(FIELDS.directory()),
      workerEventQueueSize: FIELDS.workerEventQueueSize(),
      baselineCompressionLevel: FIELDS.baselineCompressionLevel(),
      optimizedCompressionLevel: FIELDS.optimizedCompressionLevel(),
      optimizedCompressionUsageCounterThreshold: FIELDS.optimizedCompressionUsageCounterThreshold(),
      cleanupInterval: FIELDS.cleanupInterval(),
      optimizingCompressionTaskTimeout: FIELDS.optimizingCompressionTaskTimeout(),
      allowedClockDriftForFilesFromFuture: FIELDS.allowedClockDriftForFilesFromFuture(),
      fileCountSoftLimit: FIELDS.fileCountSoftLimit(),
      filesTotalSizeSoftLimit: FIELDS.filesTotalSizeSoftLimit(),
      fileCountLimitPercentIfDeleting: FIELDS.fileCountLimitPercentIfDeleting(),
      filesTotalSizeLimitPercentIfDeleting: FIELDS.filesTotalSizeLimitPercentIfDeleting(),
    })
    .check(levelOrder());
}

/**
 * @internal The settings a configuration's values must be checked for: the
 * ones given (whatever their value: a setter given null or undefined is a
 * mistake to report, not a way back to the default, which `withoutSetting`
 * is), in the order of `SETTING_NAMES`, and both levels whenever one of them
 * is given.
 */
export function settingsToCheck(values: Readonly<Partial<Record<SettingName, unknown>>>): SettingName[] {
  const given = (name: SettingName): boolean => Object.hasOwn(values, name);
  const levels = LEVELS.some(given);
  return SETTING_NAMES.filter((name) => given(name) || (levels && LEVELS.includes(name)));
}

const partialSchemas = new Map<string, z.ZodMiniType>();

/** @internal How many partial schemas this copy of the package has built (for tests of what is built when). */
export function partialSchemaBuilds(): number {
  return partialSchemas.size;
}

/**
 * @internal The settings schema restricted to some settings (as
 * {@link settingsToCheck} lists them), for
 * validating a configuration that sets only those: the others are at their
 * defaults, which are valid and resolve to themselves. Parsing the settings
 * with it gives exactly the issues and values parsing every setting with
 * {@link cacheSettingsSchema} gives for them, at a fraction of the cost of
 * building the whole schema (what a process setting only its directory pays
 * at start-up).
 */
export function partialSettingsSchema(names: readonly SettingName[]): z.ZodMiniType<Record<string, unknown>, Record<string, unknown>> {
  const key = names.join();
  let schema = partialSchemas.get(key);
  if (!schema) {
    const shape: Record<string, z.ZodMiniType> = {};
    for (const name of names) shape[name] = FIELDS[name]();
    const object = z.strictObject(shape);
    schema = names.some((name) => LEVELS.includes(name)) ? object.check(levelOrder() as z.core.$ZodCheck<Record<string, unknown>>) : object;
    partialSchemas.set(key, schema);
  }
  return schema as z.ZodMiniType<Record<string, unknown>, Record<string, unknown>>;
}

/** @internal The settings schema, built on the first call (what the package's own code validates with). */
export const cacheSettingsSchemaOf = lazy(buildCacheSettingsSchema);

/**
 * The zod schema of every cache setting, the single source of truth for their
 * shape and rules: Wasmtime's (absolute directory, levels 0..21, optimized
 * level at least the baseline, percents at most 100) and the ones it misses
 * (zero limits, a directory path that is a file, unsafe integers).
 *
 * Input values are numbers in base units or strings with units; output values
 * are numbers in bytes, milliseconds, percent, or the directory path.
 *
 * Built on first use (importing the package does not construct it).
 */
export const cacheSettingsSchema = lazyObject(cacheSettingsSchemaOf);

/** Settings as given, before validation: every key optional. */
export type CacheSettingsInput = Partial<Record<SettingName, SettingInput>>;

/** Settings after validation, in base units. */
export type ResolvedCacheSettings = Omit<z.output<typeof cacheSettingsSchema>, 'directory'> & { directory: string };
