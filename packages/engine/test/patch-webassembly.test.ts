import { afterAll, describe, expect, it } from 'vitest';
import { CacheConfig, Config, Engine, patchWebAssembly, type WasmNamespace } from '../src/index.js';
import { add32, add64Invalid, constant, jsStringBuiltins, jsStringLength } from './fixtures/wasm-api-cases.mjs';
import { tempDir } from './helpers.js';

const real = (globalThis as unknown as { WebAssembly: WasmNamespace }).WebAssembly;

/** A copy of the global namespace with its functions routed through `engine`, so that the test patches its own. */
function patched(engine: Pick<Engine, 'compile'>): WasmNamespace {
  const wasm = { ...real };
  patchWebAssembly(engine, wasm);
  return wasm;
}

/** How a call went: thrown in the call, or how the promise it returned settled (and with what, as `see` puts it). */
async function outcome(call: () => unknown, see: (value: unknown) => unknown = (value) => value): Promise<string> {
  let returned: unknown;
  try {
    returned = call();
  } catch (error) {
    return `threw ${String(error)}`;
  }
  if (!(returned instanceof Promise)) return `returned ${String(returned)}`;
  try {
    return `resolved ${String(see(await returned))}`;
  } catch (error) {
    return `rejected ${String(error)}`;
  }
}

/** An engine that only counts the calls routed to it, and compiles them as V8 would. */
function countingEngine(): Pick<Engine, 'compile'> & { calls: number } {
  const counting = {
    calls: 0,
    compile: (bytes: Uint8Array | ArrayBuffer): Promise<WebAssembly.Module> => {
      counting.calls += 1;
      return real.compile(bytes);
    },
  };
  return counting;
}

const nodeMajor = Number(process.versions.node.split('.')[0]);
const wasmResponse = (bytes: Uint8Array<ArrayBuffer>): Response => new Response(bytes, { headers: { 'content-type': 'application/wasm' } });

const k = (module: WebAssembly.Module): unknown => (new real.Instance(module).exports as { k(): number }).k();
const add = (module: WebAssembly.Module): unknown => (new real.Instance(module).exports as { add(a: number, b: number): number }).add(2, 3);

