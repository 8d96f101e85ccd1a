/** Tables and arrays in a problem's value are shown this many levels deep; deeper ones as `"…"`. */
export const MAX_SHOWN_DEPTH = 16;

/**
 * A value of the document as a problem holds it: tables as plain objects
 * (smol-toml's have no prototype, so `CacheConfigError` would keep their
 * bigints, which JSON refuses) and at most {@link MAX_SHOWN_DEPTH} levels
 * deep, deeper tables and arrays being `"…"`. A dotted key of many parts
 * (`a.a.a… = 1`) is a table as deep as it has parts, which neither the
 * message nor a logger's `JSON.stringify(error.problems)` could write.
 */
export function shownValue(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  if (depth >= MAX_SHOWN_DEPTH) return '…';
  if (Array.isArray(value)) return value.map((item: unknown) => shownValue(item, depth + 1));
  const table: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    // Defined, not assigned: a `__proto__` key stays a key.
    Object.defineProperty(table, key, { value: shownValue(item, depth + 1), enumerable: true, writable: true, configurable: true });
  }
  return table;
}
