import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { ARTIFACT_VERSION, ArtifactInvalidError, decodeArtifact, peekLayoutVersion } from '@cache/engine';
import { CODEC_NONE, hashKey, HEADER_LENGTH, Layout, parseHeader, readDirectoryStats } from '@cache/store';
import { resolveCliConfig, type GlobalOptions } from '../../context/cli-config.js';
import { counted } from '../../output/plural.js';
import { startProgress } from '../../output/progress.js';
import { formatBytes, formatMs, out, table } from '../../output/style.js';
import { cleanDirectory, forEachNamespace, forEachNamespaceRemoving, listNamespaces, type RemovalWork } from './open-namespaces.js';

type JsonOption = GlobalOptions & { json?: boolean };

function print(json: boolean | undefined, data: unknown, human: () => string): void {
  console.log(json ? JSON.stringify(data, null, 2) : human());
}

/** `cache path`: the cache directory. */
export function cachePath(options: GlobalOptions): void {
  console.log(resolveCliConfig(options).config.directory);
}

/** `cache stats`: the store's counters summed over every process that used the directory, like `ccache -s`. */
export async function cacheStats(options: JsonOption): Promise<void> {
  const { config } = resolveCliConfig(options);
  // readDirectoryStats reads what it can; a directory that cannot be read at all is an error, not zero statistics.
  await listNamespaces(config.directory);
  const stats = await readDirectoryStats(config.directory);
  print(options.json, stats, () => {
    const t = stats.total;
    const lookups = t.hits + t.misses;
    const rate = lookups === 0 ? '-' : `${((t.hits / lookups) * 100).toFixed(1)}%`;
    const entries = stats.namespaces.reduce((sum, n) => sum + (n.entries ?? 0), 0);
    const bytes = stats.namespaces.reduce((sum, n) => sum + (n.bytes ?? 0), 0);
    const rows = [
      ['cache directory', stats.directory],
      ['engine fingerprints', String(stats.namespaces.length)],
      // The store's own read counters: one engine lookup can be two reads (a hot-tier engine that finds no hot
      // artifact reads the full one too), so these are not the engine's hits and misses.
      ['store reads: hits', String(t.hits)],
      ['store reads: misses', String(t.misses)],
      ['read hit rate', rate],
      ['writes', String(t.writes)],
      ['bytes read', formatBytes(t.bytesRead)],
      ['bytes written', formatBytes(t.bytesWritten)],
      ['evictions', String(t.evictions)],
      ['corrupt entries found', t.corruptEntries > 0 ? out.yellow(String(t.corruptEntries)) : '0'],
      ['faults', t.errors > 0 ? out.yellow(String(t.errors)) : '0'],
      ['time in the store', formatMs(t.timeSpentMs)],
      ['entries (last cleanup)', String(entries)],
      ['size (last cleanup)', `${formatBytes(bytes)} of ${formatBytes(config.capacity)}`],
    ];
    return table(rows.map(([k, v]) => [out.bold(k ?? ''), v ?? '']));
  });
}

/** `cache ls`: every entry with its size on disk. */
export async function cacheList(options: JsonOption): Promise<void> {
  const { config } = resolveCliConfig(options);
  // key null: an entry file whose header names no key (damaged, cut short); `cache verify` and `cache clear` remove it.
  const entries: Array<{ namespace: string; key: string | null; bytes: number; lastUsed: string; file?: string }> = [];
  await forEachNamespace(config, async (store, namespace) => {
    const layout = new Layout(config.directory, namespace);
    const add = async (file: string, key: string | null): Promise<void> => {
      const info = await stat(file).catch(() => undefined);
      if (info) entries.push({ namespace, key, bytes: info.size, lastUsed: info.mtime.toISOString(), ...(key === null ? { file } : {}) });
    };
    for await (const key of store.keys()) await add(layout.entry(hashKey(key)), key);
    for (const file of await store.unreadableEntries()) await add(file, null);
  });
  print(options.json, entries, () =>
    entries.length === 0
      ? `No entries in ${config.directory}`
      : table([
          ['fingerprint', 'key', 'size', 'written'].map((h) => out.bold(h)),
          ...entries.map((e) => [e.namespace, e.key ?? out.yellow(`(damaged: no key) ${basename(e.file ?? '')}`), formatBytes(e.bytes), e.lastUsed]),
        ]),
  );
}

/** An engine artifact's key: its module's hash or sampled lookup id (`s` + hex), and its tier. */
const ARTIFACT_KEY = /^s?[0-9a-f]{64}\.(full|hot)$/;

/** A damaged entry `verify` found: what is wrong, and whether it is gone now. */
interface Damaged {
  namespace: string;
  /** null: an entry file whose header names no key, which no read reaches (its file is given instead). */
  key: string | null;
  file?: string;
  /** What is wrong, then what became of it: `(removed)`, `(could not be removed: EACCES)`… */
  reason: string;
  /** Whether the entry is gone: false when its removal failed. */
  removed: boolean;
}

