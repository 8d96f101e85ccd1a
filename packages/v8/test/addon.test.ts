/** In-process checks of the loader and argument handling (no serialized bytes reach V8). */
import { describe, expect, it } from 'vitest';
import {
  addonStatus,
  currentFingerprint,
  deserialize,
  InvalidArgumentError,
  loadV8Addon,
  processIdentity,
  serialize,
} from '../src/index.js';
import { buildWasmModule } from '@cache/wasm-fixtures';

interface WasmForTests {
  Module: new (bytes: Uint8Array) => WebAssembly.Module;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmForTests }).WebAssembly;

describe('addon loading', () => {
  it('is available for this node once built, and says where it came from', () => {
    const status = addonStatus();
    expect(status, JSON.stringify(status)).toMatchObject({ available: true });
    expect(loadV8Addon()?.canRestoreNodeStreaming).toBe(true);
  });
});

describe('serialize', () => {
  it('returns empty bytes after a default lazy compile', () => {
    expect(serialize(new wasm.Module(buildWasmModule({ functions: 4 }))).byteLength).toBe(0);
  });

  it('throws InvalidArgumentError for a non-module', () => {
    expect(() => serialize({} as WebAssembly.Module)).toThrow(InvalidArgumentError);
  });
});

describe('deserialize arguments', () => {
  it('rejects non-Uint8Array input and empty wire bytes before touching V8', async () => {
    await expect(deserialize('x' as unknown as Uint8Array, new Uint8Array(8))).rejects.toMatchObject({
      code: 'ERR_CACHE_V8_INVALID_ARGUMENT',
    });
    await expect(deserialize(new Uint8Array(0), new Uint8Array(0))).rejects.toThrow(InvalidArgumentError);
    await expect(deserialize(new Uint8Array(0), buildWasmModule({ functions: 1 }), { url: 42 as unknown as string })).rejects.toThrow(/options\.url must be a string/);
  });

  it('with empty serialized bytes just compiles the wire bytes (acceptedByV8 false)', async () => {
    const { module, acceptedByV8 } = await deserialize(new Uint8Array(0), buildWasmModule({ functions: 4 }));
    expect(acceptedByV8).toBe(false);
    expect(module).toBeInstanceOf(wasm.Module);
  });
});

describe('fingerprint', () => {
  it('learns this process header by tier-up, matching its V8 identity', async () => {
    const header = await currentFingerprint();
    expect(header?.magic === undefined ? 0 : header.magic >>> 16).toBe(0xc0de);
    expect(processIdentity()).toMatchObject({ node: process.versions.node, modules: process.versions.modules });
    // Cached per cachedDataVersionTag: a second call is the same object.
    expect(await currentFingerprint()).toBe(header);
  });
});
