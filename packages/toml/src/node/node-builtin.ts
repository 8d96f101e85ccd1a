import { createRequire } from 'node:module';

/** Made at the first call where Node lacks `process.getBuiltinModule` (before 20.16). */
let requireHere: NodeJS.Require | undefined;

/**
 * A Node built-in module as `require` gives it: `process.getBuiltinModule`
 * where Node has it (20.16+), else `require`. Used instead of an ES module
 * `import` of `node:fs`, whose namespace Node builds by reading every export,
 * and so loads its streams (2-3 ms of a fresh process's import of this package).
 */
export function nodeBuiltin<T>(id: `node:${string}`): T {
  return (typeof process.getBuiltinModule === 'function' ? process.getBuiltinModule(id) : (requireHere ??= createRequire(import.meta.url))(id)) as T;
}
