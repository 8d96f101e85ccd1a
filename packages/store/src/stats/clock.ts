/**
 * Milliseconds on a monotonic clock, for measuring how long something took
 * (`clockMs() - started`). Used instead of `performance.now()` on every cache
 * path: the first read of the `performance` global makes Node 20-24 load
 * `perf_hooks` (about 1 ms), which would land on a cache hit's path in a
 * process that never used it. `process.hrtime` is already loaded.
 */
export function clockMs(): number {
  const [seconds, nanoseconds] = process.hrtime();
  return seconds * 1e3 + nanoseconds / 1e6;
}
