/**
 * Building the zod schemas costs several milliseconds, and every process that
 * imports the package would pay it at start-up (the `--import` hook does) even
 * when it never validates a file or a remote tier. They are built on first use
 * instead, through these two helpers.
 */

/** A function that calls `build` once, on its first call, and returns that value ever after. */
export function lazy<T>(build: () => T): () => T {
  let built: { readonly value: T } | undefined;
  return () => (built ??= { value: build() }).value;
}

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * An object that behaves as the one `get` returns, which is only built when
 * the stand-in is first used: property reads and writes, `in`, key listings,
 * descriptors and the prototype (so `instanceof`) all go to that object.
 * Methods read through it are the real object's own (zod's close over their
 * schema), so calling them is calling the real object's.
 */
export function lazyObject<T extends object>(get: () => T): T {
  const target: object = {};
  // `util.inspect` (console.log) looks at a proxy's target without running its traps: have it show the real object.
  Object.defineProperty(target, INSPECT, { configurable: true, value: () => get() });
  const handler: ProxyHandler<object> = {
    get: (_, key) => Reflect.get(get(), key),
    set: (_, key, value) => Reflect.set(get(), key, value),
    has: (_, key) => Reflect.has(get(), key),
    deleteProperty: (_, key) => Reflect.deleteProperty(get(), key),
    ownKeys: () => Reflect.ownKeys(get()),
    getPrototypeOf: () => Reflect.getPrototypeOf(get()),
    setPrototypeOf: (_, prototype) => Reflect.setPrototypeOf(get(), prototype),
    defineProperty: (stand, key, descriptor) => {
      if (!Reflect.defineProperty(get(), key, descriptor)) return false;
      mirrorFixed(stand, key);
      return true;
    },
    getOwnPropertyDescriptor: (stand, key) => {
      mirrorFixed(stand, key);
      return Reflect.getOwnPropertyDescriptor(get(), key);
    },
  };
  // A proxy may report a property as non-configurable only when its target has it so: copy such
  // properties (zod's `_zod`) to the target when they are first described.
  const mirrorFixed = (stand: object, key: string | symbol): void => {
    const descriptor = Reflect.getOwnPropertyDescriptor(get(), key);
    if (descriptor && !descriptor.configurable && !Object.hasOwn(stand, key)) Object.defineProperty(stand, key, descriptor);
  };
  return new Proxy(target, handler) as T;
}
