import path from 'node:path';
import { makeDirectorySync } from './make-directory.js';
import { nodeBuiltin } from '../node/node-builtin.js';

const { renameSync, writeFileSync } = nodeBuiltin<typeof import('node:fs')>('node:fs');

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
