import { errorCode } from '../faults/fault-reporter.js';
import { READ_FLAGS, type FsFileHandle, type FsLayer } from './fs-layer.js';
import { makeDirectory } from './make-directory.js';

/** Writes every byte of `parts` through `handle` (file writes may be partial). */
export async function writeAll(handle: FsFileHandle, parts: readonly Uint8Array[]): Promise<void> {
  for (const part of parts) {
    let offset = 0;
    while (offset < part.byteLength) {
      const { bytesWritten } = await handle.write(part, offset, part.byteLength - offset);
      if (bytesWritten <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
      offset += bytesWritten;
    }
  }
}

/**
 * Reads `size` bytes from the start of an open file (its size from `fstat`),
 * in as few reads as the kernel allows; a shorter file yields a shorter
 * buffer, which entry verification then rejects.
 */
export async function readExactly(handle: FsFileHandle, size: number): Promise<Buffer> {
  // Not from the shared pool: the caller gets the value's backing memory and nothing else.
  const buffer = Buffer.allocUnsafeSlow(size);
  let offset = 0;
  while (offset < size) {
    const { bytesRead } = await handle.read(buffer, offset, size - offset, offset);
    if (bytesRead === 0) break;
    offset += bytesRead;
  }
  return offset === size ? buffer : buffer.subarray(0, offset);
}

/** The most the store reads of one of its own small files (a sidecar, counters, a lock, a cleanup record): each is a few hundred bytes. */
export const SMALL_FILE_BYTES = 1024 * 1024;

/**
 * Reads a whole small file of the store's own, or undefined when it does not
 * exist, or is not a regular file of at most {@link SMALL_FILE_BYTES}. It is
 * opened without blocking and checked before a byte is read: a FIFO put in
 * its place blocked the open, and with it the process's exit, for ever, and a
 * link to /dev/zero was read until memory ran out. Callers read such a file
 * as they read an unparseable one, as absent, and write a good one over it.
 */
export async function readIfExists(fs: FsLayer, path: string): Promise<Buffer | undefined> {
  let handle: FsFileHandle | undefined;
  try {
    handle = await fs.open(path, READ_FLAGS);
    const stats = await handle.stat();
    if (!stats.isFile() || stats.size > SMALL_FILE_BYTES) return undefined;
    return await readExactly(handle, stats.size);
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** Removes a file; false when it was already gone. */
export async function removeIfExists(fs: FsLayer, path: string): Promise<boolean> {
  try {
    await fs.unlink(path);
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}

/** ENOENT: the file or a parent is gone (a miss, a race with eviction, a deleted directory). */
export function isMissing(error: unknown): boolean {
  return errorCode(error) === 'ENOENT';
}

/**
 * Writes `parts` to `temp` (created exclusively, `wx`), stamps `mtimeMs` (when given), and
 * renames it over `destination`. The temp file is removed in `finally` unless
 * the rename happened, so readers never see a partial file. A missing parent
 * (directory deleted under a running store) is recreated and the step retried
 * once.
 */
export async function writeAtomically(
  fs: FsLayer,
  temp: string,
  destination: string,
  parts: readonly Uint8Array[],
  mtimeMs: number | undefined,
  directories: { temp: string; destination: string },
): Promise<void> {
  let handle: FsFileHandle | undefined;
  let renamed = false;
  try {
    try {
      handle = await fs.open(temp, 'wx', 0o644);
    } catch (error) {
      if (!isMissing(error)) throw error;
      await makeDirectory(fs, directories.temp);
      handle = await fs.open(temp, 'wx', 0o644);
    }
    await writeAll(handle, parts);
    if (mtimeMs !== undefined) await handle.utimes(mtimeMs / 1000, mtimeMs / 1000);
    const closing = handle;
    handle = undefined;
    await closing.close();
    try {
      await fs.rename(temp, destination);
    } catch (error) {
      if (!isMissing(error)) throw error;
      await makeDirectory(fs, directories.destination);
      await fs.rename(temp, destination);
    }
    renamed = true;
  } finally {
    if (handle) await handle.close().catch(() => undefined);
    if (!renamed) await fs.unlink(temp).catch(() => undefined);
  }
}

/**
 * ENOSPC or EDQUOT: no room for more bytes on the file system (or in the
 * user's quota). Unlinking still works then, and a cleanup must still run.
 */
export function isOutOfSpace(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** Whether a process with this pid exists on this machine (EPERM means it does). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === 'EPERM';
  }
}
