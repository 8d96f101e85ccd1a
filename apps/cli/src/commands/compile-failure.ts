import { CliError, EXIT } from '../errors/cli-error.js';
import { stableCode, withCode } from '../errors/stable-code.js';

/** `WebAssembly.CompileError`: what V8 rejects bytes that are not a valid module with. */
const CompileError = (globalThis as unknown as { WebAssembly: { CompileError: abstract new () => Error } }).WebAssembly.CompileError;

/**
 * Why compiling `file` failed (`engine.compile` rejected with `error`), as
 * `run` and `compile` report it, exit 1. Only a `WebAssembly.CompileError`
 * means the bytes are not a valid module (V8's message says where: `@+12`).
 * Anything else (a RangeError for a module V8 cannot hold, running out of
 * memory, the native addon failing, a bug) says the compile failed, with the
 * error's stable code when it has one (`cannot compile m.wasm: <message>
 * (CODE)`), else its name when it is not a plain `Error` (`cannot compile
 * m.wasm: RangeError: <message>`).
 */
export function compileFailure(file: string, error: unknown): CliError {
  if (error instanceof CompileError) return new CliError(`${file} is not a valid WebAssembly module: ${error.message}`, EXIT.failure);
  if (!(error instanceof Error)) return new CliError(`cannot compile ${file}: ${String(error)}`, EXIT.failure);
  const code = stableCode(error);
  if (code !== undefined) return new CliError(withCode(`cannot compile ${file}: ${error.message}`, code), EXIT.failure);
  return new CliError(`cannot compile ${file}: ${error.name === 'Error' ? '' : `${error.name}: `}${error.message}`, EXIT.failure);
}
