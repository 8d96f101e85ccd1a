import { nodeBuiltin } from '../node/node-builtin.js';
import { readRegularFileSync, SMALL_FILE_BYTES } from '../node/read-regular-file.js';

const { rmSync, writeFileSync } = nodeBuiltin<typeof import('node:fs')>('node:fs');

/**
 * What a store decided about an artifact a producer made, for as long as the
 * store's settings that decided it are unchanged: a module whose artifact is
 * larger than the capacity is refused every time, and producing it again costs
 * a full optimizing compile (30 s of CPU for duckdb-wasm) each run.
 */
export interface RefusalNote {
  /** The store's reason. */
  readonly reason: string;
  /** The capacity (bytes) the store had. */
  readonly capacity: number;
  /** Whether it compressed entries (a compressed entry may fit where a plain one did not). */
  readonly compression: boolean;
}

/** The note beside a producer lock saying the store refused that key's artifact. */
export function refusalNotePath(lockPath: string): string {
  return `${lockPath}.refused`;
}

/**
 * Leaves a refusal note beside the lock. Only for a refusal without a fault:
 * a full disk or a permission may be gone by the next run; a capacity is not.
 * Best effort: nothing else depends on it.
 */
export function leaveRefusalNote(lockPath: string, note: RefusalNote): void {
  try {
    writeFileSync(refusalNotePath(lockPath), JSON.stringify(note), { mode: 0o600 });
  } catch {
    // The next process produces the artifact again, and learns the same.
  }
}

/**
 * The refusal that still holds for a key under these settings, or undefined.
 * A note left under other settings (the capacity was raised, compression
 * turned on), or one that cannot be read, is removed: the next production
 * decides again.
 */
export function refusalStillHolding(lockPath: string, settings: { readonly capacity: number; readonly compression: boolean }): RefusalNote | undefined {
  const path = refusalNotePath(lockPath);
  let note: Partial<RefusalNote>;
  try {
    note = JSON.parse(readRegularFileSync(path, SMALL_FILE_BYTES).toString('utf8')) as Partial<RefusalNote>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // the usual case
    note = {};
  }
  if (note.capacity === settings.capacity && note.compression === settings.compression && typeof note.reason === 'string') {
    return { reason: note.reason.slice(0, 2000), capacity: note.capacity, compression: note.compression };
  }
  try {
    rmSync(path, { force: true });
  } catch {
    // A folder in its place: production goes on; the note is never read as one.
  }
  return undefined;
}
