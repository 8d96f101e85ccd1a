import { asUint8Array, type WasmNamespace } from '../wasm/wasm-api.js';

/** A preloaded module waiting for the application's first synchronous compile of its bytes. */
interface Waiting {
  readonly module: WebAssembly.Module;
  readonly bytes: Uint8Array;
}

/** Per `WebAssembly` namespace whose `Module` is wrapped: the modules waiting there. */
const waitingIn = new WeakMap<WasmNamespace, Waiting[]>();

/**
 * Makes the next `new WebAssembly.Module(bytes)` of exactly these bytes
 * return `module` (compiled from them through the cache) instead of
 * compiling them again.
 *
 * Without this, V8 still reuses the live module's code for such a call, but
 * only after decoding the whole module again to find it (about 15 ms for
 * @swc/wasm's 18 MB); comparing the bytes takes about 2 ms. Each module is
 * handed out once, to a plain `new WebAssembly.Module` (not a subclass), so
 * every call still gets an object no one else holds; later calls compile as
 * before (and V8 reuses the code), and so do calls given compile options. The
 * bytes are held until then.
 *
 * The first call wraps the global `WebAssembly.Module` in a Proxy whose
 * construct trap does this; everything else (`instanceof`, the static
 * `exports`/`imports`/`customSections`, subclassing, and any argument that
 * is not bytes V8 takes, for V8's own error) goes to the original. The
 * prototype's `constructor` is the Proxy from then on, so that
 * `WebAssembly.Module.prototype.constructor === WebAssembly.Module` (and a
 * module's `constructor`) holds as without it.
 *
 * @returns false, holding nothing, when `WebAssembly.Module` cannot be
 *   replaced (a frozen namespace): V8's reuse of the live module's code is
 *   then all the preload gives.
 */
export function handOffToSyncConstructor(
  module: WebAssembly.Module,
  bytes: Uint8Array,
  namespace: WasmNamespace = (globalThis as unknown as { WebAssembly: WasmNamespace }).WebAssembly,
): boolean {
  let waiting = waitingIn.get(namespace);
  if (!waiting) {
    waiting = [];
    if (!wrapModuleConstructor(namespace, waiting)) return false;
    waitingIn.set(namespace, waiting);
  }
  waiting.push({ module, bytes });
  return true;
}

type Constructor = new (...args: unknown[]) => object;

/** The Proxies made by {@link wrapModuleConstructor} (one per namespace: tests wrap copies of the global one). */
const wrappers = new WeakSet<object>();

/** Replaces `namespace.Module` with the handing-over Proxy; false when the namespace does not allow it. */
function wrapModuleConstructor(namespace: WasmNamespace, waiting: Waiting[]): boolean {
  const original = namespace.Module as unknown as Constructor;
  const proxy: Constructor = new Proxy(original, {
    construct(target, args: unknown[], newTarget: Constructor): object {
      // A module compiled with options (JS string builtins) is not the preloaded one, which had none.
      const claimed = newTarget === proxy && waiting.length > 0 && args[1] === undefined ? claim(waiting, args[0]) : undefined;
      return claimed ?? Reflect.construct(target, args, newTarget === proxy ? target : newTarget);
    },
  });
  try {
    namespace.Module = proxy as unknown as WasmNamespace['Module'];
  } catch {
    return false; // frozen (strict mode throws)
  }
  if (namespace.Module !== (proxy as unknown as WasmNamespace['Module'])) return false;
  // `WebAssembly.Module.prototype.constructor === WebAssembly.Module` (and so a module's `constructor`)
  // stays true: the prototype, which the proxy shares with the original, names the proxy now.
  const prototype = original.prototype as object;
  const descriptor = Object.getOwnPropertyDescriptor(prototype, 'constructor');
  const current: unknown = descriptor?.value;
  if (descriptor?.configurable === true && (current === original || wrappers.has(current as object))) Object.defineProperty(prototype, 'constructor', { ...descriptor, value: proxy });
  wrappers.add(proxy);
  return true;
}

/** The waiting module compiled from exactly these bytes, removed from the list; undefined when none is. */
function claim(waiting: Waiting[], source: unknown): WebAssembly.Module | undefined {
  const bytes = asUint8Array(source);
  if (!bytes || bytes.byteLength === 0) return undefined;
  const index = waiting.findIndex((entry) => entry.bytes.byteLength === bytes.byteLength && Buffer.compare(entry.bytes, bytes) === 0);
  if (index < 0) return undefined;
  const [entry] = waiting.splice(index, 1);
  return entry?.module;
}
