#!/usr/bin/env node
// Makes sure `redis-server` (Debian's redis-server package) is installed, for
// @cache/store-redis's tests and benchmark, which start their own server on
// loopback. Installs it with apt-get when missing (as root, quietly); exits
// non-zero with a clear message when that is impossible.
// Usage: node packages/store-redis/scripts/ensure-redis.mjs
import { spawnSync } from 'node:child_process';

function version() {
  const result = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

function run(command, args) {
  const result = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return result.status === 0 ? undefined : (result.error?.message ?? result.stderr.trim().split('\n').slice(-3).join('\n'));
}

function fail(message) {
  console.error(`ensure-redis: ${message}`);
  console.error('ensure-redis: install it yourself (Debian/Ubuntu: apt-get install -y redis-server) and run again.');
  process.exit(1);
}

const found = version();
if (found) {
  console.log(`ensure-redis: ${found.split(' ').slice(0, 3).join(' ')}`);
  process.exit(0);
}
if (process.platform !== 'linux') fail(`redis-server is not on PATH and automatic installation is only done on Linux (this is ${process.platform}).`);
if (typeof process.getuid === 'function' && process.getuid() !== 0) fail('redis-server is not on PATH and installing it needs root (apt-get).');
if (spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status !== 0) fail('redis-server is not on PATH and apt-get is not available.');

console.log('ensure-redis: installing redis-server with apt-get…');
let error = run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'redis-server']);
if (error) {
  // The package lists may be missing or stale.
  error = run('apt-get', ['update', '-qq']) ?? run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'redis-server']);
}
if (error) fail(`apt-get could not install redis-server:\n${error}`);
const installed = version();
if (!installed) fail('apt-get finished but redis-server is still not on PATH.');
// Debian starts a system service on install; the tests start their own server, so leave the service as it is.
console.log(`ensure-redis: installed ${installed.split(' ').slice(0, 3).join(' ')}`);
