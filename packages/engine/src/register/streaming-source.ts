import { nodeBuiltin } from '../node/node-builtin.js';
import { copyOfChunk } from '../wasm/wasm-api.js';

// What Node's own streaming callback (`lib/internal/wasm_web_api.js`, the same in Node 20, 22 and 24) does
// with the source V8 hands it, which the hook does itself to compile the bytes through the cache:
//
//   const response = await PromiseResolve(source);
//   if (!(response instanceof lazyUndici().Response)) throw new ERR_INVALID_ARG_TYPE('source', ...);
//   if (response.headers.get('Content-Type') !== 'application/wasm') throw new ERR_WEBASSEMBLY_RESPONSE(...);
//   if (!response.ok) throw ...; if (response.bodyUsed !== false) throw ...;
//   if (response.url) streamState.setURL(response.url);
//   const { body } = response;
//   if (body != null) for await (const chunk of body) streamState.push(chunk);  // push: ArrayBuffer or view
//
// and V8, before it: `Promise.resolve(source)` in the call (reading `source.then` once). Every failure must
// reach the caller as Node's own, so anything the hook does not take is handed to V8's function, and a body
// that failed once read is replayed to it (see `replayed`).

const { isProxy } = nodeBuiltin<typeof import('node:util')>('node:util').types;

// Taken when the hook is installed, before the application runs, which may replace them.
const ownDescriptor = Reflect.getOwnPropertyDescriptor;
const prototypeOf = Reflect.getPrototypeOf;
/** `instanceof` without a class's own `Symbol.hasInstance` (never application code). */
const ordinaryHasInstance = Function.prototype[Symbol.hasInstance];

/** A Response of Node's own fetch implementation (undici), as far as the hook uses it. */
interface NodeResponse {
  readonly headers: { get(name: string): unknown };
  readonly ok: unknown;
  readonly bodyUsed: unknown;
  readonly url: unknown;
  readonly body: unknown;
}

type NodeResponseClass = new (body: unknown, init?: { headers: Record<string, string> }) => NodeResponse;
type NodeReadableStreamClass = new (source: { start(controller: { enqueue(chunk: unknown): void; close(): void; error(error: unknown): void }): void }) => unknown;

/** Node's own `fetch`, as it was when the hook was installed (see {@link captureNodeFetch}). */
let nodeFetch: unknown;

/**
 * Takes Node's own `fetch` before the application runs: call when the hook
 * is installed. Reading the global `Response` itself then would load undici
 * in every process (15-25 ms; on Node 22 and later even the property's
 * descriptor is a lazy value that loads it), which a process that never
 * streams must not pay for, and `node --jitless` cannot (undici compiles its
 * HTTP parser with WebAssembly when it loads). `fetch` is a plain function
 * that loads undici at its first call.
 */
export function captureNodeFetch(): void {
  nodeFetch ??= ownDescriptor(globalThis, 'fetch')?.value;
}

/** Node's Response class, looked up once (see {@link nodeResponse}). */
let responseClass: Promise<NodeResponseClass | undefined> | undefined;

/**
 * Node's own `Response` class, the only one its streaming callback takes
 * (`instanceof` undici's, whatever `globalThis.Response` is by then: fetch
 * polyfills replace it): the class of what Node's own fetch (taken before
 * the application ran) gives for a `data:` URL. Looked up at the first source
 * shaped like a Response, which has loaded undici already when it is one of
 * Node's. Undefined where there is none (`--no-experimental-fetch`).
 */
function nodeResponse(): Promise<NodeResponseClass | undefined> {
  responseClass ??= (async () => {
    if (typeof nodeFetch !== 'function') return undefined;
    try {
      const response: unknown = await Reflect.apply(nodeFetch, globalThis, ['data:application/wasm,']);
      const found = (response as { constructor?: unknown } | null)?.constructor;
      return typeof found === 'function' ? (found as NodeResponseClass) : undefined;
    } catch {
      return undefined;
    }
  })();
  return responseClass;
}

/** Node's own ReadableStream class (the global may be a polyfill's too), from a body Node's Response makes. */
let readableStreamClass: NodeReadableStreamClass | undefined;

/**
 * The own property `key` of the first object on `value`'s prototype chain
 * that has one, found without running any code of the application's:
 * `'opaque'` when that cannot be known so (a Proxy on the way, whose traps
 * would run), undefined when there is none.
 */
function lookUp(value: object, key: PropertyKey): PropertyDescriptor | 'opaque' | undefined {
  for (let object: object | null = value; object !== null; object = prototypeOf(object)) {
    if (isProxy(object)) return 'opaque';
    const descriptor = ownDescriptor(object, key);
    if (descriptor !== undefined) return descriptor;
  }
  return undefined;
}

/**
 * What a streaming source is to the hook, found without running any code of
 * the application's (no getter, no Proxy trap), so that V8 and Node, handed
 * it, make the only reads of it (of its `then` above all: V8 reads it in the
 * call, and Node again):
 * - `'response'`: shaped like a Response (a `headers` on its prototype
 *   chain), and no thenable: the hook reads it as Node would when it is of
 *   Node's own class (or a subclass), and hands it to V8 otherwise.
 * - `'thenable'`: its `then` is a function (a data property: a promise, or
 *   any thenable): the hook resolves it in the call, as V8 does.
 * - `'other'`: anything else, or where telling would run the application's
 *   code (a `then` getter, a Proxy): handed to V8's function in the same
 *   call. `@cache/v8`'s loader relies on that: V8 binds the streaming
 *   callback in the call, and the loader's request objects are plain objects.
 */
