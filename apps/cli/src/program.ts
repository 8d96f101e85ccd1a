import { CacheConfigError } from '@cache/config';
import { UnsafeDirectoryError } from '@cache/store';
import { ConfigFileAccessError, TomlSyntaxError } from '@cache/toml';
import { CommanderError, Option, type Command } from 'commander';
import { cacheClear, cacheGc, cacheList, cachePath, cacheStats, cacheVerify } from './commands/cache/cache-commands.js';
import { compileModule } from './commands/compile.js';
import { configMigrate, configNew, configShow, configValidate } from './commands/config/config-commands.js';
import { runDemo } from './commands/demo.js';
import { NegativeOperandsCommand } from './commands/negative-operands-command.js';
import { inspectArtifact } from './commands/inspect.js';
import { runModule } from './commands/run.js';
import type { GlobalOptions } from './context/cli-config.js';
import { CliError, EXIT } from './errors/cli-error.js';
import { stableCode, withCode } from './errors/stable-code.js';
import { err } from './output/style.js';

/** The exit code of an error the CLI did not make itself (see {@link EXIT}). */
function exitCodeOf(error: Error): number {
  if (error instanceof CacheConfigError || error instanceof TomlSyntaxError) return EXIT.config;
  if (error instanceof ConfigFileAccessError) return EXIT.io;
  if (error instanceof UnsafeDirectoryError) return EXIT.unsafeDirectory;
  // ConfigFileExistsError too: `config new` refused to overwrite a file, so the operation failed.
  return EXIT.failure;
}

/**
 * Maps an error to the message and exit code the CLI reports. A `CliError`
 * is its message and code; any other error with a stable code is reported
 * with that code (`message (CODE)`) and no stack (a stack is for errors
 * nobody foresaw).
 */
export function describeFailure(error: unknown): { message: string; exitCode: number } {
  if (error instanceof CliError) return { message: error.message, exitCode: error.exitCode };
  if (!(error instanceof Error)) return { message: String(error), exitCode: EXIT.failure };
  const code = stableCode(error);
  return { message: code === undefined ? (error.stack ?? error.message) : withCode(error.message, code), exitCode: exitCodeOf(error) };
}

/** Builds the `wasm-cache` command line. */
export function buildProgram(): Command {
  // Reads `--invoke f -inf` as an argument, where commander saw an unknown option.
  const program = new NegativeOperandsCommand('wasm-cache')
    .description('A compiled-module cache for WebAssembly on Node.js')
    .option('--config <file>', 'cache configuration file (TOML); default: $WASM_CACHE_CONFIG_FILE, else the per-user file if it exists')
    .option('--dir <path>', 'cache directory, over every other setting')
    .showHelpAfterError()
    .exitOverride();
  const globals = (): GlobalOptions => program.opts<GlobalOptions>();
  const json = new Option('--json', 'print data as JSON');

  program
    .command('demo')
    .description('esbuild-wasm in fresh processes: plain Node, cold cache, filled cache; timings and statistics')
    .option('--keep-dir <path>', 'use (and keep) this cache directory instead of a temporary one')
    .addOption(json)
    .action((options: { keepDir?: string; json?: boolean }) => runDemo({ ...(options.keepDir ? { dir: options.keepDir } : {}), ...(options.json ? { json: true } : {}) }));

  program
    .command('run')
    .description('compile a module through the cache and run it: its _initialize, then the --invoke function or its _start (WASI via node:wasi)')
    .argument('<file.wasm>')
    .argument('[args...]', 'arguments for the invoked function, else for the WASI command')
    .option('--invoke <function>', 'exported function to call instead of _start, with numeric arguments (123n for i64; inf, nan for f32, f64)')
    .addOption(json)
    .action((file: string, args: string[], options: { invoke?: string; json?: boolean }) => runModule(file, args, { ...globals(), ...options }));

  program
    .command('compile')
    .description('optimize a module into the cache, or into a portable artifact file with -o')
    .argument('<file.wasm>')
    .option('-o, --output <file>', 'write a portable artifact here instead of into the cache')
    .addOption(json)
    .action((file: string, options: { output?: string; json?: boolean }) => compileModule(file, { ...globals(), ...options }));

  program.command('inspect').description('show what an artifact file holds and whether this process can load it').argument('<artifact>').addOption(json).action(inspectArtifact);

  const config = program.command('config').description('the cache configuration');
  config.command('new').description('write a configuration file with every default (never overwrites)').argument('[path]').action(configNew);
  config.command('show').description('the effective settings and where each came from').addOption(json).action((options: { json?: boolean }) => configShow({ ...globals(), ...options }));
  config.command('validate').description('check a configuration file').argument('<file>').action(configValidate);
  config
    .command('migrate')
    .description('print the TypeScript builder code equivalent to a configuration file')
    .argument('<file>')
    .option('--import-from <package>', 'package the code imports CacheConfig from', '@cache/config')
    .option('--write-secrets', "copy the [wasm-cache.remote] table's secrets (password, signing key) into the code")
    .action(configMigrate);

  const cache = program.command('cache').description('the cache directory');
  cache.command('stats').description("the store's reads (hits, misses), writes, bytes and more, over every process that used the directory").addOption(json).action((o: { json?: boolean }) => cacheStats({ ...globals(), ...o }));
  cache.command('ls').description('list entries').addOption(json).action((o: { json?: boolean }) => cacheList({ ...globals(), ...o }));
  cache.command('verify').description('check every entry; remove damaged ones').addOption(json).action((o: { json?: boolean }) => cacheVerify({ ...globals(), ...o }));
  cache.command('gc').description('evict down to the limits now').addOption(json).action((o: { json?: boolean }) => cacheGc({ ...globals(), ...o }));
  cache.command('clear').description("remove every entry (never files the cache did not create)").addOption(json).action((o: { json?: boolean }) => cacheClear({ ...globals(), ...o }));
  cache.command('path').description('print the cache directory').action(() => cachePath(globals()));

  return program;
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    const { message, exitCode } = describeFailure(error);
    console.error(`${err.red('error')}: ${message}`);
    return exitCode;
  }
}
