import { definePackageConfig } from '@cache/tsup-config';
import { defineConfig } from 'tsup';
import { bundledPackageUrls } from './scripts/bundled-package-urls.mjs';

/** The workspace packages bundled into the hook's self-contained script. */
const HOOK_BUNDLED = ['@cache/config', '@cache/store', '@cache/toml'];

/**
 * The hook's two builds, beside the main one: no declarations of their own
 * (scripts/write-register-types.mjs writes the hook's after the build, as it
 * refers to the main entry's), and no cleaning of what the main build wrote.
 */
const SIDE_ENTRY = { dts: false, tsconfig: 'tsconfig.build.json', target: 'node20', platform: 'node', sourcemap: true, clean: false } as const;

export default [
  definePackageConfig({ entry: { index: 'src/index.ts', producer: 'src/producer/producer-main.ts' } }),
  // The --import hook awaits its preload (top-level await), so it is ESM only. It names the main
  // entry (kept external) for its types, and to load the cache when it runs from sources; built, it
  // loads the script below.
  defineConfig({
    ...SIDE_ENTRY,
    entry: { register: 'src/register.ts' },
    format: ['esm'],
    external: ['@cache/engine'],
  }),
  // What `--require @cache/engine/register` (and `require()`) loads: a clear error saying to use --import
  // (src/register/require-entry.ts), instead of Node's ERR_PACKAGE_PATH_NOT_EXPORTED.
  defineConfig({
    ...SIDE_ENTRY,
    entry: { register: 'src/register/require-entry.ts' },
    format: ['cjs'],
  }),
  // What the hook loads at its first WebAssembly call: one script with this package, @cache/config,
  // @cache/store and @cache/toml in it (see src/register/hook-engine.ts). CommonJS, so that the hook
  // can compile it with V8's code cache (node:vm) and no module graph is resolved or linked.
  // @cache/v8 stays outside (its addon is found beside its own files), and so do the optional
  // packages the store and the hook load only when used. It must stay ASCII (esbuild escapes strings, not
  // comments): V8 then keeps it as a one-byte string, about 1.3 ms less per hooked process on Node 24
  // (test/hook-script.test.ts checks it).
  defineConfig({
    ...SIDE_ENTRY,
    entry: { 'hook-engine': 'src/register/hook-engine.ts' },
    format: ['cjs'],
    shims: true,
    treeshake: true,
    noExternal: HOOK_BUNDLED,
    external: ['@cache/v8', '@cache/store-redis', 'lru-cache', '@mongodb-js/zstd'],
    esbuildPlugins: [bundledPackageUrls(HOOK_BUNDLED)],
  }),
];
