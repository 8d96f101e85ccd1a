import { join } from 'node:path';
import { addonPath } from '@cache/v8';
import { buildWasmModule } from '@cache/wasm-fixtures';
import { describe, expect, it } from 'vitest';
import { compileFailure } from '../src/commands/compile-failure.js';
import { CliError } from '../src/errors/cli-error.js';
import { errorLine } from './error-line.js';
import { cli, tempDir, writeIn } from './helpers.js';

/** The WebAssembly namespace, whose values Node's types do not declare. */
const wasmApi = (globalThis as unknown as { WebAssembly: { compile(bytes: Uint8Array): Promise<unknown>; CompileError: abstract new () => Error } }).WebAssembly;

describe('compileFailure: what a rejected engine.compile is called', () => {
  it('a WebAssembly.CompileError is a module that is not valid WebAssembly, with V8 saying where', async () => {
    const error: unknown = await wasmApi.compile(new Uint8Array([0, 0x61, 0x73, 0x6d, 2, 0, 0, 0])).catch((rejection: unknown) => rejection);
    expect(error).toBeInstanceOf(wasmApi.CompileError);
    const failure = compileFailure('m.wasm', error);
    expect(failure).toBeInstanceOf(CliError);
    expect(failure.exitCode).toBe(1);
    expect(failure.message).toMatch(/^m\.wasm is not a valid WebAssembly module: WebAssembly\.compile\(\): .*@\+4$/);
  });

  it('anything else is "cannot compile", exit 1: with its stable code, else with its name unless a plain Error', () => {
    const coded = Object.assign(new Error('the addon failed'), { code: 'ERR_CACHE_V8_UNAVAILABLE' });
    for (const [error, message] of [
      [new RangeError('WebAssembly.compile(): buffer source exceeds maximum size of 1000 (is 2000)'), 'cannot compile m.wasm: RangeError: WebAssembly.compile(): buffer source exceeds maximum size of 1000 (is 2000)'],
      [coded, 'cannot compile m.wasm: the addon failed (ERR_CACHE_V8_UNAVAILABLE)'],
      [new Error('out of memory'), 'cannot compile m.wasm: out of memory'],
      [new TypeError('x is not a function'), 'cannot compile m.wasm: TypeError: x is not a function'],
      ['a string thrown', 'cannot compile m.wasm: a string thrown'],
    ] as const) {
      const failure = compileFailure('m.wasm', error);
      expect({ message: failure.message, exitCode: failure.exitCode }).toEqual({ message, exitCode: 1 });
    }
  });
});

describe('wasm-cache run and compile: a module that is not WebAssembly, and a compile that failed otherwise (built binary)', () => {
  const dir = tempDir('cli-compile-failure-');
  const env = { WASM_CACHE_DIRECTORY: join(dir, 'cache') };

  it('bytes that are not a module: "not a valid WebAssembly module" with where V8 found it, exit 1, from run and compile', async () => {
    const junk = writeIn(dir, 'junk.wasm', new TextEncoder().encode('not wasm'));
    for (const command of ['run', 'compile']) {
      const result = await cli([command, junk], env);
      expect(result.code, result.stderr).toBe(1);
      const line = errorLine(result);
      expect(line.startsWith(`error: ${junk} is not a valid WebAssembly module: WebAssembly.compile(): `), line).toBe(true);
      expect(line).toMatch(/@\+0$/);
    }
  });

  it('a valid module whose cached code the addon fails to hand to V8: "cannot compile", the error\'s code kept, exit 1', async () => {
    const wasm = writeIn(dir, 'module.wasm', buildWasmModule({ functions: 20 }));
    const compiled = await cli(['compile', wasm], env);
    expect(compiled.code, compiled.stderr).toBe(0);
    // The stand-in is the real addon but for installLoader, which only a cache hit calls.
    const standIn = { ...env, CACHE_V8_ADDON_PATH: join(import.meta.dirname, 'fixtures', 'failing-loader-addon.cjs'), STAND_IN_REAL_ADDON: addonPath() };
    const result = await cli(['run', wasm, '--invoke', 'run', '1'], standIn);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toBe('');
    expect(errorLine(result)).toBe(`error: cannot compile ${wasm}: the stand-in addon could not hand the cached code to V8 (ERR_STAND_IN_LOADER)`);
  });
});
