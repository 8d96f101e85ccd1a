import type { Stats } from 'node:fs';
import { UnsafeDirectoryError } from '../errors/store-error.js';

/**
 * Refuses a directory (`stat` must describe a directory) someone else could write into: world-writable without
 * the sticky bit, or owned by a user other than `expectedUid` (skipped when
 * `expectedUid` is undefined, e.g. on Windows).
 *
 * @throws UnsafeDirectoryError naming the directory and the reason.
 */
export function assertSafeDirectory(path: string, stat: Stats, expectedUid: number | undefined): void {
  const worldWritable = (stat.mode & 0o002) !== 0;
  const sticky = (stat.mode & 0o1000) !== 0;
  if (worldWritable && !sticky) {
    throw new UnsafeDirectoryError(
      path,
      'world-writable',
      `it is world-writable without the sticky bit (mode ${(stat.mode & 0o7777).toString(8)}), so anyone could plant entries; run chmod o-w on it`,
    );
  }
  if (expectedUid !== undefined && stat.uid !== expectedUid) {
    throw new UnsafeDirectoryError(path, 'foreign-owner', `it is owned by uid ${stat.uid}, not by this process's uid ${expectedUid}`);
  }
}
