import type { Stats } from 'node:fs';
import { UnsafeDirectoryError } from '../errors/store-error.js';
import { nodeFs } from './fs-layer.js';
import { Layout } from './layout.js';

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

/**
 * Checks the folders a disk store of `namespace` under `directory` opens with
 * (the directory, then the namespace's folder) as `DiskStore.open` does,
 * creating and writing nothing: for a caller that must refuse an unsafe cache
 * directory before it does any work, without opening a store (which would
 * also say, as warnings, the faults it meets). A folder that does not exist
 * yet passes (a store creates it for this user alone), and so does one that
 * cannot be looked at or is not a folder: opening the store says why.
 *
 * @param expectedUid the owner required: this process's user by default; none to skip the check (as on Windows)
 * @throws UnsafeDirectoryError naming the folder and why.
 * @throws InvalidNamespaceError for a namespace that is not one safe folder name.
 */
export async function assertSafeStoreDirectories(directory: string, namespace = 'default', expectedUid: number | undefined = process.getuid?.()): Promise<void> {
  const layout = new Layout(directory, namespace);
  for (const folder of [layout.directory, layout.namespaceDirectory]) {
    const stat = await nodeFs.stat(folder).catch(() => undefined);
    if (stat === undefined || !stat.isDirectory()) return;
    assertSafeDirectory(folder, stat, expectedUid);
  }
}
