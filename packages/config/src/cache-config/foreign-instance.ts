/** The name of a value's class, when it is an object that has one. */
function constructorName(value: object): string | undefined {
  const name: unknown = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

/**
 * @internal What a value given where a CacheConfig of this copy of the package
 * is expected is, for a TypeError's message: `a CacheConfig from another copy
 * of @cache/config (...)` when its class is named CacheConfig (a bundler may
 * have written it `_CacheConfig`), which a process that loads both the
 * CommonJS and the ES build gets; else `null`, `a string`, `an object (Map)`.
 */
export function describeNonCacheConfig(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`;
  const name = constructorName(value);
  if (name?.replace(/^_+/, '') === 'CacheConfig') {
    return 'a CacheConfig from another copy of @cache/config (CommonJS and ESM both loaded, or two installed versions?)';
  }
  return `an object (${name ?? 'no prototype'})`;
}
