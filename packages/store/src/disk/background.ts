import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { loadZstd } from '../compression/zstd.js';
import type { FsLayer } from './fs-layer.js';
import {
  Maintenance,
  type CleanupReport,
  type CleanupRequest,
  type MaintenanceSettings,
  type StatsReport,
  type StatsRequest,
  type UsesReport,
  type UsesRequest,
} from './maintenance.js';
import { nodeBuiltin } from '../node/node-builtin.js';

const { existsSync } = nodeBuiltin<typeof import('node:fs')>('node:fs');

/** Where background work runs. */
export interface BackgroundRunner {
  /** `'worker'` or `'inline'`. */
  readonly mode: 'worker' | 'inline';
  cleanup(request: CleanupRequest): Promise<CleanupReport>;
  recordUses(request: UsesRequest): Promise<UsesReport>;
  writeStats(request: StatsRequest): Promise<StatsReport>;
  /** Waits for queued work, then stops. */
  close(): Promise<void>;
}

/**
 * Starts the real runner on first use. Opening a store then costs no thread
 * start-up on the caller's critical path (a cache read at process start):
 * the worker boots when the first background job is queued.
 */
export class LazyRunner implements BackgroundRunner {
  #runner: BackgroundRunner | undefined;

  constructor(
    private readonly start: () => BackgroundRunner,
    private readonly expectedMode: 'worker' | 'inline',
  ) {}

  get mode(): 'worker' | 'inline' {
    return this.#runner?.mode ?? this.expectedMode;
  }

  #get(): BackgroundRunner {
    this.#runner ??= this.start();
    return this.#runner;
  }

  cleanup(request: CleanupRequest): Promise<CleanupReport> {
    return this.#get().cleanup(request);
  }

  recordUses(request: UsesRequest): Promise<UsesReport> {
    return this.#get().recordUses(request);
  }

  writeStats(request: StatsRequest): Promise<StatsReport> {
    return this.#get().writeStats(request);
  }

  async close(): Promise<void> {
    await this.#runner?.close();
  }
}

/** @internal Message from the store to its worker. */
export type WorkerRequest =
  | { readonly id: number; readonly method: 'cleanup'; readonly request: CleanupRequest }
  | { readonly id: number; readonly method: 'recordUses'; readonly request: UsesRequest }
  | { readonly id: number; readonly method: 'writeStats'; readonly request: StatsRequest };

/** @internal Reply from the worker. */
export type WorkerReply = { readonly id: number; readonly ok: true; readonly result: unknown } | { readonly id: number; readonly ok: false; readonly error: string };

/** Runs one task at a time, in order. */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task, task);
    this.#tail = result.catch(() => undefined);
    return result;
  }

  idle(): Promise<void> {
    return this.#tail.then(() => undefined);
  }
}

/** Background work on the calling thread (tests with an injected fs, or where workers are unavailable). */
export class InlineRunner implements BackgroundRunner {
  readonly mode = 'inline' as const;
  readonly #maintenance: Maintenance;
  readonly #queue = new SerialQueue();

  constructor(settings: MaintenanceSettings, fs: FsLayer) {
    this.#maintenance = new Maintenance(settings, fs, settings.compression ? loadZstd().codec : undefined);
  }

  cleanup(request: CleanupRequest): Promise<CleanupReport> {
    return this.#queue.run(() => this.#maintenance.cleanup(request));
  }

  recordUses(request: UsesRequest): Promise<UsesReport> {
    return this.#queue.run(() => this.#maintenance.recordUses(request));
  }

  writeStats(request: StatsRequest): Promise<StatsReport> {
    return this.#queue.run(() => this.#maintenance.writeStats(request));
  }

  close(): Promise<void> {
    return this.#queue.idle();
  }
}

/**
 * The built worker script beside this module (`dist/worker.js` or
 * `dist/worker.cjs`); from sources (tests), the package's `dist/worker.js`.
 */
