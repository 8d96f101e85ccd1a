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

/** An instance as node:wasi takes one: its exports. */
interface WasiInstance {
  readonly exports: Readonly<Record<string, unknown>>;
}

/** node:wasi (preview1) for one run: the imports, and the two ways into the instance. */
export interface WasiHost {
  /** The import object: `wasi_snapshot_preview1`, with a `proc_exit` that throws {@link WasiExit}. */
  readonly imports: object;
  /**
   * Runs a WASI command: its `_start`.
   *
   * @throws WasiExit when it calls `proc_exit`; whatever `_start` throws.
   */
  start(instance: WasiInstance): void;
  /**
   * Readies an instance for calls to its exports without `_start`: gives the
   * WASI functions its memory and runs its `_initialize` when it exports one
   * (a reactor's, which sets up its C library). A command's `_start` is not
   * run: `run --invoke` calls a command's export instead of it, as wasmtime does.
   *
   * @throws WasiExit when `_initialize` calls `proc_exit`; whatever `_initialize` throws.
   */
  initialize(instance: WasiInstance): void;
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
  const preview1: Record<string, unknown> = { ...wasi.wasiImport };
  preview1['proc_exit'] = (code: number): never => {
    throw new WasiExit(code);
  };
  return {
    imports: { wasi_snapshot_preview1: preview1 },
    start: (instance) => {
      wasi.start(instance);
    },
    initialize: (instance) => {
      // node:wasi refuses an instance exporting _start; it reads only the exports, so it is given them without it.
      const { _start: start, ...exports } = instance.exports;
      wasi.initialize(start === undefined ? instance : { exports });
    },
  };
}
