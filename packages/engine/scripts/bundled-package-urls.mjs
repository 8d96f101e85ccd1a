// An esbuild plugin for the hook's self-contained script (dist/hook-engine.cjs). The packages
// bundled into it find files beside their own modules through `import.meta.url` (@cache/store: its
// worker script, and lru-cache and zstd among its own dependencies). Inside the bundle that URL
// would name the bundle, so in each bundled package's files it becomes the URL of that package's
// installed entry, resolved from the bundle when first needed.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, sep } from 'node:path';

/** @param {string[]} packages the bundled packages, resolved from this package */
export function bundledPackageUrls(packages) {
  const require = createRequire(new URL('../package.json', import.meta.url));
  const roots = packages.map((name) => ({ name, root: dirname(require.resolve(`${name}/package.json`)) + sep }));
  return {
    name: 'bundled-package-urls',
    setup(build) {
      build.onLoad({ filter: /\.js$/ }, (args) => {
        const owner = roots.find(({ root }) => args.path.startsWith(root));
        if (!owner) return undefined;
        const source = readFileSync(args.path, 'utf8');
        if (!source.includes('import.meta.url')) return undefined;
        const helper =
          `import { createRequire as __bundledCreateRequire } from 'node:module';\n` +
          `import { pathToFileURL as __bundledPathToFileURL } from 'node:url';\n` +
          `let __bundledUrl;\n` +
          `const __bundledPackageUrl = () => (__bundledUrl ??= __bundledPathToFileURL(__bundledCreateRequire(__filename).resolve(${JSON.stringify(owner.name)})).href);\n`;
        return { contents: helper + source.replaceAll('import.meta.url', '__bundledPackageUrl()'), loader: 'js' };
      });
    },
  };
}
