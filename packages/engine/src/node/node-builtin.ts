import { createRequire } from 'node:module';

/** Made at the first call where Node lacks `process.getBuiltinModule` (before 20.16): the hook loads this module in every process it is in. */
let requireHere: NodeJS.Require | undefined;

/**
 * A Node built-in module as `require` gives it, loaded at the first call
 * instead of when the engine is imported. A cache hit needs none of
 * `node:crypto`, `node:zlib` and `node:v8` (the addon computes its digests
 * and gives V8's tag), and loading them costs a fresh process 3-7 ms; and
 * unlike an ES module's `import` of `node:fs`, it does not load
 * `node:fs/promises`. `process.getBuiltinModule` where Node has it (20.16+),
 * else `require`.
 */
export function nodeBuiltin<T>(id: `node:${string}`): T {
  return (typeof process.getBuiltinModule === 'function' ? process.getBuiltinModule(id) : (requireHere ??= createRequire(import.meta.url))(id)) as T;
}