describe('WebAssembly routed through an engine by patchWebAssembly', () => {
  const engines: Engine[] = [];
  const engine = (config: Config): Engine => {
    const created = new Engine(config);
    engines.push(created);
    return created;
  };
  afterAll(() => Promise.all(engines.map((created) => created.close())));

  it('compiles the bytes as they were when compile or instantiate was called, not as the caller reuses its buffer after', async () => {
    const directory = tempDir('engine-patch-copy-');
    const full = Config.default().withArtifactTier('full');
    const filling = engine(full.cacheConfig(CacheConfig.default().withDirectory(directory)));
    await filling.compile(constant(1234));
    await filling.compile(add32);
    await filling.idle();
    const cached = engine(full.cacheConfig(CacheConfig.default().withDirectory(directory)));
    for (const wasm of [patched(engine(Config.default().cacheConfig(CacheConfig.disabled()))), patched(cached)]) {
      const buffer = constant(1234);
      const compiled = wasm.compile(buffer);
      buffer.set(constant(4321));
      expect(k(await compiled)).toBe(1234);
      const asArrayBuffer = constant(1234);
      const fromArrayBuffer = wasm.compile(asArrayBuffer.buffer);
      asArrayBuffer.set(constant(4321));
      expect(k(await fromArrayBuffer)).toBe(1234);
      const again = constant(1234);
      const instantiated = wasm.instantiate(again) as Promise<{ module: WebAssembly.Module }>;
      again.set(constant(4321));
      expect(k((await instantiated).module)).toBe(1234);
      // Reused with invalid bytes of the same length: with the artifact of the bytes it was given, V8
      // must not be handed other bytes (it would make a module of them running the artifact's code).
      const reused = add32.slice();
      const addModule = wasm.compile(reused);
      reused.set(add64Invalid);
      expect(add(await addModule)).toBe(5);
    }
    expect(cached.stats().hits).toBeGreaterThanOrEqual(2);
  });

  it('hands calls given compile options to V8 unchanged, uncached (JS string builtins: Node 24)', async () => {
    const engine = countingEngine();
    const wasm = patched(engine);
    const len = (instance: unknown): unknown => (instance as { exports: { len(text: string): number } }).exports.len('hello');
    const viaModule = (module: unknown): unknown => len(new real.Instance(module as WebAssembly.Module, {}));
    const viaResult = (result: unknown): unknown => len((result as { instance: unknown }).instance);
    const calls: [string, (namespace: WasmNamespace) => unknown, (value: unknown) => unknown][] = [
      ['compile', (namespace) => namespace.compile(jsStringLength, jsStringBuiltins), viaModule],
      ['instantiate', (namespace) => namespace.instantiate(jsStringLength, {}, jsStringBuiltins), viaResult],
      ['compileStreaming', (namespace) => namespace.compileStreaming?.(wasmResponse(jsStringLength), jsStringBuiltins), viaModule],
      ['instantiateStreaming', (namespace) => namespace.instantiateStreaming?.(wasmResponse(jsStringLength), {}, jsStringBuiltins), viaResult],
    ];
    for (const [name, call, see] of calls) {
      const plain = await outcome(() => call(real), see);
      // Node 24 has the builtin: the module's len is the string's length. Before, the import is left unresolved.
      if (nodeMajor >= 24) expect(plain, name).toBe('resolved 5');
      expect(await outcome(() => call(wasm), see), name).toBe(plain);
    }
    expect(engine.calls).toBe(0);
  });

  it('hands V8 in the same call what it does not take as bytes, or takes as none: its error, a rejection as from V8', async () => {
    const engine = countingEngine();
    const wasm = patched(engine);
    const detachedBuffer = (): ArrayBuffer => {
      const buffer = add32.slice().buffer;
      structuredClone(buffer, { transfer: [buffer] });
      return buffer;
    };
    const detachedView = (): Uint8Array => {
      const view = add32.slice();
      structuredClone(view.buffer, { transfer: [view.buffer] });
      return view;
    };
    const shared = new SharedArrayBuffer(add32.byteLength);
    new Uint8Array(shared).set(add32);
    const sources: [string, () => unknown][] = [
      ['a detached ArrayBuffer', detachedBuffer],
      ['a view of a detached buffer', detachedView],
      ['a DataView', () => new DataView(add32.slice().buffer)],
      ['a SharedArrayBuffer', () => shared],
      ['no bytes', () => new Uint8Array(0)],
      ['a string', () => 'wasm'],
    ];
    for (const [name, source] of sources) {
      for (const call of ['compile', 'instantiate'] as const) {
        const plain = await outcome(() => real[call](source() as Uint8Array));
        expect(plain, `${call} of ${name}`).toMatch(/^rejected (TypeError|CompileError): /);
        expect(await outcome(() => wasm[call](source() as Uint8Array)), `${call} of ${name}`).toBe(plain);
      }
    }
    expect(engine.calls).toBe(0);
  });

  it('rejects a failed compile with the error of the function called (its name in the message), made again by that function', async () => {
    const wasm = patched(engine(Config.default().cacheConfig(CacheConfig.default().withDirectory(tempDir('engine-patch-errors-')))));
    const invalid = add32.subarray(0, 12);
    const calls: [string, (namespace: WasmNamespace) => unknown][] = [
      ['compile', (namespace) => namespace.compile(invalid)],
      ['instantiate', (namespace) => namespace.instantiate(invalid)],
      ['instantiate with imports that are not an object', (namespace) => namespace.instantiate(invalid, 5 as unknown as object)],
      ['compileStreaming', (namespace) => namespace.compileStreaming?.(wasmResponse(invalid.slice()))],
      ['instantiateStreaming', (namespace) => namespace.instantiateStreaming?.(wasmResponse(invalid.slice()))],
      ['instantiateStreaming with imports that are not an object', (namespace) => namespace.instantiateStreaming?.(wasmResponse(add32), 5 as unknown as object)],
    ];
    for (const [name, call] of calls) {
      const plain = await outcome(() => call(real));
      expect(plain, name).toMatch(/^rejected (CompileError|TypeError): WebAssembly\.\w+\(\): /);
      expect(await outcome(() => call(wasm)), name).toBe(plain);
    }
    // An engine that fails for its own reasons breaks no compile: V8's function makes it.
    const broken = patched({ compile: () => Promise.reject(new Error('the cache broke')) });
    expect(add(await broken.compile(add32))).toBe(5);
    expect(add(((await broken.instantiate(add32)) as { module: WebAssembly.Module }).module)).toBe(5);
    expect(add(await broken.compileStreaming!(wasmResponse(add32)))).toBe(5);
  });

  it("leaves to Node the responses it would not compile, for Node's own error: a MIME type not exactly application/wasm, a body already read", async () => {
    const engine = countingEngine();
    const wasm = patched(engine);
    const responses: [string, () => Promise<Response>][] = [
      ['a MIME type with a parameter', async () => new Response(add32, { headers: { 'content-type': 'application/wasm; x=y' } })],
      ['a MIME type in capitals', async () => new Response(add32, { headers: { 'content-type': 'Application/Wasm' } })],
      ['a status of 500', async () => new Response(add32, { status: 500, headers: { 'content-type': 'application/wasm' } })],
      [
        'a body already read',
        async () => {
          const read = wasmResponse(add32);
          await read.arrayBuffer();
          return read;
        },
      ],
    ];
    for (const [name, response] of responses) {
      for (const call of ['compileStreaming', 'instantiateStreaming'] as const) {
        const plain = await outcome(async () => real[call]?.(await response()));
        expect(plain, `${call}, ${name}`).toMatch(/^rejected TypeError( \[ERR_WEBASSEMBLY_RESPONSE\])?: WebAssembly response /);
        expect(await outcome(async () => wasm[call]?.(await response())), `${call}, ${name}`).toBe(plain);
      }
    }
    expect(engine.calls).toBe(0);
  });

  it('never throws in a streaming call, and reads a source no more than V8 and Node do: a then getter, a Proxy, a revoked one', async () => {
    const engine = countingEngine();
    const wasm = patched(engine);
    const { proxy: revoked, revoke } = Proxy.revocable({}, {});
    revoke();
    const reads: string[] = [];
    const counted = (label: string): object =>
      new Proxy(wasmResponse(add32), {
        get: (target, key, receiver) => (reads.push(`${label} ${String(key)}`), Reflect.get(target, key, receiver)),
        getPrototypeOf: (target) => (reads.push(`${label} getPrototypeOf`), Reflect.getPrototypeOf(target)),
      });
    const sources: [string, (label: string) => unknown][] = [
      [
        'a then getter that throws',
        () => ({
          get then(): never {
            throw new Error('then getter');
          },
        }),
      ],
      [
        'an arrayBuffer getter that throws',
        () => ({
          headers: {},
          get arrayBuffer(): never {
            throw new Error('arrayBuffer getter');
          },
        }),
      ],
      ['a revoked Proxy', () => revoked],
      [
        'a then getter counting its reads',
        (label) => ({
          get then(): undefined {
            reads.push(`${label} then`);
            return undefined;
          },
        }),
      ],
      ['a Proxy of a Response counting its traps', counted],
    ];
    for (const [name, source] of sources) {
      for (const call of ['compileStreaming', 'instantiateStreaming'] as const) {
        reads.length = 0;
        const plain = await outcome(() => real[call]?.(source('plain')), (value) => (value instanceof Object ? 'compiled' : value));
        const plainReads = reads.map((read) => read.replace('plain ', ''));
        reads.length = 0;
        expect(await outcome(() => wasm[call]?.(source('patched')), (value) => (value instanceof Object ? 'compiled' : value)), `${call} of ${name}`).toBe(plain);
        expect(reads.map((read) => read.replace('patched ', '')), `${call} of ${name}: reads`).toEqual(plainReads);
      }
    }
    expect(engine.calls).toBe(0);
  });

  it("takes only Node's own Response, whatever the global Response is by then (a fetch polyfill), and reads its body as Node does", async () => {
    const engine = countingEngine();
    const wasm = patched(engine);
    const global = globalThis as { Response?: unknown };
    const nodeResponse = global.Response as typeof Response;
    class PolyResponse {
      readonly headers = new Headers({ 'content-type': 'application/wasm' });
      readonly ok = true;
      readonly bodyUsed = false;
      readonly url = '';
      readonly body = null;
      arrayBuffer = async (): Promise<ArrayBuffer> => add32.slice().buffer;
    }
    /** A Response whose arrayBuffer() Node never calls (it reads the body), nor must the hook. */
    const overriding = (): Response =>
      Object.defineProperty(new nodeResponse(add32, { headers: { 'content-type': 'application/wasm' } }), 'arrayBuffer', {
        value: () => {
          throw new Error('Node does not call arrayBuffer()');
        },
      });
    global.Response = PolyResponse;
    try {
      for (const call of ['compileStreaming', 'instantiateStreaming'] as const) {
        const plain = await outcome(() => real[call]?.(new PolyResponse()));
        expect(plain).toMatch(/^rejected TypeError \[ERR_INVALID_ARG_TYPE\]: The "source" argument must be an instance of Response/);
        expect(await outcome(() => wasm[call]?.(new PolyResponse()))).toBe(plain);
      }
      expect(engine.calls).toBe(0);
      expect(add(await wasm.compileStreaming!(overriding()))).toBe(5);
      const inPieces = new nodeResponse(
        new ReadableStream<unknown>({
          start(controller): void {
            controller.enqueue(add32.slice(0, 9).buffer);
            controller.enqueue(new DataView(add32.slice(9, 20).buffer));
            controller.enqueue(new Int8Array(add32.slice(20)));
            controller.close();
          },
        }) as ReadableStream<Uint8Array>,
        { headers: { 'content-type': 'application/wasm' } },
      );
      expect(add(await wasm.compileStreaming!(inPieces))).toBe(5);
      expect(engine.calls).toBe(2);
    } finally {
      global.Response = nodeResponse;
    }
  });

  it('keeps the functions\' names and lengths, and they are no constructors', () => {
    const wasm = patched(countingEngine());
    for (const name of ['compile', 'instantiate', 'compileStreaming', 'instantiateStreaming'] as const) {
      expect(wasm[name]).not.toBe(real[name]);
      expect(wasm[name]?.name).toBe(name);
      expect(wasm[name]?.length).toBe(real[name]?.length);
      expect(() => new (wasm[name] as unknown as new () => unknown)()).toThrow(TypeError);
    }
  });
});

