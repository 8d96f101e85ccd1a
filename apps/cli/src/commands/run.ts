import { readFile } from 'node:fs/promises';
import { compileChannel, type CompileOutcome, type WasmNamespace } from '@cache/engine';
import { resolveCliConfig, type GlobalOptions } from '../context/cli-config.js';
import { CliError, EXIT } from '../errors/cli-error.js';
import { formatMs, out } from '../output/style.js';
import { compileFailure } from './compile-failure.js';
import { engineFor } from './engine-for.js';
import { asRunFailure, callExport, invocationArguments, isWasmFailure, type RunInstance, type WasmFunction } from './invoke.js';
import { WasiExit, wasiHost } from './wasi-host.js';
import { exportedFunctionParams } from './wasm-signatures.js';

const wasm = (globalThis as unknown as {
  WebAssembly: WasmNamespace & { Module: { imports(m: WebAssembly.Module): Array<{ module: string }>; exports(m: WebAssembly.Module): Array<{ name: string; kind: string }> } };
}).WebAssembly;

/** Options of `run`. */
export interface RunOptions extends GlobalOptions {
  invoke?: string;
  json?: boolean;
}

/**
 * `run <file.wasm> [--invoke fn args...]`: compiles through the cache and runs
 * the module as wasmtime does: its `_initialize` when exported, then the
 * export named by `--invoke` with numeric arguments, else its `_start` when
 * exported; with `node:wasi` when it imports WASI (a command's arguments are
 * then its own). Prints where the code came from and how long each phase took.
 * A WASI program's `proc_exit` status is the exit code.
 *
 * @throws CliError: `EXIT.usage` for a function it does not export or
 * arguments it cannot take (see {@link invocationArguments}; any, without
 * `--invoke`, for a module that is not a WASI command), `EXIT.failure` when
 * it cannot be compiled (see {@link compileFailure}), or traps or throws an
 * uncaught WebAssembly exception (see {@link asRunFailure}).
 */
