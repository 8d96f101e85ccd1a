// A redis-server on a free loopback port, without persistence, for this package's tests and
// benchmarks and the fleet benchmark in apps/bench: the one place that finds a port, starts the
// server and waits until it accepts connections. scripts/ensure-redis.mjs installs redis-server.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** @returns {Promise<number>} a free TCP port on loopback */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

/** @param {number} port @returns {Promise<boolean>} whether something accepts connections on it */
function canConnect(port) {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Starts `redis-server` with `args` after the loopback, no-persistence ones, and waits (at most
 * about 5 s) until `port` accepts connections.
 *
 * @param {{ port: number, directory: string, args?: string[], listen?: string[] }} options
 *   `listen`: the arguments that name the port (default `--port <port>`)
 * @returns {Promise<import('node:child_process').ChildProcess>}
 */
export async function spawnRedisServer({ port, directory, args = [], listen = ['--port', String(port)] }) {
  const child = spawn('redis-server', [...listen, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', directory, '--daemonize', 'no', ...args], { stdio: 'ignore' });
  const failed = new Promise((_, reject) => child.once('error', (error) => reject(new Error(`cannot start redis-server (${error.message}): run node packages/store-redis/scripts/ensure-redis.mjs`))));
  failed.catch(() => undefined);
  for (let attempt = 0; attempt < 500; attempt++) {
    if (await Promise.race([canConnect(port), failed])) return child;
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`redis-server exited at start (port ${port})`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not accept connections on port ${port}`);
}

/**
 * A redis-server on a free loopback port in a new temporary directory, accepting connections.
 * `stop` kills it and removes the directory.
 *
 * @param {string} prefix the temporary directory's name prefix
 * @returns {Promise<{ port: number, url: string, stop(): void }>}
 */
export async function startLoopbackRedis(prefix) {
  const port = await freePort();
  const directory = mkdtempSync(join(tmpdir(), prefix));
  try {
    const child = await spawnRedisServer({ port, directory });
    return {
      port,
      url: `redis://127.0.0.1:${port}`,
      stop: () => {
        child.kill('SIGKILL');
        rmSync(directory, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(directory, { recursive: true, force: true });
    throw error;
  }
}
