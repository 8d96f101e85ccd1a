/**
 * A count and its noun, singular for exactly one: `counted(1, 'hit')` is
 * "1 hit", `counted(2, 'hit')` "2 hits", `counted(0, 'miss', 'misses')`
 * "0 misses". The plural is the singular with an "s" unless given.
 */
export function counted(count: number, singular: string, plural = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : plural}`;
}
