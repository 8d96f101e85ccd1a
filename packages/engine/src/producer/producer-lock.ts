import { makeDirectorySync } from '@cache/store';
import { dirname } from 'node:path';
import { nodeBuiltin } from '../node/node-builtin.js';
import { readRegularFileAndStatsSync, readRegularFileSync, SMALL_FILE_BYTES } from '../node/read-regular-file.js';

const { openSync, rmSync, statSync, writeSync, closeSync, linkSync, readFileSync, readlinkSync, renameSync, utimesSync } = nodeBuiltin<typeof import('node:fs')>('node:fs');

/** How often the process named in a lock refreshes its modification time: a lock's age is the time since its last heartbeat. */
export const LOCK_HEARTBEAT_MS = 2000;

/**
 * The age at which a lock written in another PID namespace (another container
 * sharing the cache folder) is stale: its pid means nothing here, so only its
 * heartbeat tells that its producer lives. A few heartbeats, so a busy event
 * loop does not lose a live producer its lock.
 */
export const FOREIGN_LOCK_STALE_MS = 8 * LOCK_HEARTBEAT_MS;

/** A held lock: write the pid of the process doing the work, release when done. */
export interface ProducerLock {
  readonly path: string;
  /** Records the pid of the process that now does the work (the producer child). */
  handOver(pid: number): void;
  release(): void;
}

/** What a lock file holds. Locks of earlier versions hold only `pid` and `at`. */
interface LockOwner {
  readonly pid?: unknown;
  readonly at?: unknown;
  /** The PID namespace (and machine) the pid belongs to: see {@link pidNamespace}. */
  readonly ns?: unknown;
  /** This holding of the lock, unique: a lock taken over since has another. */
  readonly id?: unknown;
}

let namespaceId: string | undefined;

/**
 * Which pids this process can judge: its PID namespace (the inode of
 * /proc/self/ns/pid) on this boot of this machine (the kernel's boot id), or,
 * where there is no /proc, the host name. Two containers sharing a cache
 * volume have different ones: a pid in the other's lock is not a process here.
 */
export function pidNamespace(): string {
  if (namespaceId !== undefined) return namespaceId;
  try {
    const namespace = readlinkSync('/proc/self/ns/pid'); // "pid:[4026531836]"
    let boot = '';
    try {
      boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      // Without a boot id, the namespace alone.
    }
    namespaceId = `${boot}/${namespace}`;
  } catch {
    namespaceId = `host:${nodeBuiltin<typeof import('node:os')>('node:os').hostname()}`;
  }
  return namespaceId;
}

/** Whether a process of this PID namespace has `pid` (one of another user's counts: EPERM). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether a lock's pid is one of this namespace's (old locks, with none recorded, were written by a process that judged them here too). */
function ownNamespace(owner: LockOwner): boolean {
  return owner.ns === undefined || owner.ns === pidNamespace();
}

/** A lock file as read once: its bytes, its owner when they parse, and the file's identity then. */
interface LockSnapshot {
  readonly text: string;
  readonly owner: LockOwner | undefined;
  readonly ino: number;
  readonly mtimeMs: number;
  readonly size: number;
}

/**
 * Reads a lock (its bytes only when it is a small regular file, as
 * {@link readRegularFileSync}); undefined when there is none. One that cannot
 * be read (its mode) is judged by its age.
 */
function snapshot(path: string): LockSnapshot | undefined {
  let read: { bytes: Buffer; stats: { ino: number; mtimeMs: number; size: number } };
  try {
    read = readRegularFileAndStatsSync(path, SMALL_FILE_BYTES);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    // Not a small regular file, or one that cannot be read (its mode): its age alone.
    try {
      const stats = statSync(path);
      return { text: '', owner: undefined, ino: stats.ino, mtimeMs: stats.mtimeMs, size: stats.size };
    } catch {
      return undefined;
    }
  }
  const text = read.bytes.toString('utf8');
  let owner: LockOwner | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null) owner = parsed as LockOwner;
  } catch {
    // Unreadable or half-written (an earlier version wrote it in two steps): judged by age alone.
  }
  const { ino, mtimeMs, size } = read.stats;
  return { text, owner, ino, mtimeMs, size };
}

/** Whether two reads of a lock saw the same file, unchanged (a heartbeat changes its time). */
function sameLock(a: LockSnapshot, b: LockSnapshot): boolean {
  return a.ino === b.ino && a.mtimeMs === b.mtimeMs && a.size === b.size && a.text === b.text;
}

