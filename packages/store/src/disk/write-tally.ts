import path from 'node:path';
import { toFault, type FaultRecord } from '../faults/fault-reporter.js';
import { isMissing, readIfExists, removeIfExists } from './fs-helpers.js';
import { nodeBuiltin, nodeCrypto } from '../node/node-builtin.js';
import type { FsFileHandle, FsLayer } from './fs-layer.js';
import { numberField, parseJson } from './json-record.js';
import type { Layout } from './layout.js';

const { constants } = nodeBuiltin<typeof import('node:fs')>('node:fs');

/*
 * The write tally: what every process wrote to the cache directory since the
 * last cleanup started, kept in three append-only files of `.store` that a
 * cleanup creates, names in `last-cleanup.json` (`tally`) and replaces:
 *
 * ```
 * .store/written-<16 hex>.entries   one byte per entry a put added
 * .store/written-<16 hex>.bytes     one byte per whole TALLY_UNIT (4 KiB) of the bytes a put added
 * .store/written-<16 hex>.rest      one byte per TALLY_REST_UNIT (64 bytes), or part of one, of the rest
 * ```
 *
 * A put appends to all three (`O_APPEND`: concurrent appends of many
 * processes are all kept) and reads their sizes, so a process that writes
 * once and exits still sees what every other process wrote since the last
 * scan: the directory's size is then at most the last cleanup's record plus
 * the tally. The tally never counts a write for less than it is (the whole
 * units are rounded down, the rest up; at most 63 bytes more each), so the
 * put that takes the directory past a limit always sees it past. (Bytes
 * rounded to 4 KiB units at random, up or down, could hide that put: two
 * 8 kB entries tallied as one unit each hid 8 kB, and the put that took a
 * 100 kB directory to 105 kB did not clean.) Files
 * are only appended to, never created, by a put (`O_APPEND` without
 * `O_CREAT`): a tally a cleanup replaced and removed is ENOENT, which sends
 * the writer to read the new record.
 */

/** One byte of the bytes tally per whole this many bytes a put wrote (the rest goes to the rest tally). */
export const TALLY_UNIT = 4096;

/**
 * One byte of the rest tally per this many bytes, or part of them, a put
 * wrote beyond its whole {@link TALLY_UNIT}s: a put is counted for less than
 * this many bytes more than it wrote, and appends at most this many bytes
 * to the rest tally.
 */
export const TALLY_REST_UNIT = 64;

/** A tally's files, by what they count. */
const TALLY_KINDS = ['entries', 'bytes', 'rest'] as const;

/** A tally file: `written-<token>.entries`, `.bytes` or `.rest`. */
export const TALLY_PATTERN = /^written-([0-9a-f]{16})\.(entries|bytes|rest)$/;

/** A tally token: 16 lowercase hex digits. */
const TOKEN = /^[0-9a-f]{16}$/;

/**
 * Appending to an existing file only (a removed tally must not be made
 * again), without blocking: a FIFO in a tally's place fails to open (ENXIO)
 * instead of holding the put until a reader comes.
 */
const APPEND_FLAGS = constants.O_WRONLY | constants.O_APPEND | (constants.O_NONBLOCK ?? 0);

/** Entries and bytes, of the directory or added to it. */
export interface Usage {
  readonly entries: number;
  readonly bytes: number;
}

/** What `.store/last-cleanup.json` says. */
export interface CleanupRecord {
  /** When the last cleanup started, ms. */
  readonly at?: number;
  /** The entries and bytes of the whole directory that cleanup recorded, when it says both. */
  readonly usage?: Usage;
  /** The write tally counting from that cleanup, when it made one. */
  readonly tally?: string;
}

/** Parses a `last-cleanup.json`; an unparseable or missing one says nothing. */
export function parseCleanupRecord(data: Buffer | undefined): CleanupRecord {
  const record = parseJson(data);
  if (!record) return {};
  const entries = numberField(record, 'entries');
  const bytes = numberField(record, 'bytes');
  const tally = record['tally'];
  return {
    ...(numberField(record, 'at') === undefined ? {} : { at: numberField(record, 'at') }),
    ...(entries !== undefined && bytes !== undefined ? { usage: { entries, bytes } } : {}),
    ...(typeof tally === 'string' && TOKEN.test(tally) ? { tally } : {}),
  };
}

/** Reads the directory's `.store/last-cleanup.json` (a small file of the store's, read as `readIfExists` reads them). */
export async function readCleanupRecord(fs: FsLayer, layout: Layout): Promise<CleanupRecord> {
  return parseCleanupRecord(await readIfExists(fs, layout.lastCleanup));
}

/** The path of one of a tally's files. */
export function tallyFile(layout: Layout, token: string, kind: (typeof TALLY_KINDS)[number]): string {
  return path.join(layout.storeDirectory, `written-${token}.${kind}`);
}

/** Bytes as the tally counts them: whole units of {@link TALLY_UNIT}, and the rest in units of {@link TALLY_REST_UNIT}. */
export interface TallyBytes {
  readonly units: number;
  readonly rest: number;
}

/**
 * How the tally counts `bytes` written: the whole {@link TALLY_UNIT}s, and
 * the rest in {@link TALLY_REST_UNIT}s rounded up, so that it never counts
 * a write for less than it is (a put past a limit must see it past) and
 * counts it at most 63 bytes more (an entry is at least 65 bytes: a small
 * one is not counted as 4 KiB, which would have the directory scanned long
 * before it is full). Nothing for none.
 */
