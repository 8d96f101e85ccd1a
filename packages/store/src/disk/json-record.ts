/**
 * The small JSON files of the store's (the cleanup record and lock, usage
 * sidecars, statistics), read forgivingly: a file that is missing, empty,
 * not JSON or not an object says nothing, and a field of the wrong type is
 * absent.
 */

/** The object a small JSON file holds; undefined when it is missing, empty, not JSON, or not an object. */
export function parseJson(data: Buffer | undefined): Record<string, unknown> | undefined {
  if (!data || data.byteLength === 0) return undefined;
  try {
    const value: unknown = JSON.parse(data.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A field that is a finite number, else undefined. */
export function numberField(record: Record<string, unknown> | undefined, name: string): number | undefined {
  const value = record?.[name];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** What an entry's usage sidecar records: uses counted, and whether it was recompressed at the optimized level. */
export interface Sidecar {
  uses: number;
  optimized: boolean;
}

/** A usage sidecar's content (`{"uses":n,"optimized":bool}`); an unreadable one counts as none. */
export function parseSidecar(data: Buffer | undefined): Sidecar {
  const record = parseJson(data);
  return { uses: numberField(record, 'uses') ?? 0, optimized: record?.['optimized'] === true };
}
