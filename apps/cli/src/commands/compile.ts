import { readFile, writeFile } from 'node:fs/promises';
import { resolveCliConfig, type GlobalOptions } from '../context/cli-config.js';
import { CliError, EXIT } from '../errors/cli-error.js';
import { startProgress } from '../output/progress.js';
import { formatBytes, formatMs, out } from '../output/style.js';
import { compileFailure } from './compile-failure.js';
import { engineFor } from './engine-for.js';
import { refuseUnsafeDirectory } from './refuse-unsafe-directory.js';

/**
 * `compile <file.wasm> [-o out]`: with `-o`, writes a portable artifact
 * (like `wasmtime compile`); without it, makes sure the cache holds the
 * module's optimized code, waiting for it to be produced. Both make full
 * artifacts (every function optimized): nothing runs here to make code hot.
 *
 * @throws CliError (exit 1) when the module cannot be compiled (see
 * {@link compileFailure}); `UnsafeDirectoryError` (exit 5) for a cache
 * directory the store refuses, without `-o` (see {@link refuseUnsafeDirectory}).
 */
export async function compileModule(file: string, options: GlobalOptions & { output?: string; json?: boolean }): Promise<void> {
  const bytes = await readFile(file).catch((error: Error) => {
    throw new CliError(`cannot read ${file}: ${error.message}`, EXIT.io);
  });
  const { config } = resolveCliConfig(options);
  const engine = engineFor(config, 'full');
  const progress = startProgress(`optimizing ${file}`);
  const started = performance.now();
  try {
    if (options.output) {
      const artifact = await engine.precompile(bytes).catch((error: Error) => {
        throw new CliError(`cannot compile ${file}: ${error.message}`);
      });
      await writeFile(options.output, artifact).catch((error: Error) => {
        throw new CliError(`cannot write ${options.output}: ${error.message}`, EXIT.io);
      });
      progress.stop();
      const report = { file, output: options.output, bytes: artifact.byteLength, ms: performance.now() - started };
      console.log(options.json ? JSON.stringify(report) : `Wrote ${options.output} (${formatBytes(artifact.byteLength)}) in ${formatMs(report.ms)}`);
      return;
    }
    // Filling the cache is the work: a directory the store refuses is exit 5, before anything is compiled.
    await refuseUnsafeDirectory(engine);
    const already = await engine.isCached(bytes);
    if (!already) {
      await engine.compile(bytes).catch((error: unknown) => {
        throw compileFailure(file, error);
      });
      await engine.idle();
    }
    const cached = await engine.isCached(bytes);
    progress.stop();
    const report = { file, cached, already, directory: config.directory, ms: performance.now() - started };
    if (options.json) console.log(JSON.stringify(report));
    else console.log(cached ? `${file}: ${already ? 'already in the cache' : out.green('optimized code stored')} (${config.directory})` : `${file}: ${out.yellow('not cached')} (see warnings above)`);
    if (!cached) process.exitCode = EXIT.failure;
  } finally {
    progress.stop();
    await engine.close();
  }
}