/** An intact entry `verify` did not read: larger than this store's capacity (a store of a larger one wrote it). */
interface NotRead {
  namespace: string;
  key: string;
  reason: string;
}

/**
 * What became of a damaged entry's removal, said only as it happened:
 * `fault`, the store's fault removing it; else `removed` (this command or
 * the store removed it), else it was gone already (removed meanwhile by
 * another process).
 */
function removalOutcome(what: string, removed: boolean, fault: { readonly code: string } | undefined, removedBy = 'removed'): Pick<Damaged, 'reason' | 'removed'> {
  if (fault) return { reason: `${what} (could not be removed: ${fault.code})`, removed: false };
  return { reason: `${what} (${removed ? removedBy : 'already gone'})`, removed: true };
}

/**
 * Why an entry the store gave nothing for, without counting it damaged, was
 * not read: larger than the capacity on disk, or holding more than it once
 * decompressed, or compressed and not decompressed in this process (no zstd
 * codec, or a payload that could decompress to far more than it holds, which
 * a codec that cannot stop at a length does not decompress). Undefined when
 * there is no such entry (removed meanwhile).
 */
async function notReadReason(file: string, capacity: number): Promise<string | undefined> {
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) return undefined;
  if (info.size > capacity) return `larger than this store's capacity (${capacity} bytes): not read`;
  const handle = await open(file, 'r').catch(() => undefined);
  if (!handle) return undefined;
  try {
    const head = Buffer.alloc(HEADER_LENGTH);
    const { bytesRead } = await handle.read(head, 0, HEADER_LENGTH, 0);
    const header = parseHeader(head.subarray(0, bytesRead));
    if (typeof header === 'string') return undefined;
    if (header.contentLength > capacity) return `holds ${header.contentLength} bytes, more than this store's capacity (${capacity} bytes): not read`;
    if (header.codec !== CODEC_NONE) return 'compressed, and not decompressed in this process (no zstd codec here, or a payload that could decompress to far more than it holds): not read';
    return undefined;
  } finally {
    await handle.close();
  }
}

/**
 * `cache verify`: reads every entry as a check, not a use (no hit counted, and
 * what a cleanup evicts first unchanged; the store checks its checksum and
 * removes a damaged one), removes entry files whose header names no key (no
 * read reaches them), and checks engine artifacts' own layout and checksum too
 * (of both tiers, under a module hash or a sampled lookup id), removing any
 * that fail. An artifact of another layout version, made by another version
 * of @cache/engine (one that may still be running, sharing the directory), is
 * not damaged: it is reported and kept. One of this layout that this version
 * cannot read (an unknown tier or checksum kind) is damaged. A damaged entry
 * that could not be removed is reported as such, and the command then fails.
 * An entry larger than the capacity of the store verify opens (written by a
 * store of a larger capacity sharing the directory) is not read, nor
 * removed: it is reported as not read (`notRead`, in the JSON only when
 * there is one), and is no failure.
 *
 * @throws CliError (exit 1) after the report when an entry could not be removed; before any for another fault.
 */
export async function cacheVerify(options: JsonOption): Promise<void> {
  const { config } = resolveCliConfig(options);
  const progress = startProgress('verifying');
  let checked = 0;
  const damaged: Damaged[] = [];
  const otherVersion: Array<{ namespace: string; key: string; reason: string }> = [];
  const notRead: NotRead[] = [];
  let work: RemovalWork<void>;
  try {
    work = await forEachNamespaceRemoving(config, async (store, namespace, removalFault) => {
      const layout = new Layout(config.directory, namespace);
      const keys: string[] = [];
      for await (const key of store.keys()) keys.push(key);
      for (const key of keys) {
        checked += 1;
        progress.update(`verifying ${counted(checked, 'entry', 'entries')}`);
        const file = layout.entry(hashKey(key));
        const corruptBefore = store.stats().corruptEntries;
        // A check, not a use: no hit counted, and the entry's recency (what a cleanup evicts first) unchanged.
        const value = await store.inspect(key);
        if (store.stats().corruptEntries > corruptBefore) {
          // The store removes a damaged entry it reads, and publishes a fault when it cannot.
          damaged.push({ namespace, key, ...removalOutcome('checksum mismatch', true, removalFault(file), 'removed by the store') });
          continue;
        }
        if (value === undefined) {
          // Not read, and not damaged (a store of a larger capacity wrote it, or it cannot be decompressed here): say so
          // rather than pass it.
          const reason = await notReadReason(file, config.capacity);
          if (reason !== undefined) notRead.push({ namespace, key, reason });
          continue;
        }
        if (value && ARTIFACT_KEY.test(key)) {
          try {
            decodeArtifact(value);
          } catch (error) {
            if (!(error instanceof ArtifactInvalidError)) throw error;
            if (error.defect === 'unsupported-version' && peekLayoutVersion(value) !== ARTIFACT_VERSION) {
              otherVersion.push({ namespace, key, reason: error.message });
              continue;
            }
            const removed = await store.delete(key);
            damaged.push({ namespace, key, ...removalOutcome(error.defect, removed, removed ? undefined : removalFault(file)) });
          }
        }
      }
      for (const { file, outcome, code = 'EUNKNOWN' } of await store.removeUnreadableEntries()) {
        checked += 1;
        damaged.push({ namespace, key: null, file, ...removalOutcome('its header names no key', outcome === 'removed', outcome === 'failed' ? { code } : undefined) });
      }
    });
  } finally {
    progress.stop();
  }
  const stuck = damaged.filter((d) => !d.removed).length;
  const findings = [
    ...(damaged.length === 0 ? [] : [out.yellow(`${damaged.length} damaged, ${stuck === 0 ? 'removed' : `${stuck} could not be removed`}`)]),
    ...(notRead.length === 0 ? [] : [out.yellow(`${notRead.length} not read`)]),
  ];
  print(options.json, { checked, damaged, otherVersion, ...(notRead.length === 0 ? {} : { notRead }) }, () =>
    [
      `Checked ${counted(checked, 'entry', 'entries')}: ${findings.length === 0 ? out.green('all intact') : findings.join('; ')}`,
      ...damaged.map((d) => `  ${d.key ?? d.file ?? ''}: ${d.reason}`),
      ...notRead.map((d) => `  ${d.key}: ${d.reason}`),
      ...(otherVersion.length === 0 ? [] : [`${otherVersion.length} made by another version of @cache/engine, kept:`, ...otherVersion.map((d) => `  ${d.key}: ${d.reason}`)]),
    ].join('\n'),
  );
  if (work.failure) throw work.failure;
}

