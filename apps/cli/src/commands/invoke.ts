import { CliError, EXIT } from '../errors/cli-error.js';
import { counted } from '../output/plural.js';
import { namedFloat } from './float-names.js';
import { describeWasmException, isWasmException } from './wasm-exception.js';
import { exportedTagParams, type ParamType } from './wasm-signatures.js';

/** An instance `run` runs: its exports, and its module's bytes (its exported tags' payload types are read from them only to describe an exception). */
export interface RunInstance {
  readonly exports: Readonly<Record<string, unknown>>;
  readonly bytes: Uint8Array;
}

/** An exported WebAssembly function, as JavaScript calls it. */
export type WasmFunction = (...args: Array<number | bigint>) => unknown;

/** `WebAssembly.RuntimeError`: what a trap throws (unreachable, divide by zero, out of bounds…). */
const RuntimeError = (globalThis as unknown as { WebAssembly: { RuntimeError: abstract new () => Error } }).WebAssembly.RuntimeError;

/** How an argument of a parameter of type `type` (undefined: not known) is written on the command line. */
function howToWrite(type: ParamType | undefined): string {
  if (type === undefined) return 'a number (123n for an i64)';
  return type === 'i64' ? 'an integer with an n (123n)' : 'a number';
}

/** How messages name argument `index` (from 0) of function `name`: `argument 1 of function "div"`. */
const argumentOf = (name: string, index: number): string => `argument ${index + 1} of function "${name}"`;

/** A parameter's type with its article: "an i32", "a v128", "a reference". */
function typeInWords(type: ParamType): string {
  if (type === 'ref') return 'a reference';
  return type === 'v128' ? 'a v128' : `an ${type}`;
}

/**
 * Reads argument `index` of function `name` (its parameter's type, when
 * known): a number, or a BigInt for i64 (`123n`), or for an f32 or f64 also
 * `inf`, `infinity` or `nan` (see {@link namedFloat}). An empty or blank one
 * is refused (`Number` would read it as 0), as is one that is no number.
 *
 * @throws CliError (`EXIT.usage`) naming the argument, its type and how to write it.
 */
function parseArgument(name: string, index: number, text: string, type: ParamType | undefined): number | bigint {
  const argument = `${argumentOf(name, index)}${type === undefined ? '' : ` (${typeInWords(type)})`}`;
  if (text.trim() === '') throw new CliError(`${argument} is empty: write ${howToWrite(type)}`, EXIT.usage);
  if (/^-?\d+n$/.test(text)) return BigInt(text.slice(0, -1));
  const named = namedFloat(text);
  if (named !== undefined) return nonFiniteArgument(name, index, text, type, named);
  // Any other text Number reads as non-finite ("1e400") stays refused: wasmtime's spellings only.
  const value = Number(text);
  if (!Number.isFinite(value)) throw new CliError(`${argument} is not a number: ${JSON.stringify(text)}; write ${howToWrite(type)}`, EXIT.usage);
  return value;
}

/**
 * Argument `index` of function `name` written as `inf`, `infinity` or `nan`
 * (`value` is what it names): taken by an f32 or f64 parameter, as wasmtime
 * takes it. An integer parameter would get it converted (V8 makes NaN and
 * Infinity an i32 0, and refuses them for an i64), and a parameter whose type
 * could not be read may be one, so both are refused.
 *
 * @throws CliError (`EXIT.usage`) for a parameter not known to be an f32 or f64.
 */
function nonFiniteArgument(name: string, index: number, text: string, type: ParamType | undefined, value: number): number {
  if (type === 'f32' || type === 'f64') return value;
  const argument = argumentOf(name, index);
  if (type === undefined) {
    throw new CliError(`${argument} is ${JSON.stringify(text)}, which only an f32 or f64 takes, and the function's parameter types could not be read from the module: write ${howToWrite(type)}`, EXIT.usage);
  }
  throw new CliError(`${argument} is ${typeInWords(type)}, and only f32 and f64 arguments can be inf or nan: write ${howToWrite(type)}`, EXIT.usage);
}

const argumentCount = (count: number): string => (count === 0 ? 'no arguments' : counted(count, 'argument'));

/**
 * The command line's arguments for the exported function `name` (`fn`):
 * numbers, BigInts (`123n`) for i64, and Infinity, -Infinity and NaN
 * (`inf`, `-inf`, `nan`) for f32 and f64. `params` are its parameter types
 * when they could be read from the module's bytes. Checked before any of the
 * module's code runs.
 *
 * @throws CliError (`EXIT.usage`) for a wrong number of arguments, an empty
 * one, or one of the wrong kind.
 */
export function invocationArguments(name: string, fn: WasmFunction, texts: string[], params: ParamType[] | undefined): Array<number | bigint> {
  // An exported function's `length` is its parameter count (the JS API). V8 itself would give a missing one
  // undefined (0 for an i32) and ignore those over.
  if (fn.length !== texts.length) {
    const types = params && params.length > 0 ? ` (${params.join(', ')})` : '';
    throw new CliError(`function "${name}" takes ${argumentCount(fn.length)}${types}, ${texts.length} given`, EXIT.usage);
  }
  // A v128 first: no text can give one.
  params?.forEach((type, index) => {
    if (type === 'v128') throw new CliError(`${argumentOf(name, index)} is a v128, which the command line cannot give`, EXIT.usage);
  });
  const args = texts.map((text, index) => parseArgument(name, index, text, params?.[index]));
  params?.forEach((type, index) => checkArgument(name, index, type, texts[index] ?? '', args[index]));
  return args;
}

