import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { asUint8Array, copyOfBytes, type WasmNamespace } from '../src/wasm/wasm-api.js';
import { add32 } from './fixtures/wasm-api-cases.mjs';

const real = (globalThis as unknown as { WebAssembly: WasmNamespace }).WebAssembly;

/** What V8 makes of a source: 'rejects' (a TypeError: not bytes), else whether the bytes validate. */
function v8Takes(source: unknown): 'rejects' | boolean {
  try {
    return real.validate(source as Uint8Array);
  } catch (error) {
    expect(error).toBeInstanceOf(TypeError);
    return 'rejects';
  }
}

describe('asUint8Array', () => {
  const detachedView = (): Uint8Array => {
    const view = add32.slice();
    structuredClone(view.buffer, { transfer: [view.buffer] });
    return view;
  };
  const resizable = new (ArrayBuffer as new (length: number, options: { maxByteLength: number }) => ArrayBuffer)(add32.byteLength, { maxByteLength: 1024 });
  new Uint8Array(resizable).set(add32);
  const shared = new SharedArrayBuffer(add32.byteLength);
  new Uint8Array(shared).set(add32);
  const padded = new Uint8Array(add32.byteLength + 8);
  padded.set(add32, 4);
  const sources: [string, unknown][] = [
    ['a Uint8Array', add32],
    ['a Buffer', Buffer.from(add32)],
    ['an ArrayBuffer', add32.slice().buffer],
    ['a view with an offset', padded.subarray(4, 4 + add32.byteLength)],
    ['an Int32Array', new Int32Array(add32.slice(0, 40).buffer)],
    ['a resizable ArrayBuffer', resizable],
    ["another realm's ArrayBuffer", runInNewContext('new Uint8Array(bytes).buffer', { bytes: [...add32] })],
    ["another realm's Uint8Array", runInNewContext('new Uint8Array(bytes)', { bytes: [...add32] })],
    ['a view of a SharedArrayBuffer', new Uint8Array(shared)],
    ['a detached ArrayBuffer', detachedView().buffer],
    ['a view of a detached buffer', detachedView()],
    ['a DataView', new DataView(add32.slice().buffer)],
    ["another realm's DataView", runInNewContext('new DataView(new ArrayBuffer(8))')],
    ['a SharedArrayBuffer', shared],
    ['an array', [...add32]],
    ['a Proxy of a Uint8Array', new Proxy(add32, {})],
    ['null', null],
  ];

  it.each(sources)('takes %s exactly when V8 does, as the same bytes', (_name, source) => {
    const view = asUint8Array(source);
    const v8 = v8Takes(source);
    if (v8 === 'rejects') expect(view).toBeUndefined();
    else expect(view && real.validate(view)).toBe(v8);
  });

  it('never calls a Proxy trap of its argument', () => {
    const trapped: string[] = [];
    const proxy = new Proxy(add32, { get: (target, key) => (trapped.push(String(key)), Reflect.get(target, key)), getPrototypeOf: (target) => (trapped.push('getPrototypeOf'), Reflect.getPrototypeOf(target)) });
    expect(asUint8Array(proxy)).toBeUndefined();
    expect(trapped).toEqual([]);
  });
});

describe('copyOfBytes', () => {
  it('copies the bytes V8 takes, and nothing of no bytes or what V8 does not take', () => {
    const bytes = add32.slice();
    const copy = copyOfBytes(bytes);
    expect(copy).toEqual(bytes);
    bytes.fill(0);
    expect(copy).toEqual(add32);
    expect(copyOfBytes(new Uint8Array(0))).toBeUndefined();
    expect(copyOfBytes(new DataView(add32.slice().buffer))).toBeUndefined();
  });
});

describe('originalWasm where there is no WebAssembly (node --jitless)', () => {
  it("does not stop @cache/engine from loading; a compile rejects with the missing global's own error", () => {
    const script = [
      "const { CacheConfig, Config, Engine } = await import('@cache/engine');",
      'const engine = new Engine(Config.default().cacheConfig(CacheConfig.disabled()));',
      'const outcome = await engine.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])).then(() => "compiled", (error) => `${error.constructor.name}: ${error.message}`);',
      'process.stdout.write(JSON.stringify({ wasm: typeof WebAssembly, outcome }));',
    ].join('\n');
    const stdout = execFileSync(process.execPath, ['--jitless', '--input-type=module', '-e', script], { cwd: join(import.meta.dirname, '..'), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(JSON.parse(stdout)).toEqual({ wasm: 'undefined', outcome: 'ReferenceError: WebAssembly is not defined' });
  });
});
