import type { Stats } from 'node:fs';
import { nodeBuiltin } from '../node/node-builtin.js';

const fs = nodeBuiltin<typeof import('node:fs')>('node:fs');

/**
 * How the store opens an entry to read it: without blocking, so that a FIFO
 * put where an entry should be cannot block the open (it is then refused as
 * not a regular file); a regular file reads the same either way.
 */
export const READ_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);

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
 * The few file-system functions the disk store's foreground path (`get`,
 * `put`, `delete`, `has`, `keys`, `open`) uses. Pass your own to inject
 * faults (EACCES, ENOSPC, EMFILE) in tests; the default is Node's.
 */
export interface FsLayer {
  /** `flags` as `fs.open` takes them: a string such as `'wx'`, or `fs.constants` bits (reads add `O_NONBLOCK`). */
  open(path: string, flags: string | number, mode?: number): Promise<FsFileHandle>;
  rename(from: string, to: string): Promise<void>;
  /** Hard link; used to create the cleanup lock with its content atomically. */
  link(existing: string, newPath: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /**
   * Creates one directory. The store creates each missing level itself and
   * never asks for `recursive` (Node's recursive mkdir can loop forever on
   * some file systems, such as /proc); the option stays allowed for callers
   * of their own.
   */
  mkdir(path: string, options: { recursive?: boolean; mode?: number }): Promise<string | undefined>;
  readdir(path: string): Promise<string[]>;
  stat(path: string): Promise<Stats>;
  lstat(path: string): Promise<Stats>;
}

type Callback<T> = (error: NodeJS.ErrnoException | null, value: T) => void;

/** Runs a callback-style `node:fs` call as a promise. */
function call<T>(start: (callback: Callback<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => start((error, value) => (error ? reject(error) : resolve(value))));
}

/** A file descriptor with the handle methods the store uses. */
class DescriptorHandle implements FsFileHandle {
  readonly #fd: number;

  constructor(fd: number) {
    this.#fd = fd;
  }

  readFile(): Promise<Buffer> {
    return call<Buffer>((done) => fs.readFile(this.#fd, done));
  }

  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    return call<number>((done) => fs.read(this.#fd, buffer, offset, length, position, done)).then((bytesRead) => ({ bytesRead }));
  }

  write(buffer: Uint8Array, offset: number, length: number): Promise<{ bytesWritten: number }> {
    return call<number>((done) => fs.write(this.#fd, buffer, offset, length, null, done)).then((bytesWritten) => ({ bytesWritten }));
  }

  stat(): Promise<Stats> {
    return call<Stats>((done) => fs.fstat(this.#fd, done));
  }

  utimes(atime: number, mtime: number): Promise<void> {
    return call<void>((done) => fs.futimes(this.#fd, atime, mtime, (error) => done(error, undefined)));
  }

  close(): Promise<void> {
    return call<void>((done) => fs.close(this.#fd, (error) => done(error ?? null, undefined)));
  }
}

/**
 * Node's own file system, through its callback functions rather than
 * `node:fs/promises`: loading that module (with the stream and readline
 * modules it brings) costs a process 1-2 ms before its first cache read,
 * which under the `--import` hook is a WebAssembly compile's time to first
 * result.
 */
export const nodeFs: FsLayer = {
  open: (path, flags, mode) => call<number>((done) => fs.open(path, flags, mode, done)).then((fd) => new DescriptorHandle(fd)),
  rename: (from, to) => call<void>((done) => fs.rename(from, to, (error) => done(error, undefined))),
  link: (existing, newPath) => call<void>((done) => fs.link(existing, newPath, (error) => done(error, undefined))),
  unlink: (path) => call<void>((done) => fs.unlink(path, (error) => done(error, undefined))),
  mkdir: (path, options) => call<string | undefined>((done) => fs.mkdir(path, options, done)),
  readdir: (path) => call<string[]>((done) => fs.readdir(path, done)),
  stat: (path) => call<Stats>((done) => fs.stat(path, done)),
  lstat: (path) => call<Stats>((done) => fs.lstat(path, done)),
};