export function streamingSourceKind(source: unknown): 'response' | 'thenable' | 'other' {
  if (source === null || (typeof source !== 'object' && typeof source !== 'function')) return 'other';
  try {
    const then = lookUp(source, 'then');
    if (then === 'opaque' || (then !== undefined && !('value' in then))) return 'other';
    if (typeof then?.value === 'function') return 'thenable';
    const headers = lookUp(source, 'headers');
    return headers === undefined || headers === 'opaque' ? 'other' : 'response';
  } catch {
    return 'other'; // a module namespace's binding not initialized yet: V8 says so itself
  }
}

/**
 * The source as V8 is to be handed it from now on: a thenable resolved now,
 * in the call, as V8's `Promise.resolve(source)` does (its `then` read once
 * and called in a microtask). Deciding whether the cache takes it can take
 * turns of the event loop (the hook loads the cache first): a promise that
 * rejects meanwhile must not count as unhandled, which ends the process,
 * when the caller handles the call's rejection. It is passed on all the
 * same, so the caller still gets it.
 */
export function heldSource(source: unknown, kind: 'response' | 'thenable'): unknown {
  if (kind === 'response') return source;
  const held = new Promise((resolve) => resolve(source));
  held.catch(() => undefined);
  return held;
}

/** What reading a streaming source for the cache came to. */
export type StreamingRead =
  /** A source the cache does not take, or whose failure V8 is to report: hand `forV8` to V8's function. */
  | { readonly forV8: unknown }
  /**
   * The module's bytes, read from the body as Node reads them, and the URL
   * Node would name the module by; `replay()` is a Response V8 compiles to
   * the same outcome (for its error when the cache's compile fails).
   */
  | { readonly bytes: Uint8Array; readonly url: string | undefined; replay(): unknown };

/**
 * Reads a held streaming source (see {@link heldSource}) as Node's streaming
 * callback would: a Response of Node's class with a Content-Type of exactly
 * `application/wasm`, a status in 200-299 and a body not yet read gives its
 * body's bytes, chunk by chunk (each an ArrayBuffer or any view). Anything
 * else is for V8's function, untouched: the source itself before its body is
 * read, which V8 and Node then check again for their own error (so the
 * getters of a Response refused are read twice); once reading has begun, a
 * {@link replayed} Response that fails as the body did. Never rejects.
 */
export async function readStreamingSource(held: unknown, kind: 'response' | 'thenable'): Promise<StreamingRead> {
  let response = held;
  if (kind === 'thenable') {
    try {
      response = await held;
    } catch {
      return { forV8: held }; // V8 rejects with the same reason
    }
    // Node awaits the value again (reading its `then`): left to Node where that read is the application's.
    if (streamingSourceKind(response) !== 'response') return { forV8: held };
  }
  const ResponseClass = await nodeResponse();
  if (ResponseClass === undefined || Reflect.apply(ordinaryHasInstance, ResponseClass, [response]) !== true) return { forV8: held };
  const wasm = response as NodeResponse;
  let url: unknown;
  let body: unknown;
  try {
    if (wasm.headers.get('Content-Type') !== 'application/wasm' || !wasm.ok || wasm.bodyUsed !== false) return { forV8: held };
    // Read twice when there is one, as Node does (`if (response.url) streamState.setURL(response.url)`).
    url = wasm.url ? wasm.url : undefined;
    if (url !== undefined && typeof url !== 'string') return { forV8: held }; // Node makes a string of it: its own business
    body = wasm.body;
  } catch {
    return { forV8: held };
  }
  const chunks: Uint8Array[] = [];
  if (body != null) {
    let refused: { chunk: unknown } | undefined;
    try {
      for await (const chunk of body as AsyncIterable<unknown>) {
        const bytes = copyOfChunk(chunk);
        // Node's push throws for it, inside its loop: leaving this one the same way closes the body the same way.
        if (bytes === undefined) {
          refused = { chunk };
          break;
        }
        chunks.push(bytes);
      }
    } catch (error) {
      return { forV8: replayed(ResponseClass, chunks, { error }) };
    }
    if (refused) return { forV8: replayed(ResponseClass, chunks, refused) };
  }
  return { bytes: joined(chunks), url: url as string | undefined, replay: () => replayed(ResponseClass, chunks, undefined) };
}

/** The chunks' bytes in one array (the one chunk itself when there is one: a Response made of bytes). */
function joined(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1 && chunks[0] !== undefined) return chunks[0];
  const bytes = new Uint8Array(chunks.reduce((length, chunk) => length + chunk.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/**
 * A Response of Node's own class that plays again what was read of one: its
 * chunks, in the same pieces, then how the reading ended (the end of the
 * body, its error, or a chunk Node does not take). A body read once cannot
 * be read again: handed this, V8 and Node's callback compile or fail exactly
 * as they would have on the original (a CompileError where the bytes before
 * the failure are already no module, else the body's own error, or the
 * TypeError Node's `push` throws for that chunk on this Node version).
 */
function replayed(ResponseClass: NodeResponseClass, chunks: readonly Uint8Array[], end: { error: unknown } | { chunk: unknown } | undefined): unknown {
  readableStreamClass ??= (prototypeOf(new ResponseClass(new Uint8Array(0)).body as object) as { constructor: NodeReadableStreamClass }).constructor;
  const body = new readableStreamClass({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      if (end === undefined) controller.close();
      else if ('chunk' in end) {
        controller.enqueue(end.chunk);
        controller.close();
      } else controller.error(end.error);
    },
  });
  return new ResponseClass(body, { headers: { 'content-type': 'application/wasm' } });
}
