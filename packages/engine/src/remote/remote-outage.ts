import { join } from 'node:path';
import { sha256 } from '../artifact/checksum.js';
import { makeDirectorySync } from '@cache/store';
import { writeFileWhole } from '../node/write-file-whole.js';
import { readRegularFileSync, SMALL_FILE_BYTES } from '../node/read-regular-file.js';

/**
 * How long the hooked processes sharing a cache directory leave a remote tier
 * alone after one of them found it failing: one process per period waits for
 * a Redis that does not answer (up to its connect or command timeout), not
 * every process.
 */
export const REMOTE_RETRY_AFTER_MS = 30_000;

/** When a remote tier was last found failing, and by which process. */
export interface RemoteOutage {
  readonly at: number;
  readonly pid: number;
}

/**
 * A note in the cache directory, one per remote server, that the remote tier
 * failed a read or left a write unanswered: written by the process that met
 * the fault, read by every hooked process before it loads the Redis client or
 * connects. Notes are advice: one that cannot be read or written changes
 * nothing but the wait.
 */
export class RemoteOutageNote {
  /** The note's file. */
  readonly path: string;

  /**
   * @param directory the cache directory
   * @param server what names the server (its URL; only a digest of it is kept, as it may hold a password)
   */
  constructor(directory: string, server: string) {
    const id = sha256(Buffer.from(server, 'utf8')).toString('hex').slice(0, 16);
    this.path = join(directory, '.remote', `unavailable-${id}.json`);
  }

  /** The outage noted less than {@link REMOTE_RETRY_AFTER_MS} ago, if any. */
  recent(now: number = Date.now()): RemoteOutage | undefined {
    let note: unknown;
    try {
      note = JSON.parse(readRegularFileSync(this.path, SMALL_FILE_BYTES).toString('utf8'));
    } catch {
      return undefined; // none, or unreadable: try the tier
    }
    if (typeof note !== 'object' || note === null) return undefined;
    const { at, pid } = note as { at?: unknown; pid?: unknown };
    if (typeof at !== 'number' || typeof pid !== 'number') return undefined;
    // A note from the future (a clock set back) is as stale as an old one.
    return at <= now && now - at < REMOTE_RETRY_AFTER_MS ? { at, pid } : undefined;
  }

  /** Notes an outage now, whole or not at all. */
  write(now: number = Date.now()): void {
    try {
      makeDirectorySync(join(this.path, '..'));
      writeFileWhole(this.path, JSON.stringify({ at: now, pid: process.pid } satisfies RemoteOutage));
    } catch {
      // A cache directory that cannot be written: every process then waits for the tier itself.
    }
  }
}
