// Writes dist/register.d.ts (and the require condition's dist/register.d.cts) after the build. The
// --import hook's declaration must refer to the main entry's Engine type (one declaration, not a copy), and tsup's declaration step for the
// main entry cleans *.d.ts files while it runs, so it is written here, last.
import { writeFileSync } from 'node:fs';

writeFileSync(
  new URL('../dist/register.d.ts', import.meta.url),
  `/**
 * The engine the hook routes through, once it exists (a live binding): from
 * the first WebAssembly call the hook routed, or from the start with
 * \`WASM_CACHE_PRELOAD\`. Undefined before that, and where the hook is off.
 * It comes from the hook's own copy of the cache, so it is not \`instanceof\`
 * the \`Engine\` an application imports; its methods are the same.
 */
export declare let registeredEngine: import('@cache/engine').Engine | undefined;
/**
 * How the hook loaded the cache's code (a live binding, set at its first
 * WebAssembly call): \`'used'\` when from V8's code cache for it, written beside
 * the hook's script by the first hooked process of each Node version; else
 * why it was compiled from its source: \`'missing'\`, \`'stale'\` (made for
 * another build of the script), \`'damaged'\` (failed verification, never
 * given to V8), \`'rejected'\` (by V8), \`'unavailable'\` (no code cache used).
 */
export declare let hookCodeCache: 'used' | 'missing' | 'stale' | 'damaged' | 'rejected' | 'unavailable' | undefined;
/**
 * The hook's engine, built now if no WebAssembly call has needed it yet.
 * Resolves undefined where the hook is off (a producer process, an invalid
 * configuration, a cache that could not be loaded: each said once); never
 * rejects.
 */
export declare function loadRegisteredEngine(): Promise<import('@cache/engine').Engine | undefined>;
`,
);

// The `require` condition's module only throws (src/register/require-entry.ts): the hook is loaded with --import.
writeFileSync(
  new URL('../dist/register.d.cts', import.meta.url),
  `/**
 * \`require('@cache/engine/register')\` and \`node --require @cache/engine/register\`
 * throw \`RegisterRequiredError\` (code \`ERR_CACHE_REGISTER_REQUIRED\`): the hook is
 * an ES module, loaded with \`node --import @cache/engine/register\`.
 */
export {};
`,
);
