import { nodeBuiltin } from './node-builtin.js';

const fs = nodeBuiltin<typeof import('node:fs')>('node:fs');

/** The most a note or a remembered header of the cache's may hold (each is a few dozen bytes). */
export const SMALL_FILE_BYTES = 64 * 1024;

/** Opened without blocking: a FIFO with no writer would otherwise block the open, and with it the process. */
export const READ_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);

/**
 * Reads one of the cache's own small files synchronously (a remembered V8
 * header, a lock's owner, a note, the hook's code cache), only when it is a
 * regular file of at most `maxBytes`. Such files sit in folders anyone with
 * access to the cache can write: a FIFO put in one's place would block the
 * process for ever, and a device such as /dev/zero be read until memory runs
 * out.
 *
 * @throws Error with the system's code (ENOENT, EACCES, ...), or `ENOTREG`
 *   for something other than a regular file, `EFBIG` for a larger one.
 */
export function readRegularFileSync(path: string, maxBytes: number): Buffer {
  return readRegularFileAndStatsSync(path, maxBytes).bytes;
}

/**
 * {@link readRegularFileSync}, with the file's stats as they were when it
 * was read (of the very file read: taken from its descriptor).
 *
 * @throws as {@link readRegularFileSync}.
 */
export function readRegularFileAndStatsSync(path: string, maxBytes: number): { bytes: Buffer; stats: import('node:fs').Stats } {
  const fd = fs.openSync(path, READ_FLAGS);
  try {
    const stats = fs.fstatSync(fd);
    if (!stats.isFile()) throw Object.assign(new Error(`${path} is not a regular file`), { code: 'ENOTREG' });
    if (stats.size > maxBytes) throw Object.assign(new Error(`${path} is ${stats.size} bytes, more than the ${maxBytes} expected at most`), { code: 'EFBIG' });
    const buffer = Buffer.allocUnsafe(stats.size);
    let length = 0;
    for (let read = -1; read !== 0 && length < buffer.length; length += read) read = fs.readSync(fd, buffer, length, buffer.length - length, length);
    return { bytes: buffer.subarray(0, length), stats };
  } finally {
    fs.closeSync(fd);
  }
}
