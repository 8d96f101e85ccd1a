import { makeDirectorySync } from '@cache/store';
import { dirname } from 'node:path';
import { nodeBuiltin } from '../node/node-builtin.js';
import { readRegularFileSync, SMALL_FILE_BYTES } from '../node/read-regular-file.js';

const { openSync, rmSync, statSync, writeSync, closeSync } = nodeBuiltin<typeof import('node:fs')>('node:fs');

/** A held lock: write the pid of the process doing the work, release when done. */
export interface ProducerLock {
  readonly path: string;
  /** Records the pid of the process that now does the work (the producer child). */
  handOver(pid: number): void;
  release(): void;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function writeOwner(path: string, pid: number): void {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, JSON.stringify({ pid, at: Date.now() }));
  } finally {
    closeSync(fd);
  }
}

/** True when an existing lock is abandoned: its owner is dead, or it is older than `staleMs`. */
function isStale(path: string, staleMs: number): boolean {
  try {
    const owner = JSON.parse(readRegularFileSync(path, SMALL_FILE_BYTES).toString('utf8')) as { pid?: unknown };
    if (typeof owner.pid === 'number' && !isAlive(owner.pid)) return true;
  } catch {
    // Unreadable or half-written: judge by age alone.
  }
  try {
    return Date.now() - statSync(path).mtimeMs > staleMs;
  } catch {
    return true;
  }
}

/** What trying the lock gave: the lock, another live holder, or a fault (the folder cannot be written). */
export type ProducerLockAttempt = { readonly lock: ProducerLock } | { readonly busy: true } | { readonly fault: string };

/**
 * Takes the cross-process lock that makes several processes starting together
 * produce an artifact once: an exclusively created file holding the owner's
 * pid. A lock whose owner died, or older than `staleMs`, is taken over.
 * Another live holder is `busy`; a lock that cannot be created at all
 * (a read-only or full disk) is a `fault`, with its reason: production is then
 * skipped, never the compile.
 */
export function tryAcquireProducerLock(path: string, staleMs: number): ProducerLockAttempt {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      makeDirectorySync(dirname(path));
      const fd = openSync(path, 'wx');
      try {
        writeSync(fd, JSON.stringify({ pid: process.pid, at: Date.now() }));
      } catch (error) {
        // Created but not written (a full disk): an empty lock would read as busy until it is stale (up to
        // optimizing-compression-task-timeout), so no later process would produce the artifact meanwhile.
        closeSync(fd);
        rmSync(path, { force: true });
        throw error;
      }
      closeSync(fd);
      let released = false;
      return {
        lock: {
          path,
          handOver: (pid) => {
            if (!released) writeOwner(path, pid);
          },
          release: () => {
            if (released) return;
            released = true;
            rmSync(path, { force: true });
          },
        },
      };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') return { fault: `the producer lock ${path} could not be created (${code ?? String(error)})` };
      if (!isStale(path, staleMs)) return { busy: true };
      try {
        rmSync(path, { force: true });
        rmSync(`${path}.job`, { force: true }); // the job of a producer that died before reading it
      } catch (removeError) {
        return { fault: `a stale producer lock ${path} could not be removed (${(removeError as NodeJS.ErrnoException).code ?? String(removeError)})` };
      }
    }
  }
  return { busy: true };
}

/** The note a detached producer leaves beside its lock when it fails: nobody else may be left to hear of it. */
export function producerFailureNotePath(lockPath: string): string {
  return `${lockPath}.failed`;
}

/** Reads and removes the failure note of an earlier producer of this key, if there is one: its reason. */
export function takeProducerFailureNote(lockPath: string): string | undefined {
  const path = producerFailureNotePath(lockPath);
  let reason: string;
  try {
    reason = readRegularFileSync(path, SMALL_FILE_BYTES).toString('utf8').trim();
  } catch {
    return undefined; // none (the usual case), or unreadable: nothing to tell
  }
  rmSync(path, { force: true });
  return reason === '' ? 'no reason recorded' : reason.slice(0, 2000);
}
