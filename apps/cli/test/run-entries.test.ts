import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorLine } from './error-line.js';
import { cli, tempDir, writeIn, type CliRun } from './helpers.js';
import { throwingModule, trappingStartModule, unknownWasiImport, wasiModule } from './small-modules.js';

/** What `run` printed on standard output, and its exit code. */
const outcome = (run: CliRun): { code: number; stdout: string } => ({ code: run.code, stdout: run.stdout });

describe('wasm-cache run: what runs, as in wasmtime (_initialize, then --invoke or _start) (built binary)', () => {
  const dir = tempDir('cli-entries-');
  const file = (name: string, bytes: Uint8Array): string => writeIn(dir, name, bytes);
  const command = file('command.wasm', wasiModule('command'));
  const reactor = file('reactor.wasm', wasiModule('reactor'));
  const trappingStart = file('trapping-start.wasm', trappingStartModule());
  const throwing = file('throwing.wasm', throwingModule());
  const env = { WASM_CACHE_DIRECTORY: join(dir, 'cache') };
  const run = (...args: string[]): Promise<CliRun> => cli(['run', ...args], env);

  it('a WASI command with --invoke: the function is called instead of _start, with the WASI functions working', async () => {
    // The global _start sets is still 0, and _start printed nothing.
    expect(outcome(await run(command, '--invoke', 'get', '5'))).toEqual({ code: 0, stdout: '5\n' });
    // fd_write works: node:wasi has the instance's memory though _start never ran.
    expect(outcome(await run(command, '--invoke', 'say'))).toEqual({ code: 0, stdout: 'hello\n' });
    // proc_exit from the invoked function ends the run with its status, and is no error.
    const quit = await run(command, '--invoke', 'quit', '7');
    expect(outcome(quit)).toEqual({ code: 7, stdout: '' });
    expect(quit.stderr).not.toContain('error');
    // Without --invoke it is still a command: _start runs, with the arguments as its own.
    expect(outcome(await run(command, 'one', 'two'))).toEqual({ code: 0, stdout: '_start ran\n' });
  });

  it('a WASI reactor: _initialize runs (through node:wasi), then the function named with --invoke', async () => {
    expect(outcome(await run(reactor, '--invoke', 'get', '5'))).toEqual({ code: 0, stdout: '_initialize ran\n105\n' });
    expect(outcome(await run(reactor, '--invoke', 'say'))).toEqual({ code: 0, stdout: '_initialize ran\nhello\n' });
    expect(outcome(await run(reactor, '--invoke', 'quit', '3'))).toEqual({ code: 3, stdout: '_initialize ran\n' });
    expect(outcome(await run(reactor))).toEqual({ code: 0, stdout: '_initialize ran\n' });
    const json = await run(reactor, '--invoke', 'get', '1', '--json');
    expect(JSON.parse(json.stdout.slice(json.stdout.indexOf('{')))).toMatchObject({ wasi: true, result: 101, exitCode: 0 });
    // A reactor takes no arguments of its own: without --invoke they are refused, nothing run.
    const refused = await run(reactor, '1');
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(errorLine(refused)).toContain(`${reactor} is not a WASI command, so its arguments (1) are for a function named with --invoke`);
  });

  it('a WASI module importing what node:wasi does not have: one line, exit 1', async () => {
    const unknown = file('unknown-import.wasm', unknownWasiImport());
    const refused = await run(unknown);
    expect(refused.code).toBe(1);
    expect(errorLine(refused)).toMatch(new RegExp(`^error: cannot instantiate ${unknown} with node:wasi's imports \\(wasi_snapshot_preview1\\): .*no_such_call`));
  });

  it('arguments to a function of a WASI module are checked against its parameters, before any of its code runs', async () => {
    const number = await run(reactor, '--invoke', 'wide', '5');
    expect(number.code).toBe(2);
    expect(number.stdout).toBe('');
    expect(errorLine(number)).toBe('error: argument 1 of function "wide" is an i64: write it as 5n');
    expect(outcome(await run(reactor, '--invoke', 'wide', '5n'))).toEqual({ code: 0, stdout: '_initialize ran\n5n\n' });
  });

  it('a module without WASI imports: its _start is run (a trap in it is one line, exit 1), after its _initialize', async () => {
    const trapped = await run(trappingStart);
    expect(trapped.code).toBe(1);
    expect(trapped.stdout).toBe('');
    expect(errorLine(trapped)).toBe(`error: ${trappingStart}: _start trapped: unreachable`);
    // --invoke calls the function instead of _start; _initialize ran first.
    expect(outcome(await run(trappingStart, '--invoke', 'seven'))).toEqual({ code: 0, stdout: '7\n' });
    expect(outcome(await run(trappingStart, '--invoke', 'initialized'))).toEqual({ code: 0, stdout: '100\n' });
  });

  it('an uncaught WebAssembly exception is one line naming its tag and payload, exit 1', async () => {
    const invoked = await run(throwing, '--invoke', 'throws');
    expect(invoked.code).toBe(1);
    expect(invoked.stdout).toBe('');
    expect(errorLine(invoked)).toBe(`error: ${throwing}: function "throws" threw an uncaught WebAssembly exception: tag "oops", payload 42, 7n`);
    const started = await run(throwing);
    expect(started.code).toBe(1);
    expect(errorLine(started)).toBe(`error: ${throwing}: _start threw an uncaught WebAssembly exception: tag "oops", payload 42, 7n`);
    const anonymous = await run(throwing, '--invoke', 'anonymous');
    expect(anonymous.code).toBe(1);
    expect(errorLine(anonymous)).toBe(
      `error: ${throwing}: function "anonymous" threw an uncaught WebAssembly exception (its tag is not exported, so neither it nor its payload can be shown)`,
    );
  });
});
