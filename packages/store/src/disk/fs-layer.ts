import fs from 'node:fs/promises';
import type { Stats } from 'node:fs';

/** The part of a file handle the disk store uses. */
export interface FsFileHandle {
  readFile(): Promise<Buffer>;
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  write(buffer: Uint8Array, offset: number, length: number): Promise<{ bytesWritten: number }>;
  stat(): Promise<Stats>;
  utimes(atime: number, mtime: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * The few `node:fs/promises` functions the disk store's foreground path
 * (`get`, `put`, `delete`, `has`, `keys`, `open`) uses. Pass your own to
 * inject faults (EACCES, ENOSPC, EMFILE) in tests; the default is Node's.
 */
export interface FsLayer {
  open(path: string, flags: string, mode?: number): Promise<FsFileHandle>;
  rename(from: string, to: string): Promise<void>;
  /** Hard link; used to create the cleanup lock with its content atomically. */
  link(existing: string, newPath: string): Promise<void>;
  unlink(path: string): Promise<void>;
  mkdir(path: string, options: { recursive: true; mode?: number }): Promise<string | undefined>;
  readdir(path: string): Promise<string[]>;
  stat(path: string): Promise<Stats>;
  lstat(path: string): Promise<Stats>;
}

/** Node's own file system. */
export const nodeFs: FsLayer = {
  open: (path, flags, mode) => fs.open(path, flags, mode),
  rename: (from, to) => fs.rename(from, to),
  link: (existing, newPath) => fs.link(existing, newPath),
  unlink: (path) => fs.unlink(path),
  mkdir: (path, options) => fs.mkdir(path, options),
  readdir: (path) => fs.readdir(path),
  stat: (path) => fs.stat(path),
  lstat: (path) => fs.lstat(path),
};
