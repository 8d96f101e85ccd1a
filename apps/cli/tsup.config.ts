import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { bin: 'src/bin.ts' },
  format: ['esm'],
  tsconfig: 'tsconfig.build.json',
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  clean: true,
  banner: { js: '#!/usr/bin/env node' },
  // Workspace packages stay imports (they are dependencies), so the engine finds its producer entry.
  external: [/^@cache\//, 'esbuild-wasm'],
});
