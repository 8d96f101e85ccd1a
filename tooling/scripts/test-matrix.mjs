#!/usr/bin/env node
// Runs this package's vitest suite again under every Node binary listed in
// CACHE_TEST_NODE_BINARIES (':'-separated; the README's test command fills it
// with Node 22 and 24 from the npm registry). Each binary runs the suite as
// the main runtime, with `node` on PATH being that binary too, after building
// the native addon for its ABI. Run from a package directory (turbo does).
import { spawnSync } from 'node:child_process';
import { dirname, join, delimiter } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const binaries = (process.env.CACHE_TEST_NODE_BINARIES ?? '').split(':').filter((path) => path !== '');
if (binaries.length === 0) {
  console.log('test:matrix: CACHE_TEST_NODE_BINARIES is empty; nothing to run beyond the main test task.');
  process.exit(0);
}
const vitest = join(process.cwd(), 'node_modules', 'vitest', 'vitest.mjs');
let failed = 0;
for (const node of binaries) {
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  console.log(`\n── ${process.env.npm_package_name ?? process.cwd()} on Node ${version} ──`);
  const build = spawnSync(node, [join(root, 'packages', 'v8', 'scripts', 'build-addon.mjs')], { stdio: 'inherit' });
  if (build.status !== 0) failed += 1;
  const result = spawnSync(node, [vitest, 'run'], {
    stdio: 'inherit',
    env: {
      ...process.env,
      PATH: `${dirname(node)}${delimiter}${process.env.PATH ?? ''}`,
      // The main run already proves cross-version behaviour; here each version runs the suite itself.
      CACHE_TEST_NODE_BINARIES: '',
    },
  });
  if (result.status !== 0) {
    console.error(`test:matrix: failed on Node ${version}`);
    failed += 1;
  }
}
process.exit(failed === 0 ? 0 : 1);
