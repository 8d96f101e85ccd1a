import { appendCustomSection, buildWasmModule } from '@cache/wasm-fixtures';
import { describe, expect, it } from 'vitest';
import { handOffToSyncConstructor } from '../src/register/sync-handoff.js';
import type { WasmNamespace } from '../src/wasm/wasm-api.js';

/** `WebAssembly.Module`'s static functions the test uses. */
interface ModuleStatics {
  exports(module: WebAssembly.Module): { name: string }[];
  customSections(module: WebAssembly.Module, name: string): ArrayBuffer[];
}

const real = (globalThis as unknown as { WebAssembly: WasmNamespace }).WebAssembly;
const statics = (module: WasmNamespace['Module']): ModuleStatics => module as unknown as ModuleStatics;

/** A stand-in for the global namespace, so the test wraps its own `Module` and not the process's. */
function namespace(): WasmNamespace {
  return { ...real, Module: real.Module };
}

const run = (module: WebAssembly.Module, n: number): unknown => (new real.Instance(module, {}).exports as { run(n: number): unknown }).run(n);

describe('handing a preloaded module to the next new WebAssembly.Module of its bytes', () => {
  const bytes = buildWasmModule({ functions: 20 });

  it('returns the preloaded module once, to a plain construction with equal bytes (any view of them)', () => {
    const wasm = namespace();
    const preloaded = new real.Module(bytes);
    expect(handOffToSyncConstructor(preloaded, bytes, wasm)).toBe(true);
    expect(wasm.Module).not.toBe(real.Module);
    // Equal bytes in another buffer, passed as an ArrayBuffer: still handed over.
    const copy = bytes.slice();
    expect(new wasm.Module(copy.buffer)).toBe(preloaded);
    // Only once: every later construction gets an object of its own, as without the cache.
    const later = new wasm.Module(bytes);
    expect(later).not.toBe(preloaded);
    expect(later).toBeInstanceOf(wasm.Module);
    expect(run(later, 7)).toBe(run(preloaded, 7));
  });

  it('compiles other bytes normally, including bytes of the same length', () => {
    const wasm = namespace();
    const a = appendCustomSection(bytes, 'a', new Uint8Array(8));
    const b = appendCustomSection(bytes, 'b', new Uint8Array(8));
    expect(a.byteLength).toBe(b.byteLength);
    const preloaded = new real.Module(a);
    handOffToSyncConstructor(preloaded, a, wasm);
    const other = new wasm.Module(b);
    expect(other).not.toBe(preloaded);
    expect(statics(real.Module).customSections(other, 'b')).toHaveLength(1);
    expect(statics(real.Module).customSections(other, 'a')).toHaveLength(0);
    // The preloaded module is still waiting for its own bytes.
    expect(new wasm.Module(a)).toBe(preloaded);
  });

  it('leaves everything else of WebAssembly.Module as it was', () => {
    const wasm = namespace();
    const preloaded = new real.Module(bytes);
    handOffToSyncConstructor(preloaded, bytes, wasm);
    class Subclass extends wasm.Module {}
    // A subclass never gets the preloaded module: its instances must be of the subclass.
    const sub = new Subclass(bytes);
    expect(sub).toBeInstanceOf(Subclass);
    expect(sub).not.toBe(preloaded);
    expect(preloaded).toBeInstanceOf(wasm.Module);
    expect(statics(wasm.Module).exports(preloaded)).toEqual(statics(real.Module).exports(preloaded));
    expect(wasm.Module.name).toBe('Module');
    expect(() => new wasm.Module(new Uint8Array([0, 1, 2]))).toThrow(real.CompileError);
    expect(new wasm.Module(bytes)).toBe(preloaded);
  });

  it('leaves a construction given compile options to V8: the preloaded module had none', () => {
    const wasm = namespace();
    const preloaded = new real.Module(bytes);
    handOffToSyncConstructor(preloaded, bytes, wasm);
    const withOptions = new wasm.Module(bytes, { builtins: ['js-string'] });
    expect(withOptions).not.toBe(preloaded);
    expect(withOptions).toBeInstanceOf(real.Module);
    expect(new wasm.Module(bytes)).toBe(preloaded);
  });

  it("keeps WebAssembly.Module's identity: its prototype's constructor and its modules' are the wrapped Module", () => {
    const wasm = namespace();
    const preloaded = new real.Module(bytes);
    handOffToSyncConstructor(preloaded, bytes, wasm);
    const { Module } = wasm;
    expect(Module.prototype.constructor).toBe(Module);
    expect(preloaded.constructor).toBe(Module);
    expect(new Module(bytes).constructor).toBe(Module);
    expect(Object.getPrototypeOf(new Module(bytes))).toBe(Module.prototype);
    expect(new Module(bytes)).toBeInstanceOf(real.Module);
  });

  it("leaves to V8 what is not bytes it takes, for V8's own error: a detached buffer, a DataView", () => {
    const wasm = namespace();
    const preloaded = new real.Module(bytes);
    handOffToSyncConstructor(preloaded, bytes, wasm);
    const detached = bytes.slice().buffer;
    structuredClone(detached, { transfer: [detached] });
    expect(() => new wasm.Module(detached)).toThrow(real.CompileError);
    expect(() => new wasm.Module(detached)).toThrow('WebAssembly.Module(): BufferSource argument is empty');
    expect(() => new wasm.Module(new DataView(bytes.slice().buffer) as unknown as Uint8Array)).toThrow('WebAssembly.Module(): Argument 0 must be a buffer source');
    expect(new wasm.Module(bytes)).toBe(preloaded);
  });

  it('holds nothing and changes nothing where WebAssembly.Module cannot be replaced', () => {
    const wasm = Object.freeze(namespace());
    const preloaded = new real.Module(bytes);
    expect(handOffToSyncConstructor(preloaded, bytes, wasm)).toBe(false);
    expect(wasm.Module).toBe(real.Module);
    expect(new wasm.Module(bytes)).not.toBe(preloaded);
  });
});