export function tallyUnits(bytes: number): TallyBytes {
  if (!(bytes > 0)) return { units: 0, rest: 0 };
  const units = Math.floor(bytes / TALLY_UNIT);
  return { units, rest: Math.ceil((bytes - units * TALLY_UNIT) / TALLY_REST_UNIT) };
}

/** The bytes a tally count stands for: at least what was written, less than {@link TALLY_REST_UNIT} more per put. */
export function tallyBytes(count: TallyBytes): number {
  return count.units * TALLY_UNIT + count.rest * TALLY_REST_UNIT;
}

/** Appends `count` bytes to one tally file and returns its size after; undefined when the file does not exist. */
async function appendOne(fs: FsLayer, file: string, count: number): Promise<number | undefined> {
  let handle: FsFileHandle | undefined;
  try {
    handle = await fs.open(file, APPEND_FLAGS);
    if (count > 0) {
      const bytes = Buffer.alloc(count, 0x2e);
      let written = 0;
      while (written < count) {
        const { bytesWritten } = await handle.write(bytes, written, count - written);
        if (bytesWritten <= 0) break;
        written += bytesWritten;
      }
    }
    const stat = await handle.stat();
    return stat.isFile() ? stat.size : undefined;
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** What a tally holds: entries, and bytes as {@link tallyUnits} counts them. */
export interface TallyCount extends TallyBytes {
  readonly entries: number;
}

/**
 * Adds a put's entries and bytes (see {@link tallyUnits}) to the tally
 * `token` and returns what it holds after (every process's writes since it
 * was made): undefined when it is gone (a cleanup replaced it; read the
 * record again).
 * @throws a fault other than the tally missing.
 */
export async function appendToTally(fs: FsLayer, layout: Layout, token: string, added: TallyCount): Promise<TallyCount | undefined> {
  const [entries, units, rest] = await Promise.all([
    appendOne(fs, tallyFile(layout, token, 'entries'), added.entries),
    appendOne(fs, tallyFile(layout, token, 'bytes'), added.units),
    appendOne(fs, tallyFile(layout, token, 'rest'), added.rest),
  ]);
  return entries === undefined || units === undefined || rest === undefined ? undefined : { entries, units, rest };
}

/** What the tally `token` holds (bytes as {@link tallyBytes} counts them), without adding to it; undefined when it is gone or cannot be read. */
export async function readTally(fs: FsLayer, layout: Layout, token: string): Promise<Usage | undefined> {
  try {
    const [entries, units, rest] = await Promise.all([
      fs.stat(tallyFile(layout, token, 'entries')),
      fs.stat(tallyFile(layout, token, 'bytes')),
      fs.stat(tallyFile(layout, token, 'rest')),
    ]);
    if (!entries.isFile() || !units.isFile() || !rest.isFile()) return undefined;
    return { entries: entries.size, bytes: tallyBytes({ units: units.size, rest: rest.size }) };
  } catch {
    return undefined;
  }
}

/** What a cleanup's record of `.store/last-cleanup.json` says besides its date: the directory's usage and the write tally counting since. */
export interface RecordedUsage {
  readonly entries?: number;
  readonly bytes?: number;
  readonly tally?: string;
}

/**
 * For a cleanup starting (holding the lock): makes a new, empty write tally
 * and returns what the record it writes before its scan should say: the last
 * record's usage plus what the last tally counted since (what the directory
 * holds now, as far as is known), and the new tally's token when all its
 * files could be made (best effort: without one, writers go by their own
 * writes). Once that record is written, {@link removeOtherTallies} sends the
 * writers of the old tally to it.
 *
 * @param last the directory's last record, which the cleanup has just read.
 */
export async function startTally(fs: FsLayer, layout: Layout, last: CleanupRecord): Promise<RecordedUsage> {
  const previous = last.tally === undefined ? undefined : await readTally(fs, layout, last.tally);
  const usage = last.usage && previous ? { entries: last.usage.entries + previous.entries, bytes: last.usage.bytes + previous.bytes } : last.usage;
  const token = nodeCrypto().randomBytes(8).toString('hex');
  let made = 0;
  try {
    for (const kind of TALLY_KINDS) {
      const handle = await fs.open(tallyFile(layout, token, kind), 'wx', 0o644);
      made++;
      await handle.close();
    }
  } catch {
    // No tally this time (a full file system, say): writers go by their own writes, and the next cleanup makes one.
  }
  return { ...usage, ...(made === TALLY_KINDS.length ? { tally: token } : {}) };
}

/** Removes every tally file of `.store` but those of `keep` (the one the record names), so writers of an old one move on. */
export async function removeOtherTallies(fs: FsLayer, layout: Layout, keep: string | undefined, faults: FaultRecord[]): Promise<void> {
  let names: string[];
  try {
    names = await fs.readdir(layout.storeDirectory);
  } catch (error) {
    if (!isMissing(error)) faults.push(toFault('cleanup', error));
    return;
  }
  for (const name of names) {
    const match = TALLY_PATTERN.exec(name);
    if (!match || match[1] === keep) continue;
    await removeIfExists(fs, path.join(layout.storeDirectory, name)).catch((error: unknown) => faults.push(toFault('cleanup', error)));
  }
}