export async function runModule(file: string, args: string[], options: RunOptions): Promise<void> {
  const phases: Record<string, number> = {};
  let started = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    phases[name] = now - started;
    started = now;
  };
  const bytes = await readFile(file).catch((error: Error) => {
    throw new CliError(`cannot read ${file}: ${error.message}`, EXIT.io);
  });
  lap('read');
  const { config } = resolveCliConfig(options);
  const engine = engineFor(config);
  let outcome = 'uncached' as CompileOutcome;
  const onCompile = (message: unknown) => {
    outcome = (message as { outcome: CompileOutcome }).outcome;
  };
  compileChannel.subscribe(onCompile);
  let module: WebAssembly.Module;
  try {
    module = await engine.compile(bytes);
  } catch (error) {
    throw compileFailure(file, error);
  } finally {
    compileChannel.unsubscribe(onCompile);
  }
  lap(outcome === 'hit' ? 'load from cache' : 'compile');
  const isWasi = wasm.Module.imports(module).some((i) => i.module.startsWith('wasi_'));
  const functions = wasm.Module.exports(module).filter((e) => e.kind === 'function').map((e) => e.name);
  // What runs, as in wasmtime: the function named with --invoke, else `_start` when exported (a command, WASI or
  // not), else nothing; each after `_initialize` when exported (a reactor). A WASI command's arguments are its own.
  const start = !options.invoke && functions.includes('_start');
  if (options.invoke && !functions.includes(options.invoke)) {
    throw new CliError(`no exported function ${JSON.stringify(options.invoke)}; exported: ${functions.join(', ') || '(none)'}`, EXIT.usage);
  }
  if (!options.invoke && args.length > 0 && !(isWasi && start)) throw argumentsWithoutInvoke(file, functions, args);
  const wasi = isWasi ? await wasiHost([file, ...(options.invoke ? [] : args)]) : undefined;
  let result: unknown;
  let exitCode = 0;
  let running = 'its start function';
  // The instance's exports and module bytes, to name an exception's tag: none before the instance exists (its start section).
  let context: RunInstance | undefined;
  try {
    const instance = (await wasm.instantiate(module, wasi?.imports ?? {}).catch((error: unknown) => {
      // The start section's own failure (a trap, a wasm exception, proc_exit) is the module's run failing; any other is instantiating.
      if (error instanceof WasiExit || isWasmFailure(error)) throw error;
      throw new CliError(`cannot instantiate ${file} ${wasi ? "with node:wasi's imports (wasi_snapshot_preview1)" : 'without imports'}: ${error instanceof Error ? error.message : String(error)}`);
    })) as unknown as { exports: Record<string, unknown> };
    lap('instantiate');
    const { exports } = instance;
    context = { exports, bytes };
    const invoked = options.invoke ? { name: options.invoke, fn: exports[options.invoke] as WasmFunction } : undefined;
    // Checked before the function runs (a start section has run, at instantiation).
    const invokeArgs = invoked ? invocationArguments(invoked.name, invoked.fn, args, exportedFunctionParams(bytes)?.get(invoked.name)) : [];
    const initialize = typeof exports['_initialize'] === 'function' ? (exports['_initialize'] as WasmFunction) : undefined;
    for (const [entry, fn] of [['_initialize', initialize], ['_start', start ? (exports['_start'] as WasmFunction) : undefined]] as const) {
      // An entry point takes nothing: JavaScript would call it with undefined for each parameter (0, or a TypeError for an i64).
      if (fn !== undefined && fn.length > 0) throw new CliError(`${file}: its ${entry} takes ${fn.length === 1 ? 'a parameter' : `${fn.length} parameters`}; an entry point takes none`);
    }
    running = '_initialize';
    // node:wasi's initialize gives the WASI functions the instance's memory and runs its _initialize; its start
    // does the first for a command.
    if (wasi && (initialize || invoked)) wasi.initialize(instance);
    else if (!wasi && initialize) initialize();
    if (initialize) lap('initialize');
    running = invoked ? `function ${JSON.stringify(invoked.name)}` : '_start';
    if (start) {
      // node:wasi's start refuses a command that exports _initialize too (wasmtime runs both): it is ready already.
      if (wasi && !initialize) wasi.start(instance);
      else (exports['_start'] as WasmFunction)();
      lap('run');
    } else if (invoked) {
      result = callExport(file, invoked.name, invoked.fn, invokeArgs, context);
      lap('run');
    }
  } catch (error) {
    if (!(error instanceof WasiExit)) throw asRunFailure(file, running, error, context);
    // An exit from the start section ends the run before any phase after instantiating.
    if (context) lap(running === '_initialize' ? 'initialize' : 'run');
  }
  // Once the program called proc_exit, that is its status, even if its code caught the exit and went on.
  const status = wasi?.exitStatus();
  if (status !== undefined) exitCode = processStatus(file, status);
  // On the hot tier, close() saves what V8 optimized in this run: a module whose code never tiered up leaves nothing.
  await engine.close();
  const saved = engine.stats().artifactsProduced > 0;
  const report = { file, outcome, wasi: isWasi, result: resultValue(result), exitCode, phasesMs: phases };
  if (options.json) {
    console.log(JSON.stringify(report, null, 2));
  } else {
    const source = outcome === 'hit' ? out.green('from the cache') : outcome === 'miss' ? out.yellow(`compiled (cache miss; ${missNote(engine.config.artifactTier, saved)})`) : out.dim('compiled (cache off)');
    console.error(`${file}: ${source}`);
    console.error(Object.entries(phases).map(([name, ms]) => `  ${name.padEnd(16)} ${formatMs(ms)}`).join('\n'));
    if (result !== undefined) console.log(Array.isArray(report.result) ? report.result.join(' ') : String(report.result));
  }
  if (exitCode !== 0) process.exitCode = exitCode;
}

/**
 * A program's `proc_exit` status as this process's exit code: as `wasmtime
 * run` does, a status from 0 to 125 is the exit code; another (126 and up
 * mean things to shells, and the system keeps 8 bits, so 256 would read as
 * success) is an error.
 */
function processStatus(file: string, status: number): number {
  if (Number.isInteger(status) && status >= 0 && status < 126) return status;
  throw new CliError(`${file} exited with status ${status}, outside 0-125: a program's own status must be in that range`);
}

/**
 * A function's result as JSON can hold it: an i64 as `123n`, a non-finite
 * float as its name (JSON has no NaN or Infinity), several results (the
 * multi-value proposal's) as an array of these.
 */
function resultValue(result: unknown): unknown {
  if (Array.isArray(result)) return result.map(resultValue);
  if (typeof result === 'bigint') return `${result}n`;
  if (typeof result === 'number' && !Number.isFinite(result)) return String(result);
  return result;
}

/** What a miss left for the next run: it says only what happened. */
function missNote(tier: string, saved: boolean): string {
  if (tier === 'full') return 'its optimized code is being produced in the background for next time';
  if (saved) return 'the code V8 optimized in this run was saved for next time';
  // The hot tier keeps only code V8 optimized while the module ran; a short run optimizes nothing.
  return 'nothing saved: V8 optimized none of its code in this run';
}

/**
 * Arguments given without `--invoke` to a module that is not a WASI command:
 * nothing would take them (such a module is only instantiated, or its `_start`
 * run, which takes none), so they are refused rather than ignored.
 */
function argumentsWithoutInvoke(file: string, functions: string[], args: string[]): CliError {
  return new CliError(`${file} is not a WASI command, so its arguments (${args.join(' ')}) are for a function named with --invoke; its exported functions: ${functions.join(', ') || '(none)'}`, EXIT.usage);
}
