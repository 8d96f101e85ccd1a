import { describe, expect, it } from 'vitest';
import { invocationArguments, type WasmFunction } from '../src/commands/invoke.js';
import { CliError } from '../src/errors/cli-error.js';

/** A function of one parameter, as an exported one looks to JavaScript (its `length` is its parameter count). */
const one: WasmFunction = (value) => value;

/** The CliError `invocationArguments` throws for `texts`, as its message and exit code. */
function refusal(texts: string[], params: Parameters<typeof invocationArguments>[3]): { message: string; exitCode: number } {
  try {
    invocationArguments('f', one, texts, params);
  } catch (error) {
    if (error instanceof CliError) return { message: error.message, exitCode: error.exitCode };
    throw error;
  }
  throw new Error(`invocationArguments took ${JSON.stringify(texts)}`);
}

describe("invocationArguments: inf, infinity and nan, as wasmtime reads an f32 or f64 argument", () => {
  it('gives Infinity, -Infinity and NaN for an f32 or f64, in any case, with an optional sign', () => {
    for (const type of ['f32', 'f64'] as const) {
      for (const [text, value] of [['inf', Infinity], ['+inf', Infinity], ['-INF', -Infinity], ['Infinity', Infinity], ['-infinity', -Infinity], ['+InFiNiTy', Infinity], ['nan', NaN], ['-NaN', NaN], ['+nan', NaN]] as const) {
        expect(invocationArguments('f', one, [text], [type]), `${type} ${text}`).toEqual([value]);
      }
    }
  });

  it('refuses other spellings, and what Number reads as infinite, as no number', () => {
    for (const text of ['infinite', 'in', '--inf', 'inf.', 'nan1', '1e400']) {
      expect(refusal([text], ['f64']), text).toEqual({ message: `argument 1 of function "f" (an f64) is not a number: ${JSON.stringify(text)}; write a number`, exitCode: 2 });
    }
  });

  it('refuses them for an integer or reference parameter, and for one whose type could not be read, exit 2', () => {
    expect(refusal(['inf'], ['i32'])).toEqual({ message: 'argument 1 of function "f" is an i32, and only f32 and f64 arguments can be inf or nan: write a number', exitCode: 2 });
    expect(refusal(['nan'], ['i64'])).toEqual({ message: 'argument 1 of function "f" is an i64, and only f32 and f64 arguments can be inf or nan: write an integer with an n (123n)', exitCode: 2 });
    expect(refusal(['-inf'], ['ref'])).toEqual({ message: 'argument 1 of function "f" is a reference, and only f32 and f64 arguments can be inf or nan: write a number', exitCode: 2 });
    expect(refusal(['Infinity'], undefined)).toEqual({
      message: `argument 1 of function "f" is "Infinity", which only an f32 or f64 takes, and the function's parameter types could not be read from the module: write a number (123n for an i64)`,
      exitCode: 2,
    });
    // A finite number is still taken without the types.
    expect(invocationArguments('f', one, ['2.5'], undefined)).toEqual([2.5]);
  });
});