describe('patchWebAssembly where WebAssembly cannot be routed', () => {
  it('patches nothing and throws nothing where there is no WebAssembly (node --jitless)', () => {
    const global = globalThis as { WebAssembly?: unknown };
    const descriptor = Object.getOwnPropertyDescriptor(global, 'WebAssembly');
    delete global.WebAssembly;
    try {
      const restore = patchWebAssembly({ compile: (bytes) => real.compile(bytes) });
      expect(global.WebAssembly).toBeUndefined();
      restore();
      expect(global.WebAssembly).toBeUndefined();
    } finally {
      if (descriptor) Object.defineProperty(global, 'WebAssembly', descriptor);
    }
  });

  it('patches nothing and throws nothing on a frozen namespace, or one whose functions cannot be replaced', () => {
    const frozen = Object.freeze({ ...real });
    const readOnly = { ...real };
    Object.defineProperty(readOnly, 'instantiateStreaming', { value: real.instantiateStreaming, writable: false });
    for (const wasm of [frozen, readOnly]) {
      const before = { ...wasm };
      const restore = patchWebAssembly({ compile: (bytes) => real.compile(bytes) }, wasm);
      expect({ ...wasm }).toEqual(before);
      restore();
      expect({ ...wasm }).toEqual(before);
    }
  });
});
