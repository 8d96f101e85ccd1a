import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnRedisServer } from '../scripts/loopback-redis.mjs';

export { freePort };

/** The test TLS material (see fixtures/tls/README.md): a certificate authority and a server certificate for 127.0.0.1 it signed. */
const TLS_FIXTURES = join(import.meta.dirname, 'fixtures', 'tls');
/** The PEM file of that authority: what a client must trust to reach {@link RedisServer.startTls}'s server. */
export const TLS_CA_FILE = join(TLS_FIXTURES, 'ca.crt');

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

  /** Starts a server that speaks TLS only, with the test certificate signed by {@link TLS_CA_FILE}'s authority; clients need no certificate. */
  static startTls(): Promise<RedisServer> {
    const files = ['--tls-cert-file', join(TLS_FIXTURES, 'server.crt'), '--tls-key-file', join(TLS_FIXTURES, 'server.key'), '--tls-ca-cert-file', TLS_CA_FILE];
    return RedisServer.start(['--tls-auth-clients', 'no', ...files], { tls: true });
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
    this.#process = await spawnRedisServer({
      port: this.port,
      directory: this.directory,
      args: this.extraArgs,
      ...(this.tls ? { listen: ['--port', '0', '--tls-port', String(this.port)] } : {}),
    });
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
