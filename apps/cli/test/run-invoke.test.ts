import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorLine } from './error-line.js';
import { cli, tempDir, writeIn, type CliRun } from './helpers.js';
import { built, invokeModule, T, trappingWasiCommand } from './small-modules.js';

describe('wasm-cache run --invoke: arguments, kinds and traps (built binary)', () => {
  const dir = tempDir('cli-invoke-');
  const wasm = join(dir, 'small.wasm');
  writeFileSync(wasm, invokeModule());
  const wasi = join(dir, 'trapping-wasi.wasm');
  writeFileSync(wasi, trappingWasiCommand());
  const env = { WASM_CACHE_DIRECTORY: join(dir, 'cache') };
  const run = (...args: string[]): Promise<CliRun> => cli(['run', ...args], env);

  it('calls the function with numbers, and BigInts (123n) for i64', async () => {
    expect(await run(wasm, '--invoke', 'div', '7', '2')).toMatchObject({ code: 0, stdout: '3\n' });
    expect(await run(wasm, '--invoke', 'add64', '1', '2n')).toMatchObject({ code: 0, stdout: '3n\n' });
    // A negative i64 is an argument, not an unknown option (commander knows negative numbers by their digits alone).
    expect(await run(wasm, '--invoke', 'add64', '-1', '-2n')).toMatchObject({ code: 0, stdout: '-3n\n' });
    expect(await run(wasm, '--invoke', 'half', '3')).toMatchObject({ code: 0, stdout: '1.5\n' });
  });

  /** `run module --invoke` with `args` is a usage error, exit 2 with nothing on standard output, saying `line`. */
  const refusedIn = async (module: string, args: string[], line: string): Promise<void> => {
    const result = await run(module, '--invoke', ...args);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(errorLine(result)).toBe(`error: ${line}`);
  };
  /** {@link refusedIn} the module of {@link invokeModule}. */
  const refused = (args: string[], line: string): Promise<void> => refusedIn(wasm, args, line);

  it('too few or too many arguments: a usage error naming the function, how many it takes and how many were given', async () => {
    await refused(['div', '1'], 'function "div" takes 2 arguments (i32, i32), 1 given');
    await refused(['div', '1', '2', '3'], 'function "div" takes 2 arguments (i32, i32), 3 given');
    await refused(['boom', '1'], 'function "boom" takes no arguments, 1 given');
    await refused(['id64'], 'function "id64" takes 1 argument (i64), 0 given');
  });

  it('a number for an i64, or 123n for another type: a usage error naming the function and the argument', async () => {
    await refused(['id64', '5'], 'argument 1 of function "id64" is an i64: write it as 5n');
    await refused(['add64', '1', '2'], 'argument 2 of function "add64" is an i64: write it as 2n');
    await refused(['id64', '2.5'], 'argument 1 of function "id64" is an i64: write it as an integer with an n (123n)');
    await refused(['half', '3n'], 'argument 1 of function "half" is an f64, and only i64 arguments are written as 123n: write it as 3');
    await refused(['add64', '1n', '2n'], 'argument 1 of function "add64" is an i32, and only i64 arguments are written as 123n: write it as 1');
  });

  it('an integer argument that is a fraction or out of its type\'s range: a usage error, as in wasmtime (JavaScript would pass 7 for 7.9, 0 for 2^32)', async () => {
    await refused(['div', '7.9', '2'], 'argument 1 of function "div" is an i32: 7.9 is not an integer');
    await refused(['div', '7', '4294967296'], 'argument 2 of function "div" is an i32: 4294967296 is out of its range (-2147483648 to 2147483647)');
    await refused(['div', '-2147483649', '1'], 'argument 1 of function "div" is an i32: -2147483649 is out of its range (-2147483648 to 2147483647)');
    await refused(['id64', '9223372036854775808n'], 'argument 1 of function "id64" is an i64: 9223372036854775808n is out of its range (-9223372036854775808n to 9223372036854775807n)');
    // The ends of each range are taken.
    expect(await run(wasm, '--invoke', 'div', '-2147483648', '1')).toMatchObject({ code: 0, stdout: '-2147483648\n' });
    expect(await run(wasm, '--invoke', 'div', '0x7fffffff', '1')).toMatchObject({ code: 0, stdout: '2147483647\n' });
    expect(await run(wasm, '--invoke', 'id64', '-9223372036854775808n')).toMatchObject({ code: 0, stdout: '-9223372036854775808n\n' });
  });

  it('an empty or blank argument: a usage error naming its position and type (Number would read it as 0)', async () => {
    await refused(['div', '7', ''], 'argument 2 of function "div" (an i32) is empty: write a number');
    await refused(['half', ' \t'], 'argument 1 of function "half" (an f64) is empty: write a number');
    await refused(['add64', '1', ''], 'argument 2 of function "add64" (an i64) is empty: write an integer with an n (123n)');
    // What is no number says so in the same words.
    await refused(['div', 'seven', '2'], 'argument 1 of function "div" (an i32) is not a number: "seven"; write a number');
  });

  it('inf, infinity and nan (any case, with a sign) for an f64 or f32, as wasmtime reads them; the result printed by name, in --json too', async () => {
    // id(f64) -> f64 and id32(f32) -> f32: their argument.
    const floats = writeIn(dir, 'floats.wasm', built({
      types: [[[T.f64], [T.f64]], [[T.f32], [T.f32]]],
      funcs: [{ type: 0, code: [0x20, 0] }, { type: 1, code: [0x20, 0] }],
      exports: [['id', 0x00, 0], ['id32', 0x00, 1]],
    }));
    // (-inf and -nan are arguments, not unknown options.)
    for (const [argument, printed] of [['-inf', '-Infinity'], ['NaN', 'NaN'], ['+Infinity', 'Infinity']] as const) {
      expect(await run(floats, '--invoke', 'id', argument), argument).toMatchObject({ code: 0, stdout: `${printed}\n` });
      // JSON has no NaN or Infinity: the result is their name, a string.
      const json = await run(floats, '--invoke', 'id', argument, '--json');
      expect(json.code, json.stderr).toBe(0);
      expect((JSON.parse(json.stdout) as { result: unknown }).result, argument).toBe(printed);
    }
    for (const [fn, argument, printed] of [['id', 'INF', 'Infinity'], ['id', '-nan', 'NaN'], ['id32', '-Infinity', '-Infinity'], ['id32', 'nan', 'NaN']] as const) {
      expect(await run(floats, '--invoke', fn, argument), `${fn} ${argument}`).toMatchObject({ code: 0, stdout: `${printed}\n` });
    }
    // Only those spellings.
    await refusedIn(floats, ['id', 'infinite'], 'argument 1 of function "id" (an f64) is not a number: "infinite"; write a number');
    // Right after --invoke, -inf is its value, a function's name.
    await refusedIn(floats, ['-inf'], 'no exported function "-inf"; exported: id, id32');
  });

  it('inf or nan for an i32 or i64: a usage error saying that only f32 and f64 arguments can be', async () => {
    await refused(['div', 'inf', '2'], 'argument 1 of function "div" is an i32, and only f32 and f64 arguments can be inf or nan: write a number');
    await refused(['div', '7', 'NaN'], 'argument 2 of function "div" is an i32, and only f32 and f64 arguments can be inf or nan: write a number');
    await refused(['id64', '-Infinity'], 'argument 1 of function "id64" is an i64, and only f32 and f64 arguments can be inf or nan: write an integer with an n (123n)');
  });

  it('a trap is one line saying the function trapped and why, exit 1', async () => {
    for (const [args, message] of [
      [['div', '1', '0'], 'divide by zero'],
      [['boom'], 'unreachable'],
      [['load', '1000000'], 'memory access out of bounds'],
    ] as const) {
      const trapped = await run(wasm, '--invoke', ...args);
      expect(trapped.code, trapped.stderr).toBe(1);
      expect(trapped.stdout).toBe('');
      expect(errorLine(trapped)).toBe(`error: ${wasm}: function "${args[0]}" trapped: ${message}`);
    }
    // Not a trap for V8 (a RangeError), but the same: the function failed, in one line.
    const deep = await run(wasm, '--invoke', 'recurse');
    expect(deep.code).toBe(1);
    expect(errorLine(deep)).toBe(`error: ${wasm}: function "recurse" failed: RangeError: Maximum call stack size exceeded`);
    // A WASI command's _start: the same (arguments are the command's, accepted).
    const command = await run(wasi, 'one', 'two');
    expect(command.code, command.stderr).toBe(1);
    expect(errorLine(command)).toBe(`error: ${wasi}: _start trapped: unreachable`);
  });

  it('arguments without --invoke for a module that is not a WASI command: a usage error, nothing run', async () => {
    const ignored = await run(wasm, '1', '2');
    expect(ignored.code).toBe(2);
    expect(ignored.stdout).toBe('');
    expect(errorLine(ignored)).toBe(
      `error: ${wasm} is not a WASI command, so its arguments (1 2) are for a function named with --invoke; its exported functions: div, id64, half, add64, boom, load, recurse`,
    );
    expect((await run(wasm)).code).toBe(0);
  });
});
