import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { main: 'src/main.ts' },
  format: ['esm'],
  tsconfig: 'tsconfig.build.json',
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  clean: true,
  // The packages under test stay imports of their built dist; the wasm fixture generator is bundled.
  external: [/^@cache\/(?!wasm-fixtures)/, 'fast-check'],
});
