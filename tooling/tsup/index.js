import { defineConfig } from 'tsup';

/**
 * The one tsup configuration every package uses: ESM and CJS side by side,
 * type declarations for both, sourcemaps, Node 20 as the target.
 *
 * @param {{ entry: Record<string, string> | string[], external?: string[], noExternal?: string[] }} options
 */
export function definePackageConfig(options) {
  return defineConfig({
    entry: options.entry,
    format: ['esm', 'cjs'],
    dts: { compilerOptions: { customConditions: [] } },
    tsconfig: 'tsconfig.build.json',
    sourcemap: true,
    clean: true,
    target: 'node20',
    platform: 'node',
    splitting: false,
    treeshake: true,
    shims: true,
    external: options.external ?? [],
    noExternal: options.noExternal ?? [],
  });
}