/**
 * True when a lock is abandoned. One written in this PID namespace (or by an
 * earlier version) is abandoned when its owner is dead, or older than
 * `staleMs`; one written in another namespace, whose pid cannot be judged
 * here, when it has had no heartbeat for {@link FOREIGN_LOCK_STALE_MS} (or
 * `staleMs`, if shorter).
 */
function isStale(lock: LockSnapshot, staleMs: number): boolean {
  const age = Date.now() - lock.mtimeMs;
  const owner = lock.owner;
  if (owner === undefined || typeof owner.pid !== 'number') return age > staleMs;
  if (!ownNamespace(owner)) return age > Math.min(staleMs, FOREIGN_LOCK_STALE_MS);
  return !isAlive(owner.pid) || age > staleMs;
}

/** A fresh id for one holding of a lock. */
function holdingId(): string {
  return `${process.pid.toString(36)}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

function ownerText(pid: number, id: string): string {
  return JSON.stringify({ pid, at: Date.now(), ns: pidNamespace(), id });
}

/** Whether the lock at `path` is still the holding `id` (not taken over since, nor removed). */
function stillHeld(path: string, id: string): LockSnapshot | undefined {
  try {
    const lock = snapshot(path);
    return lock?.owner?.id === id ? lock : undefined;
  } catch {
    return undefined;
  }
}

/** Refreshes a lock's modification time: its heartbeat. Best effort. */
function touch(path: string): void {
  try {
    const now = new Date();
    utimesSync(path, now, now);
  } catch {
    // Gone meanwhile, or the disk refuses: the lock ages, and is taken over once stale.
  }
}

/**
 * Refreshes the lock every {@link LOCK_HEARTBEAT_MS} while it is still holding
 * `id` and `alive()` says its work goes on; unref'd, it never keeps a process
 * alive. Returns the function that stops it.
 */
function heartbeat(path: string, id: string, alive: (owner: LockOwner) => boolean): () => void {
  const timer = setInterval(() => {
    const lock = stillHeld(path, id);
    if (lock?.owner === undefined || !alive(lock.owner)) {
      clearInterval(timer);
      return;
    }
    touch(path);
  }, LOCK_HEARTBEAT_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/** How old a takeover marker is when the process that made it died before removing it (a takeover takes microseconds). */
const ABANDONED_TAKEOVER_MS = FOREIGN_LOCK_STALE_MS;

/**
 * Removes a lock judged stale, unless another process took it over (or its
 * holder refreshed it) since it was judged: only the process that creates the
 * takeover marker named after that lock's identity may remove it, and only
 * once it has checked that the lock is still the one judged; what it moved
 * aside is checked again, and put back if it is another. Without this, a
 * process that judged the old lock stale could remove a lock another had just
 * created in its place, and two would hold it. Returns whether it was removed.
 */
function takeOver(path: string, judged: LockSnapshot): boolean {
  const marker = `${path}.${judged.ino.toString(36)}-${Math.round(judged.mtimeMs * 1000).toString(36)}.takeover`;
  try {
    closeSync(openSync(marker, 'wx'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // Another process is taking this lock over; or one died doing it, and its marker would block the lock for ever.
    try {
      if (Date.now() - statSync(marker).mtimeMs > ABANDONED_TAKEOVER_MS) rmSync(marker, { force: true });
    } catch {
      // Removed meanwhile: its takeover is done.
    }
    return false;
  }
  try {
    const now = snapshot(path);
    if (now === undefined || !sameLock(now, judged)) return false;
    const removedAt = Date.now();
    const aside = `${marker}.old`;
    renameSync(path, aside);
    const moved = snapshot(aside);
    if (moved === undefined || !sameLock(moved, judged)) {
      // A lock created in its place since the check above (its holder released it, another took it): put back.
      try {
        linkSync(aside, path);
      } catch {
        // A third one in its place already: it holds the lock.
      }
      rmSync(aside, { force: true });
      return false;
    }
    rmSync(aside, { force: true });
    removeOlderJob(`${path}.job`, removedAt); // the job of a producer that died before reading it
    return true;
  } finally {
    rmSync(marker, { force: true });
  }
}

/** Removes a lock's job file if it was written before `before`: a newer one is the next holder's. */
function removeOlderJob(path: string, before: number): void {
  try {
    if (statSync(path).mtimeMs < before) rmSync(path, { force: true });
  } catch {
    // None (the usual case).
  }
}

/** What trying the lock gave: the lock, another live holder, or a fault (the folder cannot be written). */
export type ProducerLockAttempt = { readonly lock: ProducerLock } | { readonly busy: true } | { readonly fault: string };

/**
 * Takes the cross-process lock that makes several processes starting together
 * produce an artifact once: an exclusively created file holding the owner's
 * pid, PID namespace and a holding id. A lock whose owner died, or older than
 * `staleMs`, is taken over (see {@link isStale} for a lock of another
 * namespace); the process named in it refreshes it every
 * {@link LOCK_HEARTBEAT_MS}, so a live producer's lock is never old.
 * Another live holder is `busy`; a lock that cannot be created at all
 * (a read-only or full disk) is a `fault`, with its reason: production is then
 * skipped, never the compile.
 */
export function tryAcquireProducerLock(path: string, staleMs: number): ProducerLockAttempt {
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const id = holdingId();
    try {
      makeDirectorySync(dirname(path));
      const fd = openSync(path, 'wx');
      try {
        writeSync(fd, ownerText(process.pid, id));
      } catch (error) {
        // Created but not written (a full disk): an empty lock would read as busy until it is stale (up to
        // optimizing-compression-task-timeout), so no later process would produce the artifact meanwhile.
        closeSync(fd);
        rmSync(path, { force: true });
        throw error;
      }
      closeSync(fd);
      return { lock: heldLock(path, id) };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') return { fault: `the producer lock ${path} could not be created (${code ?? String(error)})` };
      try {
        const existing = snapshot(path);
        if (existing === undefined) continue; // released meanwhile: try again
        if (!isStale(existing, staleMs)) return { busy: true };
        if (!takeOver(path, existing)) return { busy: true };
      } catch (removeError) {
        return { fault: `a stale producer lock ${path} could not be removed (${(removeError as NodeJS.ErrnoException).code ?? String(removeError)})` };
      }
    }
  }
  return { busy: true };
}

/** The lock this process just created, holding `id`: refreshed while this process or the producer it hands it to lives. */
function heldLock(path: string, id: string): ProducerLock {
  let released = false;
  // After a hand-over the producer refreshes the lock itself; this process goes on doing it while the producer
  // lives (it may be busy starting), and stops once it is gone: a dead producer's lock must age.
  const stop = heartbeat(path, id, (owner) => owner.pid === process.pid || (typeof owner.pid === 'number' && isAlive(owner.pid)));
  return {
    path,
    handOver: (pid) => {
      if (released || stillHeld(path, id) === undefined) return; // finished already (its producer removed it), or taken over
      // Written aside and renamed over: a reader never sees it half-written.
      const next = `${path}.${process.pid}.handover`;
      try {
        const fd = openSync(next, 'w');
        try {
          writeSync(fd, ownerText(pid, id));
        } finally {
          closeSync(fd);
        }
        renameSync(next, path);
      } catch {
        rmSync(next, { force: true });
      }
    },
    release: () => {
      if (released) return;
      released = true;
      stop();
      if (stillHeld(path, id)) rmSync(path, { force: true });
    },
  };
}

/** A producer's hold on the lock its parent took for its job. */
export interface AdoptedProducerLock {
  /** Removes the lock, if it is still this job's (never one another process has taken over since). */
  release(): void;
}

/**
 * The lock a producer was started under, adopted: while it names this
 * process (or the parent that handed it over, until it does) in this
 * namespace, the producer refreshes it every {@link LOCK_HEARTBEAT_MS}, so
 * a parent's exit does not leave it to age, and removes it when done. A lock
 * that names another process already (taken over while the producer started)
 * is left alone.
 */
export function adoptProducerLock(path: string): AdoptedProducerLock | undefined {
  const parent = process.ppid;
  const ours = (owner: LockOwner): boolean => ownNamespace(owner) && (owner.pid === process.pid || owner.pid === parent);
  let lock: LockSnapshot | undefined;
  try {
    lock = snapshot(path);
  } catch {
    return undefined;
  }
  const id = lock?.owner?.id;
  if (lock?.owner === undefined || typeof id !== 'string' || !ours(lock.owner)) return undefined;
  const stop = heartbeat(path, id, ours);
  let released = false;
  return {
    release: () => {
      if (released) return;
      released = true;
      stop();
      const now = stillHeld(path, id);
      if (now?.owner !== undefined && ours(now.owner)) rmSync(path, { force: true });
    },
  };
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
