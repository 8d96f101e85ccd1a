import { createRequire } from 'node:module';

/** Made at the first call where Node lacks `process.getBuiltinModule`: bundled into the hook's script, `import.meta.url` is a package lookup. */
let requireHere: NodeJS.Require | undefined;

/**
 * A Node built-in module as `require` gives it, loaded at the first call
 * instead of when this package is imported: `node:crypto` and `node:zlib`
 * cost a fresh process 3-6 ms, which reading the cache need not pay (see
 * `provideDigests`). `process.getBuiltinModule` where Node has it (20.16+),
 * else `require`.
 */
export function nodeBuiltin<T>(id: `node:${string}`): T {
  return (typeof process.getBuiltinModule === 'function' ? process.getBuiltinModule(id) : (requireHere ??= createRequire(import.meta.url))(id)) as T;
}

/** `node:crypto`, loaded at the first call. */
export const nodeCrypto = (): typeof import('node:crypto') => nodeBuiltin('node:crypto');

/** `node:zlib`, loaded at the first call. */
export const nodeZlib = (): typeof import('node:zlib') => nodeBuiltin('node:zlib');
