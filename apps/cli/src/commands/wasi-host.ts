import { CliError } from '../errors/cli-error.js';

/** A WASI program's `proc_exit(code)`, thrown out of its wasm code to end the run with that exit status. */
export class WasiExit extends Error {
  constructor(
    /** The status the program gave `proc_exit`. */
    readonly exitCode: number,
  ) {
    super(`the WebAssembly program exited with status ${exitCode}`);
    this.name = 'WasiExit';
  }
}

/** `WebAssembly.Memory`, what node:wasi needs the instance to export as `memory`. */
const Memory = (globalThis as unknown as { WebAssembly: { Memory: abstract new (...args: never[]) => object } }).WebAssembly.Memory;

/** An instance as node:wasi takes one: its exports. */
interface WasiInstance {
  readonly exports: Readonly<Record<string, unknown>>;
}

/** node:wasi (preview1) for one run: the imports, and the ways into the instance. */
export interface WasiHost {
  /** The import object: `wasi_snapshot_preview1`, with a `proc_exit` that throws {@link WasiExit}. */
  readonly imports: object;
  /**
   * Runs a WASI command: its `_start` (node:wasi refuses one that exports an
   * `_initialize` too: {@link initialize} it, then call its `_start`).
   *
   * @throws WasiExit when it calls `proc_exit`; whatever `_start` throws; a
   * CliError when node:wasi cannot run it (no memory exported).
   */
  start(instance: WasiInstance): void;
  /**
   * Readies an instance for calls to its exports without `_start`: gives the
   * WASI functions its memory and runs its `_initialize` when it exports one
   * (a reactor's, which sets up its C library). A command's `_start` is not
   * run: `run --invoke` calls a command's export instead of it, as wasmtime does.
   *
   * @throws WasiExit when `_initialize` calls `proc_exit`; whatever `_initialize`
   * throws; a CliError when node:wasi cannot run it (no memory exported).
   */
  initialize(instance: WasiInstance): void;
  /**
   * The status the program gave `proc_exit`, if it called it: the run's status
   * then, even when the module caught the {@link WasiExit} (a wasm
   * `catch_all` catches any exception) and went on.
   */
  exitStatus(): number | undefined;
}

/**
 * node:wasi for a program run with `args` (its `argv`, the file first) and
 * this process's environment. Its `proc_exit` throws a {@link WasiExit}
 * rather than node's private value, so that an exit from any export (not only
 * from `_start`, which `wasi.start` watches) ends the run with the program's
 * status.
 */
export async function wasiHost(args: string[]): Promise<WasiHost> {
  // Loaded only here: node:wasi prints an experimental warning when imported.
  const { WASI } = await import('node:wasi');
  const wasi = new WASI({ version: 'preview1', args, env: process.env, returnOnExit: true });
  const file = args[0] ?? 'the module';
  let status: number | undefined;
  const preview1: Record<string, unknown> = { ...wasi.wasiImport };
  preview1['proc_exit'] = (code: number): never => {
    status ??= code;
    throw new WasiExit(code);
  };
  /** What node:wasi's `initialize` is given: the exports without `_start` (which it refuses), and `_initialize` only as a function. */
  const forInitialize = (exports: Readonly<Record<string, unknown>>): WasiInstance => {
    const { _start: start, _initialize: initialize, ...rest } = exports;
    void start;
    return { exports: typeof initialize === 'function' ? { ...rest, _initialize: initialize } : rest };
  };
  const checkMemory = (instance: WasiInstance): void => {
    const memory = instance.exports['memory'];
    if (!(memory instanceof Memory)) throw new CliError(`${file} imports WASI but exports no memory named "memory", which the WASI functions need`);
  };
  return {
    imports: { wasi_snapshot_preview1: preview1 },
    start: (instance) => {
      checkMemory(instance);
      wasi.start(instance);
    },
    initialize: (instance) => {
      checkMemory(instance);
      wasi.initialize(forInitialize(instance.exports));
    },
    exitStatus: () => status,
  };
}
