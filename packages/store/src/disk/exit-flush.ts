import path from 'node:path';
import { makeDirectorySync } from './make-directory.js';
import { nodeBuiltin } from '../node/node-builtin.js';
import { SMALL_FILE_BYTES } from './fs-helpers.js';
import { READ_FLAGS } from './fs-layer.js';
import { parseSidecar, type Sidecar } from './json-record.js';
import type { Layout } from './layout.js';
import type { UsageRecord } from './maintenance.js';

const { closeSync, fstatSync, lstatSync, openSync, readSync, renameSync, unlinkSync, utimesSync, writeFileSync } = nodeBuiltin<typeof import('node:fs')>('node:fs');

/**
 * The most usage sidecars written as a process exits (the most recently used
 * entries first): each costs a few small synchronous file operations, and a
 * process's pending uses are sent to the background in batches of
 * `workerEventQueueSize` anyway, so there are rarely more.
 */
export const EXIT_USES_LIMIT = 64;

/** Something to write synchronously when the process exits without closing it. */
export type ExitFlush = () => void;

const pending = new Set<ExitFlush>();
let hooked = false;

/**
 * Runs `flush` when the process exits (`process.exit` or an empty event
 * loop) if it has not been unregistered by then: a process that ends without
 * closing its store (a tool's child process stopped by its parent) still
 * leaves its statistics. One listener serves every open store.
 */
export function flushOnExit(flush: ExitFlush): () => void {
  if (!hooked) {
    hooked = true;
    process.on('exit', () => {
      for (const run of pending) {
        try {
          run();
        } catch {
          // Exiting: a statistics file that cannot be written is lost, nothing else.
        }
      }
    });
  }
  pending.add(flush);
  return () => pending.delete(flush);
}

const beforeExit = new Set<() => void>();
let hookedBeforeExit = false;

/**
 * Runs `task` once when the process's event loop empties, before it exits
 * (not on `process.exit`), unless unregistered first: work it starts then
 * (a background cleanup) keeps the process alive until it is done. For
 * work a process must not skip just because it ended before its timers
 * fired. One listener serves every store.
 */
export function onceBeforeExit(task: () => void): () => void {
  if (!hookedBeforeExit) {
    hookedBeforeExit = true;
    process.on('beforeExit', () => {
      const tasks = [...beforeExit];
      beforeExit.clear();
      for (const run of tasks) {
        try {
          run();
        } catch {
          // One store's task failing leaves the others'.
        }
      }
    });
  }
  beforeExit.add(task);
  return () => beforeExit.delete(task);
}

/**
 * Writes a small JSON file atomically and synchronously: `temporary` (one of
 * the store's temp names), then rename. Missing folders are created with mode
 * 0700, like every folder of the store.
 */
export function writeJsonSync(target: string, temporary: string, body: object): void {
  makeDirectorySync(path.dirname(temporary));
  makeDirectorySync(path.dirname(target));
  writeFileSync(temporary, JSON.stringify(body), { flag: 'wx' });
  renameSync(temporary, target);
}

/** A small file of the store's read synchronously as `readIfExists` reads it: undefined unless a regular file of at most 1 MiB. */
function readSmallFileSync(file: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(file, READ_FLAGS);
  } catch {
    return undefined;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile() || stat.size > SMALL_FILE_BYTES) return undefined;
    const buffer = Buffer.alloc(stat.size);
    let offset = 0;
    while (offset < buffer.byteLength) {
      const read = readSync(fd, buffer, offset, buffer.byteLength - offset, offset);
      if (read === 0) break;
      offset += read;
    }
    return buffer.subarray(0, offset);
  } finally {
    closeSync(fd);
  }
}

/** A usage sidecar's content, read synchronously (see `parseSidecar`); one that cannot be read counts as none. */
function readSidecarSync(file: string): Sidecar {
  let data: Buffer | undefined;
  try {
    data = readSmallFileSync(file);
  } catch {
    data = undefined;
  }
  return parseSidecar(data);
}

/**
 * Records uses in the entries' usage sidecars synchronously, as the
 * background does (the count added, the file dated the last use: the
 * recency cleanup orders by), for a process exiting with uses not yet sent
 * there. At most {@link EXIT_USES_LIMIT}, the most recent first; an entry
 * gone meanwhile gets none (no orphan sidecar), and one sidecar that cannot
 * be written loses its uses, nothing else. Recompression at the threshold is
 * left to the next use recorded in the background.
 *
 * @returns how many sidecars were written.
 */
export function recordUsesSync(layout: Layout, uses: readonly UsageRecord[]): number {
  let written = 0;
  const latest = [...uses].sort((a, b) => b.lastUsed - a.lastUsed).slice(0, EXIT_USES_LIMIT);
  for (const use of latest) {
    const temporary = layout.temp(`${use.hash}.stats`);
    try {
      if (!lstatSync(layout.entry(use.hash)).isFile()) continue;
      const sidecar = layout.sidecar(use.hash);
      const current = readSidecarSync(sidecar);
      makeDirectorySync(path.dirname(temporary));
      writeFileSync(temporary, JSON.stringify({ uses: current.uses + use.uses, optimized: current.optimized }), { flag: 'wx', mode: 0o644 });
      utimesSync(temporary, use.lastUsed / 1000, use.lastUsed / 1000);
      renameSync(temporary, sidecar);
      written++;
    } catch {
      // Exiting: these uses are lost, nothing else.
      try {
        unlinkSync(temporary);
      } catch {
        // not made, or renamed
      }
    }
  }
  return written;
}
