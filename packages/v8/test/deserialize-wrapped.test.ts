/** deserialize() and the argument checks, against what other code does to the globals and realms it runs with. */
import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { deserialize, readSerializedHeader, serialize, tierUpDisabledBy } from '../src/index.js';
import { buildWasmModule } from '@cache/wasm-fixtures';

type CompileStreaming = (source: unknown) => Promise<WebAssembly.Module>;
interface WasmForTests {
  Module: new (bytes: Uint8Array) => WebAssembly.Module;
  compileStreaming: CompileStreaming;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmForTests }).WebAssembly;
const original = wasm.compileStreaming;
afterEach(() => {
  wasm.compileStreaming = original;
});

describe('deserialize and a wrapped WebAssembly.compileStreaming', () => {
  it("calls V8's own compileStreaming, not a wrapper installed after load that calls it a tick later", async () => {
    let wrapperCalls = 0;
    // A library's wrapper: takes a Response or a promise of one, so awaits its source first. V8 then
    // binds the streaming callback after deserialize has restored Node's, which rejects the request.
    wasm.compileStreaming = async (source: unknown): Promise<WebAssembly.Module> => {
      wrapperCalls += 1;
      return original.call(wasm, await source);
    };
    const { module, acceptedByV8 } = await deserialize(new Uint8Array(0), buildWasmModule({ functions: 3 }));
    expect(module).toBeInstanceOf(wasm.Module);
    expect(acceptedByV8).toBe(false);
    expect(wrapperCalls).toBe(0);
  });
});

describe('arguments of another realm (a vm context)', () => {
  const wire = buildWasmModule({ functions: 3 });
  /** A copy of `bytes` in a Uint8Array made by a fresh vm context, as WebAssembly.compile takes it. */
  const foreign = (bytes: Uint8Array): Uint8Array => runInNewContext('new Uint8Array(Array.from(source))', { source: bytes }) as Uint8Array;

  it('deserialize takes Uint8Arrays made in a vm context, and still refuses what is not a Uint8Array of any realm', async () => {
    const serializedThere = foreign(new Uint8Array(0));
    const wireThere = foreign(wire);
    expect(wireThere instanceof Uint8Array).toBe(false);
    const { module } = await deserialize(serializedThere, wireThere);
    expect(module).toBeInstanceOf(wasm.Module);
    // One that only claims to be a Uint8Array, and a typed array of another type.
    const pretender = { [Symbol.toStringTag]: 'Uint8Array', byteLength: 8 } as unknown as Uint8Array;
    await expect(deserialize(pretender, wire)).rejects.toMatchObject({ code: 'ERR_CACHE_V8_INVALID_ARGUMENT' });
    await expect(deserialize(new Uint8Array(0), runInNewContext('new Uint16Array(4)') as Uint8Array)).rejects.toMatchObject({ code: 'ERR_CACHE_V8_INVALID_ARGUMENT' });
  });

  it('readSerializedHeader takes a vm context Uint8Array', () => {
    const header = foreign(new Uint8Array([0x00, 0x00, 0xde, 0xc0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0]));
    expect(readSerializedHeader(header)).toMatchObject({ magic: 0xc0de0000, versionHash: 1, cpuFeatures: 2, flagHash: 3 });
  });

  it('serialize takes a WebAssembly.Module compiled in a vm context', () => {
    const module = runInNewContext('new WebAssembly.Module(bytes)', { bytes: wire }) as WebAssembly.Module;
    expect(module instanceof wasm.Module).toBe(false);
    expect(serialize(module).byteLength).toBe(0); // lazily compiled: nothing to serialize yet, but no refusal
  });
});

describe('tierUpDisabledBy', () => {
  it.each([
    [[], undefined],
    [['--liftoff-only'], '--liftoff-only'],
    [['--liftoff_only'], '--liftoff-only'],
    [['-liftoff-only'], '--liftoff-only'],
    [['--liftoff-only', '--no-liftoff-only'], undefined],
    [['--liftoff-only', '--no-liftoff'], '--liftoff-only'],
    [['--no-wasm-tier-up'], undefined],
    [['--no-wasm-dynamic-tiering'], undefined],
    [['--no-wasm-tier-up', '--nowasm_dynamic_tiering'], '--no-wasm-tier-up --no-wasm-dynamic-tiering'],
    [['--no-wasm-tier-up', '--no-wasm-dynamic-tiering', '--no-liftoff'], undefined],
    [['--import', 'x.mjs', '--max-old-space-size=100'], undefined],
  ])('%j: %s', (execArgv, expected) => {
    expect(tierUpDisabledBy(execArgv)).toBe(expected);
  });

  it.each([['--liftoff-only'], ['--no-wasm-tier-up', '--no-wasm-dynamic-tiering']])(
    'a process started with %s learns at once that it has no header, without waiting for a tier-up that never comes',
    (...flags) => {
      const dist = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'dist', 'index.js');
      const script = `const v8 = await import(${JSON.stringify(dist)}); process.stdout.write(JSON.stringify({ header: await v8.currentFingerprint({ timeoutMs: 600_000 }), flags: v8.tierUpDisabledBy() }));`;
      // Before, the probe ran until the timeout (10 minutes here): the child is killed long before.
      const stdout = execFileSync(process.execPath, [...flags, '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
      expect(JSON.parse(stdout)).toEqual({ header: null, flags: flags.join(' ') });
    },
  );
});
