import { definePackageConfig } from '@cache/tsup-config';
import { defineConfig } from 'tsup';

export default [
  // signal-exit is bundled (like smol-toml in @cache/toml): two module files fewer to resolve and load
  // at the first WebAssembly call under the hook, about 0.9 ms. It keeps its shared state on `process`,
  // so copies of it in one process cooperate.
  definePackageConfig({ entry: { index: 'src/index.ts', producer: 'src/producer/producer-main.ts' }, noExternal: ['signal-exit'] }),
  // The --import hook awaits its preload (top-level await), so it is ESM only. It imports the
  // package's main entry, so an app that also imports '@cache/engine' shares one engine.
  defineConfig({
    entry: { register: 'src/register.ts' },
    format: ['esm'],
    // Its declaration refers to the main entry's: scripts/write-register-types.mjs writes it after the build.
    dts: false,
    tsconfig: 'tsconfig.build.json',
    target: 'node20',
    platform: 'node',
    sourcemap: true,
    clean: false,
    external: ['@cache/engine'],
  }),
];
