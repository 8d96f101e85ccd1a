import { join } from 'node:path';
import { nodeBuiltin } from '../node/node-builtin.js';

const { lstatSync, readdirSync, rmSync } = nodeBuiltin<typeof import('node:fs')>('node:fs');

/**
 * The youngest a job file is removed at, whatever the task timeout: a producer
 * reads its job as it starts, so one this old was never read, even on a
 * machine too loaded to start a process for minutes.
 */
export const ABANDONED_JOB_MIN_AGE_MS = 10 * 60 * 1000;

/** Folders swept by this process: once each is enough (every process that starts a producer sweeps). */
const swept = new Set<string>();

/**
 * Removes the job files in a producer folder that no producer will read: a
 * `.job` (a full-tier production's module) or `.deliver` (an artifact saved at
 * exit) older than `timeoutMs` and {@link ABANDONED_JOB_MIN_AGE_MS}. A producer
 * removes its job once read, so such a file stays only when its producer was
 * killed first (SIGKILL, out of memory, a reboot), and it can be as large as
 * an artifact. Once per folder per process; best effort, never throws.
 *
 * Locks (a few dozen bytes, taken over when stale) and failure notes (said and
 * removed by the next production of their key) are left alone.
 *
 * @returns the files removed.
 */
export function sweepAbandonedJobs(folder: string, timeoutMs: number, now = Date.now()): string[] {
  if (swept.has(folder)) return [];
  swept.add(folder);
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return removed; // no folder yet (the usual first time), or unreadable: nothing to sweep
  }
  const oldest = now - Math.max(timeoutMs, ABANDONED_JOB_MIN_AGE_MS);
  for (const name of names) {
    if (!name.endsWith('.job') && !name.endsWith('.deliver')) continue;
    const path = join(folder, name);
    try {
      // lstat: a link is judged, and removed, as itself; its target is never touched.
      if (lstatSync(path).mtimeMs > oldest) continue;
      rmSync(path, { force: true });
      removed.push(path);
    } catch {
      // Gone meanwhile, or a folder in its place: nothing of ours to remove.
    }
  }
  return removed;
}
