import diagnostics from 'node:diagnostics_channel';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { CacheConfig } from '@cache/config';
import { DiskStore, errorCode, FORMAT_DIRECTORY, isNamespace, type CleanupReport, type FaultMessage } from '@cache/store';
import { CliError, EXIT } from '../../errors/cli-error.js';

/** The channel the store publishes the faults it absorbs on (`@cache/store`'s `CHANNELS.fault`). */
const FAULT_CHANNEL = 'cache:store:fault';

/**
 * The store's bookkeeping (usage counts, statistics, the cleanup it runs on
 * its own when it closes): a fault there is not the command's work failing
 * (listing or verifying a read-only cache works), so it stays the store's
 * warning. For `cache gc` the cleanup is the work.
 */
const BOOKKEEPING = new Set(['record-use', 'write-stats', 'background', 'cleanup', 'evict']);
const CLEANUP = new Set(['cleanup', 'evict']);

/**
 * The namespaces (engine fingerprints) present in a cache directory. A
 * directory that does not exist yet holds none; one that cannot be read is an
 * error, never an empty cache.
 *
 * @throws CliError (exit 1) naming the directory and the system's code (EACCES, ENOTDIR, ...).
 */
export async function listNamespaces(directory: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT') return [];
    throw new CliError(`Cannot read cache directory ${directory}: ${code} (${error instanceof Error ? error.message : String(error)})`, EXIT.failure);
  }
  // What the store's own cleanup takes for a namespace: a valid name holding the entries layout. Anything else
  // (dot-folders, an older layout's `_old`, foreign folders) is not the store's to open.
  return names.filter((name) => isNamespace(name) && existsSync(join(directory, name, FORMAT_DIRECTORY, 'entries'))).sort();
}

/**
 * Runs `work` (which opens and closes stores on `directory`) collecting the
 * faults the stores publish meanwhile. The store absorbs file-system faults
 * (a cache never breaks a compile), but a maintenance command must not report
 * success when its work failed: any fault makes this throw once `work` is
 * done (`cleanup`: the work is a cleanup, whose faults then count too). The
 * store's own once-per-code warning about such a fault is not printed, since
 * the error says it.
 *
 * @throws CliError (exit 1) naming the directory, the first fault's code and file, and how many there were.
 */
async function collectingFaults<T>(directory: string, options: { cleanup?: boolean }, work: () => Promise<T>): Promise<T> {
  const faults: FaultMessage[] = [];
  const onFault = (message: unknown): void => {
    const fault = message as FaultMessage;
    if (!BOOKKEEPING.has(fault.operation) || (options.cleanup === true && CLEANUP.has(fault.operation))) faults.push(fault);
  };
  const emitWarning = process.emitWarning;
  const said = (code: string | undefined): boolean => faults.some((fault) => code === `WASM_CACHE_STORE_${fault.code.replace(/[^A-Za-z0-9]/g, '_').toUpperCase()}`);
  process.emitWarning = function (this: NodeJS.Process, warning: string | Error, ...rest: unknown[]): void {
    const options = rest[0];
    const code = typeof options === 'object' && options !== null && 'code' in options ? String((options as { code: unknown }).code) : typeof rest[1] === 'string' ? rest[1] : undefined;
    if (said(code)) return;
    (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
  diagnostics.subscribe(FAULT_CHANNEL, onFault);
  let result: T;
  try {
    result = await work();
  } finally {
    diagnostics.unsubscribe(FAULT_CHANNEL, onFault);
    process.emitWarning = emitWarning;
  }
  const first = faults[0];
  if (first) {
    const where = first.path ? ` on ${first.path}` : '';
    const more = faults.length > 1 ? ` (${faults.length} faults in all)` : '';
    throw new CliError(`The operation failed in cache directory ${directory}: ${first.operation} ${first.code}${where}: ${first.message}${more}`, EXIT.failure);
  }
  return result;
}

/**
 * Runs `use` on a store opened for each namespace of the directory, closing
 * each (`cleanup`: the work is a cleanup, whose faults then count), and
 * fails if the stores published a fault meanwhile (see {@link collectingFaults}).
 *
 * @throws CliError (exit 1) naming the directory, the first fault's code and file, and how many there were.
 */
export async function forEachNamespace<T>(
  config: CacheConfig,
  use: (store: DiskStore, namespace: string) => Promise<T>,
  options: { cleanup?: boolean } = {},
): Promise<Array<{ namespace: string; result: T }>> {
  const namespaces = await listNamespaces(config.directory);
  return collectingFaults(config.directory, options, async () => {
    const results: Array<{ namespace: string; result: T }> = [];
    for (const namespace of namespaces) {
      const store = await DiskStore.open(config, { namespace, background: 'inline' });
      try {
        results.push({ namespace, result: await use(store, namespace) });
      } finally {
        await store.close();
      }
    }
    return results;
  });
}

/** What {@link cleanDirectory} did. */
export interface DirectoryCleanup {
  /** The namespaces of the directory, every one of which the cleanup looked after. */
  readonly namespaces: string[];
  /** The cleanup's report; undefined when the directory holds no namespace (nothing to clean, none ran). */
  readonly report: CleanupReport | undefined;
}

/**
 * One forced cleanup of the whole cache directory. The store's limits bound
 * the directory, and one cleanup scans and evicts across every namespace, so
 * it runs once, through a store opened on the first namespace, not once per
 * namespace. A directory without namespaces (missing, or empty) has nothing
 * to evict: no store is opened, since opening one would create folders.
 *
 * @throws CliError (exit 1) when the directory cannot be read, or the cleanup met a fault (see {@link collectingFaults}).
 */
export async function cleanDirectory(config: CacheConfig): Promise<DirectoryCleanup> {
  const namespaces = await listNamespaces(config.directory);
  const namespace = namespaces[0];
  if (namespace === undefined) return { namespaces, report: undefined };
  const report = await collectingFaults(config.directory, { cleanup: true }, async () => {
    const store = await DiskStore.open(config, { namespace, background: 'inline' });
    try {
      return await store.runCleanup({ force: true });
    } finally {
      await store.close();
    }
  });
  return { namespaces, report };
}
