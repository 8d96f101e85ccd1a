import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
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
 * A real `redis-server` for tests, on a free loopback port in a temporary
 * directory, without persistence. `stop` kills it; `start` brings it back on
 * the same port; `pause`/`resume` send SIGSTOP/SIGCONT.
 */
export class RedisServer {
  readonly port: number;
  readonly directory: string;
  readonly extraArgs: string[];
  /** Whether the server speaks TLS only (its port is then the TLS port). */
  readonly tls: boolean;
  #process: ChildProcess | undefined;

  private constructor(port: number, extraArgs: string[], tls: boolean) {
    this.port = port;
    this.extraArgs = extraArgs;
    this.tls = tls;
    this.directory = mkdtempSync(join(tmpdir(), 'redis-test-'));
  }

  /**
   * Starts a server; fails with a clear message when redis-server is not
   * installed. With `tls`, the server listens with TLS only (pass the
   * `--tls-*` file arguments in `extraArgs`).
   */
  static async start(extraArgs: string[] = [], options: { tls?: boolean } = {}): Promise<RedisServer> {
    const found = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
    if (found.error || found.status !== 0) {
      throw new Error('redis-server is not installed: run `node packages/store-redis/scripts/ensure-redis.mjs` (apt-get install -y redis-server) first');
    }
    const server = new RedisServer(await freePort(), extraArgs, options.tls === true);
    await server.start();
    return server;
  }

  /** `redis://127.0.0.1:<port>` (`rediss://` for a TLS server). */
  get url(): string {
    return `${this.tls ? 'rediss' : 'redis'}://127.0.0.1:${this.port}`;
  }

  /** Whether the server process is running. */
  get running(): boolean {
    return this.#process !== undefined && this.#process.exitCode === null && this.#process.signalCode === null;
  }

  /** Starts (or restarts) the server on its port and waits until it accepts connections. */
  async start(): Promise<void> {
    if (this.running) return;
    const child = spawn(
      'redis-server',
      [...(this.tls ? ['--port', '0', '--tls-port', String(this.port)] : ['--port', String(this.port)]), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.directory, '--daemonize', 'no', ...this.extraArgs],
      { stdio: 'ignore' },
    );
    this.#process = child;
    for (let attempt = 0; attempt < 500; attempt++) {
      if (await canConnect(this.port)) return;
      if (!this.running) throw new Error(`redis-server exited at start (port ${this.port})`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`redis-server did not accept connections on port ${this.port}`);
  }

  /** Kills the server (SIGKILL by default) and waits for it to exit. */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.#process;
    if (!child || !this.running) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    if (signal !== 'SIGKILL') child.kill('SIGCONT');
    child.kill(signal);
    await exited;
    this.#process = undefined;
  }

  /** Freezes the server (SIGSTOP): connections stay open, commands time out. */
  pause(): void {
    this.#process?.kill('SIGSTOP');
  }

  /** Thaws a paused server (SIGCONT). */
  resume(): void {
    this.#process?.kill('SIGCONT');
  }

  /** Stops the server and removes its directory. */
  async dispose(): Promise<void> {
    this.resume();
    await this.stop();
    rmSync(this.directory, { recursive: true, force: true });
  }
}
