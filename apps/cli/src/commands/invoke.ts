import { CliError, EXIT } from '../errors/cli-error.js';
import type { ParamType } from './wasm-signatures.js';

/** An exported WebAssembly function, as JavaScript calls it. */
export type WasmFunction = (...args: Array<number | bigint>) => unknown;

/** `WebAssembly.RuntimeError`: what a trap throws (unreachable, divide by zero, out of bounds…). */
const RuntimeError = (globalThis as unknown as { WebAssembly: { RuntimeError: abstract new () => Error } }).WebAssembly.RuntimeError;

/** Reads an argument for a wasm function: a number, or a BigInt for i64 (`123n`). */
function parseArgument(text: string): number | bigint {
  if (/^-?\d+n$/.test(text)) return BigInt(text.slice(0, -1));
  const value = Number(text);
  if (!Number.isFinite(value)) throw new CliError(`argument ${JSON.stringify(text)} is not a number`, EXIT.usage);
  return value;
}

const argumentCount = (count: number): string => (count === 0 ? 'no arguments' : `${count} argument${count === 1 ? '' : 's'}`);

/**
 * Calls the exported function `name` of an instance of `file` with the
 * command line's arguments: numbers, and BigInts (`123n`) for i64. `params`
 * are its parameter types when they could be read from the module's bytes.
 * The instance must have been made without imports: see the comment on a
 * TypeError below.
 *
 * @throws CliError: `EXIT.usage` for a wrong number of arguments or one of
 * the wrong kind; `EXIT.failure` when the function traps.
 */
export function invokeExport(file: string, name: string, fn: WasmFunction, texts: string[], params: ParamType[] | undefined): unknown {
  // An exported function's `length` is its parameter count (the JS API). V8 itself would give a missing one
  // undefined (0 for an i32) and ignore those over.
  if (fn.length !== texts.length) {
    const types = params && params.length > 0 ? ` (${params.join(', ')})` : '';
    throw new CliError(`function "${name}" takes ${argumentCount(fn.length)}${types}, ${texts.length} given`, EXIT.usage);
  }
  const args = texts.map(parseArgument);
  params?.forEach((type, index) => checkArgument(name, index, type, texts[index] ?? '', args[index]));
  try {
    return fn(...args);
  } catch (error) {
    // The instance has no imports, so the function calls no JavaScript, and wasm code throws no TypeError itself (a
    // trap is a RuntimeError): a TypeError out of the call is the JS API's, converting the arguments before the
    // body runs. Its messages are no interface and are not matched (Node 20 and 24 both say "Cannot convert 5 to a
    // BigInt", "Cannot convert a BigInt value to a number", "type incompatibility when transforming from/to JS").
    // With the types read, the numbers were checked above: only a reference parameter, or a module whose bytes
    // could not be read, gets here.
    if (error instanceof TypeError) {
      throw new CliError(`V8 refused to call function "${name}": ${error.message} (the command line gives numbers, and 123n for an i64)`, EXIT.usage);
    }
    throw asRunFailure(file, `function "${name}"`, error);
  }
}

/**
 * Refuses an argument of the wrong kind for its parameter (V8 would throw a
 * TypeError): a number for an i64, a BigInt (`123n`) for an i32, f32 or f64,
 * anything for a v128 (which JavaScript cannot give). A reference parameter
 * is V8's to judge (an externref takes a number).
 *
 * @throws CliError (`EXIT.usage`) naming the function, the argument and how to write it.
 */
function checkArgument(name: string, index: number, type: ParamType, text: string, value: number | bigint | undefined): void {
  const argument = `argument ${index + 1} of function "${name}"`;
  if (type === 'v128') throw new CliError(`${argument} is a v128, which the command line cannot give`, EXIT.usage);
  if (type === 'i64' && typeof value === 'number') {
    throw new CliError(`${argument} is an i64: write it as ${/^-?\d+$/.test(text) ? `${text}n` : 'an integer with an n (123n)'}`, EXIT.usage);
  }
  if (type !== 'i64' && type !== 'ref' && typeof value === 'bigint') {
    throw new CliError(`${argument} is an ${type}, and only i64 arguments are written as 123n: write it as ${value}`, EXIT.usage);
  }
}

/**
 * A wasm function's failure at run time as one line (`what` names the
 * function): a trap (`WebAssembly.RuntimeError`: its message is the trap's,
 * "unreachable", "divide by zero"), or the stack exhausted, a RangeError for
 * V8. Any other error is returned unchanged.
 */
export function asRunFailure(file: string, what: string, error: unknown): unknown {
  if (error instanceof RuntimeError) return new CliError(`${file}: ${what} trapped: ${error.message}`, EXIT.failure);
  if (error instanceof RangeError) return new CliError(`${file}: ${what} failed: ${error.name}: ${error.message}`, EXIT.failure);
  return error;
}
