import { Command } from 'commander';
import { runConfigDemo } from './commands/demo.js';

/** Builds the `wasm-cache` command line. */
export function buildProgram(): Command {
  const program = new Command('wasm-cache')
    .description('A compiled-module cache for WebAssembly on Node.js')
    .showHelpAfterError();

  program
    .command('demo')
    .description('Show the cache configured in code and from a Wasmtime TOML file')
    .action(() => {
      const { same } = runConfigDemo();
      if (!same) process.exitCode = 1;
    });

  return program;
}
