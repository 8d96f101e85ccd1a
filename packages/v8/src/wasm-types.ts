/**
 * The few WebAssembly JS API types this package needs. The workspace compiles
 * without the DOM lib and `@types/node` 20 does not declare `WebAssembly`, so
 * the global `WebAssembly.Module` is declared here as an empty interface: it
 * merges with the DOM lib's identical declaration when a consumer has one.
 */
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace WebAssembly {
    /** A compiled WebAssembly module (`WebAssembly.Module`). */
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    interface Module {}
  }
}

/** The parts of the runtime's `WebAssembly` object this package calls. */
export interface WasmApi {
  Module: new (bytes: Uint8Array) => WebAssembly.Module;
  Instance: new (module: WebAssembly.Module, imports?: object) => { exports: Record<string, unknown> };
  compile(bytes: Uint8Array): Promise<WebAssembly.Module>;
  compileStreaming?: (source: unknown) => Promise<WebAssembly.Module>;
}

/** The runtime's `WebAssembly` object, or undefined where there is none. */
export function wasmApi(): WasmApi | undefined {
  return (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
}

/** True when `value` is a `WebAssembly.Module` of this realm. */
export function isWasmModule(value: unknown): value is WebAssembly.Module {
  const api = wasmApi();
  return api !== undefined && value instanceof api.Module;
}
