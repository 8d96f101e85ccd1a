import diagnostics from 'node:diagnostics_channel';
import { readdir } from 'node:fs/promises';
import type { CacheConfig } from '@cache/config';
import { DiskStore, errorCode, isNamespaceFolder, type CleanupReport, type FaultMessage } from '@cache/store';
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
/** An entry's removal (`delete`, `removeUnreadableEntries`; the store's own of a damaged entry it read): `verify` and `clear` report each that failed. */
const REMOVAL = new Set(['delete', 'remove-corrupt']);

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
  // What the store's own cleanup takes for a namespace (anything else, such as dot-folders, an older layout's `_old`
  // or foreign folders, is not the store's to open).
  const found = await Promise.all(names.map(async (name) => ((await isNamespaceFolder(directory, name)) ? name : undefined)));
  return found.filter((name): name is string => name !== undefined).sort();
}

/** How {@link collectingFaults} treats faults. */
interface FaultPolicy {
  /** The work is a cleanup, whose faults then count too. */
  readonly cleanup?: boolean;
  /** The command reports each failed removal itself: when every fault is one, they are returned as an error to end with. */
  readonly reportsRemovals?: boolean;
}

/** What {@link collectingFaults}' work gave, and the error its faults make when the command reports them itself. */
interface CollectedWork<T> {
  readonly result: T;
  /** With `reportsRemovals`, the error to end with once the failed removals are reported; undefined when none failed. */
  readonly failure: CliError | undefined;
}

/** The error for the faults of work on `directory`: the first one's operation, code and file, and how many there were. */
function faultsError(directory: string, faults: readonly FaultMessage[]): CliError | undefined {
  const first = faults[0];
  if (!first) return undefined;
  const where = first.path ? ` on ${first.path}` : '';
  const more = faults.length > 1 ? ` (${faults.length} faults in all)` : '';
  return new CliError(`The operation failed in cache directory ${directory}: ${first.operation} ${first.code}${where}: ${first.message}${more}`, EXIT.failure);
}

/**
 * Runs `work` (which opens and closes stores on `directory`) collecting the
 * faults the stores publish meanwhile (`work` sees them as they come). The
 * store absorbs file-system faults (a cache never breaks a compile), but a
 * maintenance command must not report success when its work failed: any
 * fault makes this throw once `work` is done (`cleanup`: the work is a
 * cleanup, whose faults then count too), unless every one is a failed
 * removal and the command reports those (`reportsRemovals`), when it gets
 * the error to end with. The store's own once-per-code warning about such a
 * fault is not printed, since the error says it.
 *
 * @throws CliError (exit 1) naming the directory, the first fault's code and file, and how many there were.
 */
async function collectingFaults<T>(directory: string, policy: FaultPolicy, work: (faults: readonly FaultMessage[]) => Promise<T>): Promise<CollectedWork<T>> {
  const faults: FaultMessage[] = [];
  const onFault = (message: unknown): void => {
    const fault = message as FaultMessage;
    if (!BOOKKEEPING.has(fault.operation) || (policy.cleanup === true && CLEANUP.has(fault.operation))) faults.push(fault);
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
    result = await work(faults);
  } finally {
    diagnostics.unsubscribe(FAULT_CHANNEL, onFault);
    process.emitWarning = emitWarning;
  }
  const failure = faultsError(directory, faults);
  // Another fault (an entry that could not be read, a shard that could not be listed) leaves the report incomplete.
  if (failure && !(policy.reportsRemovals === true && faults.every((fault) => REMOVAL.has(fault.operation)))) throw failure;
  return { result, failure };
}

/** Opens a store on each namespace of the directory in turn, runs `use` on it and closes it. */
async function eachNamespace<T>(config: CacheConfig, namespaces: string[], use: (store: DiskStore, namespace: string) => Promise<T>): Promise<Array<{ namespace: string; result: T }>> {
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
  return (await collectingFaults(config.directory, options, () => eachNamespace(config, namespaces, use))).result;
}

/** Why an entry file could not be removed: the store's fault, or undefined when none was published for it. */
export type RemovalFault = (file: string) => FaultMessage | undefined;

/** What {@link forEachNamespaceRemoving} did. */
export interface RemovalWork<T> {
  readonly results: Array<{ namespace: string; result: T }>;
  /** The error to end with (exit 1) once the entries that could not be removed are reported; undefined when every removal worked. */
  readonly failure: CliError | undefined;
}

/**
 * {@link forEachNamespace} for work that removes entries and reports each
 * it could not remove: `use` is told why a file could not be removed (the
 * store's fault for it), and failed removals are returned as the error to end
 * with, after the report. Any other fault still fails at once: the report
 * would be incomplete.
 *
 * @throws CliError (exit 1) as {@link forEachNamespace}, for a fault other than a failed removal.
 */
export async function forEachNamespaceRemoving<T>(config: CacheConfig, use: (store: DiskStore, namespace: string, removalFault: RemovalFault) => Promise<T>): Promise<RemovalWork<T>> {
  const namespaces = await listNamespaces(config.directory);
  const { result, failure } = await collectingFaults(config.directory, { reportsRemovals: true }, (faults) => {
    const removalFault: RemovalFault = (file) => faults.find((fault) => REMOVAL.has(fault.operation) && fault.path === file);
    return eachNamespace(config, namespaces, (store, namespace) => use(store, namespace, removalFault));
  });
  return { results: result, failure };
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
  const { result: report } = await collectingFaults(config.directory, { cleanup: true }, async () => {
    const store = await DiskStore.open(config, { namespace, background: 'inline' });
    try {
      return await store.runCleanup({ force: true });
    } finally {
      await store.close();
    }
  });
  return { namespaces, report };
}