/**
 * `cache gc`: evicts down to the limits now, ignoring the cleanup interval.
 * The limits bound the whole directory, so this is one cleanup of every
 * namespace together, and its report is the directory's.
 */
export async function cacheGc(options: JsonOption): Promise<void> {
  const { config } = resolveCliConfig(options);
  const { namespaces, report } = await cleanDirectory(config);
  const result = {
    directory: config.directory,
    namespaces,
    ran: report?.ran ?? false,
    // No namespace: nothing to clean, so no cleanup ran.
    reason: report?.reason ?? 'empty',
    evicted: report?.evicted ?? 0,
    evictedBytes: report?.evictedBytes ?? 0,
    entries: report ? report.entries : 0,
    bytes: report ? report.bytes : 0,
    staleTempsRemoved: report?.staleTempsRemoved ?? 0,
    limits: { bytes: config.capacity, entries: config.fileCountSoftLimit },
  };
  print(options.json, result, () =>
    [
      `Evicted ${counted(result.evicted, 'entry', 'entries')} (${formatBytes(result.evictedBytes)}); limits: ${formatBytes(config.capacity)}, ${counted(config.fileCountSoftLimit, 'entry', 'entries')}.`,
      ...(result.reason === 'locked' ? ['Another process is cleaning the cache directory now; run `cache gc` again later.'] : []),
    ].join('\n'),
  );
}

/** An entry `clear` could not remove, and the store's fault code for it (`EACCES`, `EPERM`, ...). */
interface NotRemoved {
  namespace: string;
  /** null: an entry file whose header names no key (its file is given instead). */
  key: string | null;
  file?: string;
  code: string;
}

/**
 * `cache clear`: removes every entry the cache created, damaged ones included
 * (never other files). Those it could not remove are listed with the
 * store's fault code, and the command then fails.
 *
 * @throws CliError (exit 1) after the report when an entry could not be removed; before any for another fault.
 */
export async function cacheClear(options: JsonOption): Promise<void> {
  const { config } = resolveCliConfig(options);
  const { results, failure } = await forEachNamespaceRemoving(config, async (store, namespace, removalFault) => {
    const layout = new Layout(config.directory, namespace);
    const keys: string[] = [];
    for await (const key of store.keys()) keys.push(key);
    let removed = 0;
    const notRemoved: NotRemoved[] = [];
    for (const key of keys) {
      if (await store.delete(key)) removed += 1;
      else {
        // false without a fault: gone already (removed meanwhile), nothing to say.
        const fault = removalFault(layout.entry(hashKey(key)));
        if (fault) notRemoved.push({ namespace, key, code: fault.code });
      }
    }
    // And the entry files whose header names no key, which no key reaches.
    for (const { file, outcome, code = 'EUNKNOWN' } of await store.removeUnreadableEntries()) {
      if (outcome === 'removed') removed += 1;
      else if (outcome === 'failed') notRemoved.push({ namespace, key: null, file, code });
    }
    return { removed, notRemoved };
  });
  const removed = results.reduce((sum, r) => sum + r.result.removed, 0);
  const notRemoved = results.flatMap((r) => r.result.notRemoved);
  print(options.json, { removed, notRemoved }, () =>
    notRemoved.length === 0
      ? `Removed ${counted(removed, 'entry', 'entries')} from ${config.directory}.`
      : [`Removed ${counted(removed, 'entry', 'entries')} from ${config.directory}; ${notRemoved.length} could not be removed:`, ...notRemoved.map((n) => `  ${n.key ?? n.file ?? ''}: ${n.code}`)].join('\n'),
  );
  if (failure) throw failure;
}
