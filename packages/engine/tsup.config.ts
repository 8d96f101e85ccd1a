import { definePackageConfig } from '@cache/tsup-config';
import { defineConfig } from 'tsup';

export default [
  definePackageConfig({ entry: { index: 'src/index.ts', producer: 'src/producer/producer-main.ts' } }),
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
