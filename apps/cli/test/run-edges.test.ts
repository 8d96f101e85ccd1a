import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorLine } from './error-line.js';
import { cli, tempDir, writeIn, type CliRun } from './helpers.js';
import { built, constI32, T } from './small-modules.js';

const WASI = 'wasi_snapshot_preview1';
/** Export kinds. */
const FUNC = 0x00;
const MEMORY = 0x02;
const TAG = 0x04;
/** `call f`, `throw t`, `unreachable`. */
const call = (f: number): number[] => [0x10, f];
const throwTag = (t: number): number[] => [0x08, t];
const UNREACHABLE = [0x00];

/** A WASI command whose `_start` calls `proc_exit(status)`. */
const exitingCommand = (status: number): Uint8Array =>
  built({ types: [[[T.i32], []], [[], []]], imports: [[WASI, 'proc_exit', 0]], funcs: [{ type: 1, code: [...constI32(status), ...call(0)] }], memory: true, exports: [['memory', MEMORY, 0], ['_start', FUNC, 1]] });

describe('wasm-cache run: entry points, start sections, exits and results at the edges (built binary)', () => {
  const dir = tempDir('cli-edges-');
  const file = (name: string, bytes: Uint8Array): string => writeIn(dir, name, bytes);
  const env = { WASM_CACHE_DIRECTORY: join(dir, 'cache') };
  const run = (...args: string[]): Promise<CliRun> => cli(['run', ...args], env);

  it("an exception whose tag holds a v128 is one line, its payload unread (reading it aborts Node 20's V8), exit 1", async () => {
    const module = file('v128-exception.wasm', built({
      types: [[[T.v128, T.i32], []], [[], []]],
      tags: [0],
      funcs: [{ type: 1, code: [0xfd, 0x0c, ...new Array<number>(16).fill(1), ...constI32(3), ...throwTag(0)] }],
      exports: [['v', FUNC, 0], ['tv', TAG, 0]],
    }));
    const result = await run(module, '--invoke', 'v');
    expect(result.code).toBe(1);
    expect(errorLine(result)).toBe(`error: ${module}: function "v" threw an uncaught WebAssembly exception: tag "tv", its payload holds a v128, which JavaScript cannot read, so it is not shown`);
  });

  it('a WASI command exporting _initialize too runs both, _initialize first, as wasmtime does', async () => {
    const both = (initialize: number[]): Uint8Array =>
      built({
        types: [[[T.i32], []], [[], []]],
        imports: [[WASI, 'proc_exit', 0]],
        funcs: [{ type: 1, code: initialize }, { type: 1, code: [...constI32(5), ...call(0)] }],
        memory: true,
        exports: [['memory', MEMORY, 0], ['_initialize', FUNC, 1], ['_start', FUNC, 2]],
      });
    const ran = await run(file('both.wasm', both([])));
    expect({ code: ran.code, error: ran.stderr.includes('error') }).toEqual({ code: 5, error: false });
    // An _initialize that traps stops the run before _start (which would exit 5).
    const module = file('both-trapping.wasm', both(UNREACHABLE));
    const trapped = await run(module);
    expect(trapped.code).toBe(1);
    expect(errorLine(trapped)).toBe(`error: ${module}: _initialize trapped: unreachable`);
  });

  it("proc_exit from the start section ends the run with its status; a trap or an exception there is the start function's, one line", async () => {
    const exiting = (status: number): Uint8Array =>
      built({ types: [[[T.i32], []], [[], []], [[T.i32], [T.i32]]], imports: [[WASI, 'proc_exit', 0]], funcs: [{ type: 1, code: [...constI32(status), ...call(0)] }, { type: 2, code: [0x20, 0] }], memory: true, exports: [['memory', MEMORY, 0], ['id', FUNC, 2]], start: 1 });
    expect((await run(file('start-exit-0.wasm', exiting(0)))).code).toBe(0);
    const three = await run(file('start-exit-3.wasm', exiting(3)), '--invoke', 'id', '1');
    expect({ code: three.code, stdout: three.stdout }).toEqual({ code: 3, stdout: '' });
    const trapping = file('start-trap.wasm', built({ types: [[[], []], [[T.i32], [T.i32]]], funcs: [{ type: 0, code: UNREACHABLE }, { type: 1, code: [0x20, 0] }], exports: [['id', FUNC, 1]], start: 0 }));
    const trapped = await run(trapping, '--invoke', 'id', '1');
    expect(trapped.code).toBe(1);
    expect(errorLine(trapped)).toBe(`error: ${trapping}: its start function trapped: unreachable`);
    const throwing = file('start-throw.wasm', built({ types: [[[T.i32], []], [[], []]], tags: [0], funcs: [{ type: 1, code: [...constI32(42), ...throwTag(0)] }], exports: [['oops', TAG, 0]], start: 0 }));
    const threw = await run(throwing);
    expect(threw.code).toBe(1);
    expect(errorLine(threw)).toBe(`error: ${throwing}: its start function threw an uncaught WebAssembly exception (thrown before the instance existed, so its tag cannot be named)`);
  });

  it('an entry point that takes parameters is refused in one line, before it runs', async () => {
    for (const [name, type, entry] of [['start-i64.wasm', T.i64, '_start'], ['start-i32.wasm', T.i32, '_start'], ['init-v128.wasm', T.v128, '_initialize']] as const) {
      const module = file(name, built({ types: [[[type], []], [[], [T.i32]]], funcs: [{ type: 0, code: UNREACHABLE }, { type: 1, code: constI32(1) }], exports: [[entry, FUNC, 0], ['one', FUNC, 1]] }));
      const result = await run(module, ...(entry === '_initialize' ? ['--invoke', 'one'] : []));
      expect(result.code).toBe(1);
      expect(errorLine(result)).toBe(`error: ${module}: its ${entry} takes a parameter; an entry point takes none`);
    }
  });

  it('a status outside 0-125 is an error, never read as another (256 would exit 0); one inside is the exit code', async () => {
    for (const status of [256, -1, 126]) {
      const module = file(`exit-${status}.wasm`, exitingCommand(status));
      const result = await run(module);
      expect(result.code).toBe(1);
      expect(errorLine(result)).toBe(`error: ${module} exited with status ${status}, outside 0-125: a program's own status must be in that range`);
    }
    expect((await run(file('exit-125.wasm', exitingCommand(125)))).code).toBe(125);
  });

  it('proc_exit is the status even when the module catches it (catch_all) and goes on', async () => {
    // f(i32): try { proc_exit(arg) } catch_all {}; 99
    const module = file('catch-all.wasm', built({
      types: [[[T.i32], []], [[T.i32], [T.i32]]],
      imports: [[WASI, 'proc_exit', 0]],
      funcs: [{ type: 1, code: [0x06, 0x40, 0x20, 0, ...call(0), 0x19, 0x0b, ...constI32(99)] }],
      memory: true,
      exports: [['memory', MEMORY, 0], ['f', FUNC, 1]],
    }));
    const result = await run(module, '--invoke', 'f', '3');
    expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 3, stdout: '99\n' });
  });

  it('a WASI module without an exported memory: instantiated alone, and one line naming the file when WASI needs it', async () => {
    const module = file('no-memory.wasm', built({ types: [[[T.i32], []], [[], [T.i32]]], imports: [[WASI, 'proc_exit', 0]], funcs: [{ type: 1, code: constI32(5) }], exports: [['five', FUNC, 1]] }));
    expect((await run(module)).code).toBe(0);
    const invoked = await run(module, '--invoke', 'five');
    expect(invoked.code).toBe(1);
    expect(errorLine(invoked)).toBe(`error: ${module} imports WASI but exports no memory named "memory", which the WASI functions need`);
  });

  it('several results, an i64 among them, print and go to --json (123n; NaN by name)', async () => {
    const nan = [0x44, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f];
    const module = file('multi.wasm', built({ types: [[[], [T.i64, T.i32]], [[], [T.f64]]], funcs: [{ type: 0, code: [0x42, 5, ...constI32(7)] }, { type: 1, code: nan }], exports: [['m64', FUNC, 0], ['nan', FUNC, 1]] }));
    expect((await run(module, '--invoke', 'm64')).stdout).toBe('5n 7\n');
    const json = await run(module, '--invoke', 'm64', '--json');
    expect(json.code).toBe(0);
    expect((JSON.parse(json.stdout) as { result: unknown }).result).toEqual(['5n', 7]);
    expect((JSON.parse((await run(module, '--invoke', 'nan', '--json')).stdout) as { result: unknown }).result).toBe('NaN');
  });
});