export function workerScript(): string | undefined {
  const here = import.meta.url;
  const candidates = here.endsWith('.ts')
    ? [new URL('../../dist/worker.js', here)]
    : [new URL(here.endsWith('.cjs') ? './worker.cjs' : './worker.js', here), new URL('./worker.js', here)];
  for (const candidate of candidates) {
    const file = fileURLToPath(candidate);
    if (existsSync(file)) return file;
  }
  return undefined;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

let workerClass: typeof Worker | undefined;

/**
 * `node:worker_threads`' Worker, loaded when the first worker starts (a
 * disk store starts it with its first background task, not when it opens):
 * loading the module would cost every importing process a few milliseconds
 * of start-up.
 */
function WorkerClass(): typeof Worker {
  return (workerClass ??= (createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads')).Worker);
}

/**
 * Background work in a `worker_threads` Worker: gets and puts never wait for
 * it. The worker is unreferenced while idle, so it never keeps a process
 * alive; referenced while a request is pending, so a pending `close()` is not
 * cut short. If the worker dies, later work falls back to running inline.
 */
export class WorkerRunner implements BackgroundRunner {
  readonly mode = 'worker' as const;
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  readonly #settings: MaintenanceSettings;
  #fallback: InlineRunner | undefined;
  #nextId = 1;
  #exited = false;
  readonly #exit: Promise<void>;

  constructor(script: string, settings: MaintenanceSettings, fs: FsLayer) {
    this.#settings = settings;
    this.#worker = new (WorkerClass())(script, { workerData: settings });
    this.#worker.unref();
    this.#fallbackFs = fs;
    this.#worker.on('message', (reply: WorkerReply) => {
      const pending = this.#pending.get(reply.id);
      if (!pending) return;
      this.#pending.delete(reply.id);
      if (this.#pending.size === 0) this.#worker.unref();
      if (reply.ok) pending.resolve(reply.result);
      else pending.reject(new Error(reply.error));
    });
    this.#exit = new Promise((resolve) => {
      this.#worker.once('exit', () => {
        this.#exited = true;
        for (const pending of this.#pending.values()) pending.reject(new Error('the cache worker exited'));
        this.#pending.clear();
        resolve();
      });
    });
    this.#worker.on('error', () => undefined); // surfaces as 'exit'; work falls back inline
  }

  readonly #fallbackFs: FsLayer;
  readonly #inflight = new Set<Promise<unknown>>();

  cleanup(request: CleanupRequest): Promise<CleanupReport> {
    return this.#call({ id: 0, method: 'cleanup', request }) as Promise<CleanupReport>;
  }

  recordUses(request: UsesRequest): Promise<UsesReport> {
    return this.#call({ id: 0, method: 'recordUses', request }) as Promise<UsesReport>;
  }

  writeStats(request: StatsRequest): Promise<StatsReport> {
    return this.#call({ id: 0, method: 'writeStats', request }) as Promise<StatsReport>;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#inflight]);
    if (!this.#exited) await this.#worker.terminate();
    await this.#exit;
    await this.#fallback?.close();
  }

  #call(message: WorkerRequest): Promise<unknown> {
    if (this.#exited) {
      this.#fallback ??= new InlineRunner(this.#settings, this.#fallbackFs);
      const fallback = this.#fallback;
      switch (message.method) {
        case 'cleanup':
          return fallback.cleanup(message.request);
        case 'recordUses':
          return fallback.recordUses(message.request);
        case 'writeStats':
          return fallback.writeStats(message.request);
      }
    }
    const id = this.#nextId++;
    const call = new Promise<unknown>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      if (this.#pending.size === 1) this.#worker.ref();
      this.#worker.postMessage({ ...message, id });
    });
    this.#inflight.add(call);
    const forget = (): void => {
      this.#inflight.delete(call);
    };
    call.then(forget, forget);
    return call;
  }
}
