import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { main: 'src/main.ts' },
  format: ['esm'],
  tsconfig: 'tsconfig.build.json',
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  clean: true,
  // Run the libraries as installed, never bundled: the benchmark measures them, not a bundle of them.
  skipNodeModulesBundle: true,
});
