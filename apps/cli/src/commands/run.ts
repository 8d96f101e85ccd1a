import { readFile } from 'node:fs/promises';
import { compileChannel, type CompileOutcome, type WasmNamespace } from '@cache/engine';
import { resolveCliConfig, type GlobalOptions } from '../context/cli-config.js';
import { CliError, EXIT } from '../errors/cli-error.js';
import { formatMs, out } from '../output/style.js';
import { engineFor } from './engine-for.js';
import { asRunFailure, invokeExport, type WasmFunction } from './invoke.js';
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
 * the module: a WASI command through `node:wasi`, otherwise the export named by
 * `--invoke` with numeric arguments. Prints where the code came from and how
 * long each phase took.
 *
 * @throws CliError: `EXIT.usage` for arguments the module cannot take (see
 * {@link invokeExport}; any, without `--invoke`, for a module that is not a
 * WASI command), `EXIT.failure` when it traps.
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
    throw new CliError(`${file} is not a valid WebAssembly module: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    compileChannel.unsubscribe(onCompile);
  }
  lap(outcome === 'hit' ? 'load from cache' : 'compile');
  const isWasi = wasm.Module.imports(module).some((i) => i.module.startsWith('wasi_'));
  if (!isWasi && !options.invoke && args.length > 0) throw argumentsWithoutInvoke(file, module, args);
  let result: unknown;
  let exitCode = 0;
  if (isWasi) {
    // Loaded only here: node:wasi prints an experimental warning when imported.
    const { WASI } = await import('node:wasi');
    const wasi = new WASI({ version: 'preview1', args: [file, ...args], env: process.env, returnOnExit: true });
    const instance = await wasm.instantiate(module, wasi.getImportObject() as object) as unknown as { exports: Record<string, unknown> };
    lap('instantiate');
    try {
      exitCode = wasi.start(instance);
    } catch (error) {
      throw asRunFailure(file, '_start', error);
    }
    lap('run');
  } else {
    const instance = (await wasm.instantiate(module, {}).catch((error: Error) => {
      throw new CliError(`cannot instantiate ${file} without imports: ${error.message}`);
    })) as unknown as { exports: Record<string, unknown> };
    lap('instantiate');
    if (options.invoke) {
      const fn = instance.exports[options.invoke];
      if (typeof fn !== 'function') {
        const names = Object.keys(instance.exports).filter((name) => typeof instance.exports[name] === 'function');
        throw new CliError(`no exported function ${JSON.stringify(options.invoke)}; exported: ${names.join(', ') || '(none)'}`, EXIT.usage);
      }
      result = invokeExport(file, options.invoke, fn as WasmFunction, args, exportedFunctionParams(bytes)?.get(options.invoke));
      lap('run');
    }
  }
  // On the hot tier, close() saves what V8 optimized in this run: a module whose code never tiered up leaves nothing.
  await engine.close();
  const saved = engine.stats().artifactsProduced > 0;
  const report = { file, outcome, wasi: isWasi, result: typeof result === 'bigint' ? `${result}n` : result, exitCode, phasesMs: phases };
  if (options.json) {
    console.log(JSON.stringify(report, null, 2));
  } else {
    const source = outcome === 'hit' ? out.green('from the cache') : outcome === 'miss' ? out.yellow(`compiled (cache miss; ${missNote(engine.config.artifactTier, saved)})`) : out.dim('compiled (cache off)');
    console.error(`${file}: ${source}`);
    console.error(Object.entries(phases).map(([name, ms]) => `  ${name.padEnd(16)} ${formatMs(ms)}`).join('\n'));
    if (result !== undefined) console.log(String(report.result));
  }
  if (exitCode !== 0) process.exitCode = exitCode;
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
 * nothing would take them (such a module is only instantiated), so they are
 * refused rather than ignored.
 */
function argumentsWithoutInvoke(file: string, module: WebAssembly.Module, args: string[]): CliError {
  const functions = wasm.Module.exports(module).filter((e) => e.kind === 'function').map((e) => e.name);
  return new CliError(`${file} is not a WASI command, so its arguments (${args.join(' ')}) are for a function named with --invoke; its exported functions: ${functions.join(', ') || '(none)'}`, EXIT.usage);
}
