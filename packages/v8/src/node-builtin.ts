import { createRequire } from 'node:module';

const requireHere = createRequire(import.meta.url);

/**
 * A Node built-in module as `require` gives it, loaded at the first call
 * instead of when this package is imported: `node:v8` costs 0.7-1.6 ms of a
 * process's start, which a cache hit does not need (the addon gives V8's tag).
 * `process.getBuiltinModule` where Node has it (20.16+), else `require`.
 */
export function nodeBuiltin<T>(id: `node:${string}`): T {
  return (typeof process.getBuiltinModule === 'function' ? process.getBuiltinModule(id) : requireHere(id)) as T;
}
