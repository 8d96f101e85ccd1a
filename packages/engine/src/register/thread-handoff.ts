/**
 * Worker threads hand the modules whose hot code they save to the main
 * thread, which saves it too.
 *
 * A worker thread saves its modules' hot code on timers (1 s after a compile,
 * then later) and as it ends on its own. A thread stopped by
 * `worker.terminate()`, or by its process's end, runs no more JavaScript: a
 * pool (piscina, a test runner's threads) that stops its threads within a
 * second of their work saved nothing, and every run compiled again. So each
 * module a hooked worker thread tracks is posted, on a `BroadcastChannel`,
 * to the main thread's hook, which tracks it as its own: V8 shares a
 * module's code between the threads that hold it, so the main thread's
 * snapshots (its timers, its exit) hold what the worker threads made hot.
 * Only a hot-tier cache in the same folder with the same engine fingerprint
 * takes a module (see `Engine.adoptHandedOver`).
 */
import type { Engine } from '@cache/engine';
import type { HandedOverModule, HotTarget } from '../hot/hot-snapshots.js';
import { nodeBuiltin } from '../node/node-builtin.js';
import { originalWasm } from '../wasm/wasm-api.js';

type WorkerThreads = typeof import('node:worker_threads');

/** The channel's name; versioned, as the message's shape is. */
export const HANDOFF_CHANNEL = '@cache/engine: hot modules of worker threads, v1';

/**
 * Whether this is a worker thread. A worker thread has `node:worker_threads`
 * loaded from its start; where it is not loaded this is the main thread, and
 * it is not loaded to tell (1.3 ms).
 */
export function inWorkerThread(): boolean {
  // Node's list of the built-ins loaded so far (not in its type declarations).
  const loaded = (process as { moduleLoadList?: readonly string[] }).moduleLoadList;
  if (!loaded?.includes('NativeModule worker_threads')) return false;
  return !nodeBuiltin<WorkerThreads>('node:worker_threads').isMainThread;
}

/**
 * The observer a worker thread's hook sets on its cache's hot snapshots
 * (`HotSnapshots.onTrack`; see {@link inWorkerThread}): posts each module it
 * starts tracking to the main thread, at once (the thread may be stopped any
 * moment after). A module the channel cannot take is saved by this thread
 * alone, as before.
 */
export function handOverToMainThread(directory: string): (target: HotTarget) => void {
  return (target) => {
    const message: HandedOverModule = {
      module: target.module,
      moduleHash: target.moduleHash,
      key: target.key,
      fingerprintId: target.fingerprint.id,
      directory,
      compileMs: target.compileMs,
      storedBytes: target.storedBytes,
    };
    const channel = new (nodeBuiltin<WorkerThreads>('node:worker_threads').BroadcastChannel)(HANDOFF_CHANNEL);
    try {
      channel.postMessage(message);
    } finally {
      channel.close();
    }
  };
}

/** Whether a message on the channel is a {@link HandedOverModule}. */
function isHandedOverModule(value: unknown): value is HandedOverModule {
  if (typeof value !== 'object' || value === null) return false;
  const message = value as Record<string, unknown>;
  return (
    message.module instanceof originalWasm.Module &&
    typeof message.moduleHash === 'string' &&
    typeof message.key === 'string' &&
    typeof message.fingerprintId === 'string' &&
    typeof message.directory === 'string' &&
    typeof message.compileMs === 'number' &&
    typeof message.storedBytes === 'number'
  );
}

/**
 * In the main thread, from the moment it starts its first worker thread:
 * takes the modules worker threads hand over, through `engine()` (the hook's
 * engine, loaded then if no WebAssembly call has needed it). Costs a process
 * that starts no worker thread one `process` listener; the channel is made
 * at its first worker thread, and does not keep the process alive.
 */
export function adoptFromWorkerThreads(engine: () => Promise<Engine | undefined>): void {
  process.once('worker', () => {
    const { isMainThread, BroadcastChannel } = nodeBuiltin<WorkerThreads>('node:worker_threads');
    if (!isMainThread) return;
    const channel = new BroadcastChannel(HANDOFF_CHANNEL);
    channel.unref();
    channel.onmessage = (event) => {
      const data = (event as MessageEvent).data;
      if (!isHandedOverModule(data)) return;
      void engine()
        .then((own) => own?.adoptHandedOver(data))
        .catch(() => {
          // Not taken: the worker thread still saves what it can itself.
        });
    };
  });
}
