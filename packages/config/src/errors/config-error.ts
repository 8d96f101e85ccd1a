/** Where a setting's value came from, so an error or `config show` can point at it. */
export type SettingOrigin =
  | { readonly kind: 'default' }
  | { readonly kind: 'code' }
  | { readonly kind: 'env'; readonly variable: string }
  | { readonly kind: 'object'; readonly label: string }
  | { readonly kind: 'file'; readonly file: string; readonly line?: number; readonly column?: number };

/** One thing wrong with one setting. */
export interface ConfigProblem {
  /** The setting's name as the user wrote it (camelCase in code, kebab-case in a file, the variable for env, the key of an object given to `merge`). */
  readonly setting: string;
  /**
   * The offending value, as given; absent when what is wrong is that nothing
   * was given (a missing table or setting). Kept JSON-serializable: an integer
   * a TOML file gave as a bigint is a number here (a decimal string beyond
   * ±2^53), in tables and arrays too, so that `JSON.stringify(error.problems)`
   * (a structured logger) works.
   */
  readonly value?: unknown;
  /**
   * The value as the user wrote it, when that differs from how `value`
   * prints: a TOML float `3.0` or hex `0x10`, whose `value` is the number 3
   * or 16. Messages show this text instead.
   */
  readonly shown?: string;
  /** The rule it broke, in words. */
  readonly rule: string;
  /** Where the value came from, when known. */
  readonly origin?: SettingOrigin;
}

/** Formats an origin for a message: `file.toml:3:1`, `env WASM_CACHE_DIRECTORY`, ... */
export function describeOrigin(origin: SettingOrigin): string {
  switch (origin.kind) {
    case 'default':
      return 'default';
    case 'code':
      return 'code';
    case 'env':
      return `environment variable ${origin.variable}`;
    case 'object':
      return origin.label;
    case 'file': {
      const position = origin.line === undefined ? '' : `:${origin.line}${origin.column === undefined ? '' : `:${origin.column}`}`;
      return `${origin.file}${position}`;
    }
  }
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' || value === null || value === undefined) {
    return String(value);
  }
  try {
    // A table read from a TOML file may hold integers as bigints, which JSON.stringify refuses.
    return JSON.stringify(value, (_, item: unknown) => (typeof item === 'bigint' ? Number(item) : item)) ?? String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** A value with its bigints as numbers (as decimal strings beyond ±2^53), in arrays and plain objects too. */
function jsonSafe(value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, jsonSafe(item)]));
  }
  return value;
}

/** One line for one problem: `cleanupInterval = "10 min" (code): a duration is ...`; without ` = value` when the problem has no value. */
export function formatProblem(problem: ConfigProblem): string {
  const origin = problem.origin;
  const redundant = !origin || origin.kind === 'code' || (origin.kind === 'env' && origin.variable === problem.setting);
  const where = redundant ? '' : ` (${describeOrigin(origin)})`;
  const value = problem.shown !== undefined ? ` = ${problem.shown}` : Object.hasOwn(problem, 'value') ? ` = ${describeValue(problem.value)}` : '';
  return `${problem.setting}${value}${where}: ${problem.rule}`;
}

/**
 * Thrown when a cache configuration fails validation. It lists every problem
 * found at once, each naming the setting, the value and the rule it broke.
 */
export class CacheConfigError extends Error {
  /** Stable code for programmatic handling. */
  readonly code = 'ERR_CACHE_CONFIG_INVALID' as const;
  /** Every problem found, in setting order. */
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[], context = 'Invalid cache configuration') {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(`${context} (${count}):\n${problems.map((p) => `  - ${formatProblem(p)}`).join('\n')}`);
    this.name = 'CacheConfigError';
    this.problems = problems.map((problem) => (Object.hasOwn(problem, 'value') ? { ...problem, value: jsonSafe(problem.value) } : problem));
  }
}