/**
 * Calls the exported function `name` of an instance of `file` with arguments from {@link invocationArguments}. The
 * instance's only imports, if any, must be node:wasi's: see the comment on a
 * TypeError below.
 *
 * @throws CliError: `EXIT.usage` when V8 refuses the arguments; `EXIT.failure`
 * when the function traps or throws a WebAssembly exception (see
 * {@link asRunFailure}). Anything else it throws (a WASI `proc_exit`) is thrown on.
 */
export function callExport(file: string, name: string, fn: WasmFunction, args: Array<number | bigint>, instance: RunInstance): unknown {
  try {
    return fn(...args);
  } catch (error) {
    // The instance imports nothing, or only node:wasi's native functions, which throw no TypeError (a trap is a
    // RuntimeError, our proc_exit a WasiExit): a TypeError out of the call is the JS API's, converting the arguments
    // before the body runs. Its messages are no interface and are not matched (Node 20 and 24 both say "Cannot
    // convert 5 to a BigInt", "Cannot convert a BigInt value to a number", "type incompatibility when transforming
    // from/to JS"). With the types read, the numbers were checked before: only a reference parameter, or a module
    // whose bytes could not be read, gets here.
    if (error instanceof TypeError) {
      throw new CliError(`V8 refused to call function "${name}": ${error.message} (the command line gives numbers, and 123n for an i64)`, EXIT.usage);
    }
    throw asRunFailure(file, `function "${name}"`, error, instance);
  }
}

/**
 * Refuses an argument of the wrong kind for its parameter (V8 would throw a
 * TypeError): a number for an i64, a BigInt (`123n`) for an i32, f32 or f64.
 * (A v128 parameter, which JavaScript cannot give, is refused before any
 * argument is read.) A reference parameter is V8's to judge (an externref
 * takes a number).
 *
 * @throws CliError (`EXIT.usage`) naming the function, the argument and how to write it.
 */
function checkArgument(name: string, index: number, type: ParamType, text: string, value: number | bigint | undefined): void {
  const argument = argumentOf(name, index);
  if (type === 'i64' && typeof value === 'number') {
    throw new CliError(`${argument} is an i64: write it as ${/^-?\d+$/.test(text) ? `${text}n` : 'an integer with an n (123n)'}`, EXIT.usage);
  }
  if (type !== 'i64' && type !== 'ref' && typeof value === 'bigint') {
    throw new CliError(`${argument} is an ${type}, and only i64 arguments are written as 123n: write it as ${value}`, EXIT.usage);
  }
  // JavaScript would pass 7.9 to an i32 as 7, 2^32 as 0 and 2^64n to an i64 as 0n; wasmtime refuses them, and so does this.
  if (type === 'i32' && typeof value === 'number' && !(Number.isInteger(value) && value >= I32_MIN && value <= I32_MAX)) {
    const why = Number.isInteger(value) ? `${text} is out of its range (${I32_MIN} to ${I32_MAX})` : `${text} is not an integer`;
    throw new CliError(`${argument} is an i32: ${why}`, EXIT.usage);
  }
  if (type === 'i64' && typeof value === 'bigint' && (value < I64_MIN || value > I64_MAX)) {
    throw new CliError(`${argument} is an i64: ${text} is out of its range (${I64_MIN}n to ${I64_MAX}n)`, EXIT.usage);
  }
}

const I32_MIN = -(2 ** 31);
const I32_MAX = 2 ** 31 - 1;
const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

/** Whether `error` is wasm code's own failure: a trap, the stack exhausted, or an uncaught WebAssembly exception (see {@link asRunFailure}). */
export function isWasmFailure(error: unknown): boolean {
  return error instanceof RuntimeError || error instanceof RangeError || isWasmException(error);
}

/**
 * A wasm function's failure at run time as one line (`what` names the
 * function; `instance` is its instance, to name an exception's tag, unless
 * there was none yet): a trap
 * (`WebAssembly.RuntimeError`: its message is the trap's, "unreachable",
 * "divide by zero"), the stack exhausted (a RangeError for V8), or an uncaught
 * `WebAssembly.Exception` (see {@link describeWasmException}). Any other
 * error is returned unchanged.
 */
export function asRunFailure(file: string, what: string, error: unknown, instance?: RunInstance): unknown {
  if (error instanceof RuntimeError) return new CliError(`${file}: ${what} trapped: ${error.message}`, EXIT.failure);
  if (error instanceof RangeError) return new CliError(`${file}: ${what} failed: ${error.name}: ${error.message}`, EXIT.failure);
  if (isWasmException(error)) return new CliError(`${file}: ${what} threw ${describeWasmException(error, instance?.exports, instance && exportedTagParams(instance.bytes))}`, EXIT.failure);
  return error;
}
