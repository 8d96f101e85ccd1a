import { dirname, resolve } from 'node:path';
import { nodeBuiltin } from './node-builtin.js';

// As CommonJS gives them, like write-file-whole.ts: the hook's code uses this at start-up.
const { mkdirSync, statSync } = nodeBuiltin<typeof import('node:fs')>('node:fs');

/**
 * Creates a folder and its missing parents, each with `mode` (0700: the cache
 * folder is private by default), one level at a time. Node's own
 * `mkdir(..., { recursive: true })` loops for ever where a file system answers
 * ENOENT to creating a folder whose parent exists (procfs: a cache folder under
 * `/proc`), and the process with it; here that ENOENT is thrown.
 *
 * @throws the file system's error (ENOTDIR below a file, EACCES, ENOENT...).
 */
export function makeDirectorySync(path: string, mode = 0o700): void {
  const missing: string[] = [];
  for (let current = resolve(path); ; current = dirname(current)) {
    if (statSync(current, { throwIfNoEntry: false }) !== undefined) break; // a file there fails the mkdir below: ENOTDIR
    missing.push(current);
    if (dirname(current) === current) break;
  }
  for (const folder of missing.reverse()) {
    try {
      mkdirSync(folder, { mode });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error; // made meanwhile by another process: fine
    }
  }
}
