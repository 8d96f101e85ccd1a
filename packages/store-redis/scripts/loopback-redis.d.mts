import type { ChildProcess } from 'node:child_process';

/** A free TCP port on loopback. */
export declare function freePort(): Promise<number>;

/**
 * Starts `redis-server` with `args` after the loopback, no-persistence ones,
 * and waits (at most about 5 s) until `port` accepts connections. `listen`:
 * the arguments that name the port (default `--port <port>`).
 */
export declare function spawnRedisServer(options: { port: number; directory: string; args?: string[]; listen?: string[] }): Promise<ChildProcess>;

/** A redis-server on a free loopback port in a new temporary directory, accepting connections; `stop` kills it and removes the directory. */
export declare function startLoopbackRedis(prefix: string): Promise<{ port: number; url: string; stop(): void }>;
