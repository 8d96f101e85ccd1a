import path from 'node:path';
import { errorCode } from '../faults/fault-reporter.js';
import type { FsLayer } from './fs-layer.js';
import { nodeBuiltin } from '../node/node-builtin.js';

const { mkdirSync, statSync } = nodeBuiltin<typeof import('node:fs')>('node:fs');

/** The mode of every directory the store creates: only its owner may enter it. */
export const DIRECTORY_MODE = 0o700;

function fault(code: string, message: string, file: string): Error {
  return Object.assign(new Error(message), { code, path: file });
}

/** What creating one level that failed means: EEXIST is fine (made meanwhile), ENOENT a fault (the parent we found or made cannot hold it). */
function levelFailure(error: unknown, level: string): Error | undefined {
  const code = errorCode(error);
  if (code === 'EEXIST') return undefined;
  if (code === 'ENOENT') {
    return fault('ENOENT', `ENOENT: cannot create ${level}: its parent ${path.dirname(level)} exists but does not take it (a virtual file system such as /proc, or removed meanwhile)`, level);
  }
  return error instanceof Error ? error : fault(code, String(error), level);
}

/**
 * Creates `directory` and any missing parents with mode 0700, one level at a
 * time and never with `recursive: true`: Node's recursive mkdir retries
 * forever when the file system answers ENOENT for a directory whose parent
 * exists (procfs does, for `/proc/anything`), which would hang the process.
 * Here that is a fault (ENOENT) like any other; a level made by someone else
 * meanwhile (EEXIST) is fine.
 */
export async function makeDirectory(fs: FsLayer, directory: string, mode: number = DIRECTORY_MODE): Promise<void> {
  const levels: string[] = [];
  for (let current = path.resolve(directory); ; ) {
    let stat: { isDirectory(): boolean };
    try {
      stat = await fs.stat(current);
    } catch (error) {
      if (errorCode(error) !== 'ENOENT' || path.dirname(current) === current) throw error;
      levels.push(current);
      current = path.dirname(current);
      continue;
    }
    if (!stat.isDirectory()) throw fault('ENOTDIR', `ENOTDIR: not a directory, ${current}`, current);
    break;
  }
  for (const level of levels.reverse()) {
    try {
      await fs.mkdir(level, { mode });
    } catch (error) {
      const failure = levelFailure(error, level);
      if (failure) throw failure;
    }
  }
}

/** {@link makeDirectory}, synchronously with Node's `node:fs` (for the statistics written as a process exits). */
export function makeDirectorySync(directory: string, mode: number = DIRECTORY_MODE): void {
  const levels: string[] = [];
  for (let current = path.resolve(directory); ; ) {
    let stat: { isDirectory(): boolean };
    try {
      stat = statSync(current);
    } catch (error) {
      if (errorCode(error) !== 'ENOENT' || path.dirname(current) === current) throw error;
      levels.push(current);
      current = path.dirname(current);
      continue;
    }
    if (!stat.isDirectory()) throw fault('ENOTDIR', `ENOTDIR: not a directory, ${current}`, current);
    break;
  }
  for (const level of levels.reverse()) {
    try {
      mkdirSync(level, { mode });
    } catch (error) {
      const failure = levelFailure(error, level);
      if (failure) throw failure;
    }
  }
}
