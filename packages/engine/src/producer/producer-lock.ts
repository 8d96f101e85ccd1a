import { mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync, closeSync } from 'node:fs';
import { dirname } from 'node:path';

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
    const owner = JSON.parse(readFileSync(path, 'utf8')) as { pid?: unknown };
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

/**
 * Takes the cross-process lock that makes several processes starting together
 * produce an artifact once: an exclusively created file holding the owner's
 * pid. A lock whose owner died, or older than `staleMs`, is taken over.
 * Returns undefined when another live process holds it, or when the lock
 * cannot be created at all (then production is skipped, never the compile).
 */
export function tryAcquireProducerLock(path: string, staleMs: number): ProducerLock | undefined {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      mkdirSync(dirname(path), { recursive: true });
      const fd = openSync(path, 'wx');
      try {
        writeSync(fd, JSON.stringify({ pid: process.pid, at: Date.now() }));
      } finally {
        closeSync(fd);
      }
      let released = false;
      return {
        path,
        handOver: (pid) => {
          if (!released) writeOwner(path, pid);
        },
        release: () => {
          if (released) return;
          released = true;
          rmSync(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return undefined;
      if (!isStale(path, staleMs)) return undefined;
      rmSync(path, { force: true });
      rmSync(`${path}.job`, { force: true }); // the job of a producer that died before reading it
    }
  }
  return undefined;
}
