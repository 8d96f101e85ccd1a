import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { Redis, type Command, type RedisOptions } from 'ioredis';
import {
  checksum,
  clockMs,
  DEFAULT_CHECKSUM,
  FaultReporter,
  publishStoreEvent as publish,
  snapshot,
  StoreClosedError,
  UNREACHABLE_FAULT_CODES,
  validateKey,
  validateValue,
  zeroCounters,
  type PutResult,
  type StatsCounters,
  type Store,
  type StoreCapabilities,
  type StoreStats,
} from '@cache/store';
import { chunkCount, decodeManifest, encodeManifest, MANIFEST_FORMAT, otherManifestFormat, type Manifest } from '../layout/manifest.js';
import { RedisLayout } from '../layout/redis-keys.js';
import { classifyFault } from './classify-fault.js';
import { redactUrl, resolveRedisOptions, type RedisStoreOptions, type ResolvedRedisStoreOptions } from './redis-options.js';

/** Bytes fetched or written per pipeline round trip. */
const BATCH_BYTES = 16 * 1024 * 1024;

/** The name each connection gives itself (CLIENT SETNAME), as `CLIENT LIST` shows it. */
const CONNECTION_NAME = 'wasm-cache';

/**
 * With `keepProcessAlive: false`, how long ioredis waits for the server to
 * close a connection it ends itself (after a fatal error) before destroying
 * it. Its default, 2 s, on a timer of its own, would hold the process when the
 * server does not answer.
 */
const QUICK_DISCONNECT_MS = 100;

/** The socket of a client's connection, once it has one. */
type ClientStream = Redis['stream'] | undefined;

/**
 * A command timeout, as ioredis's own (`Command timed out`), on a timer that
 * does not hold the process: a call in flight does, through the socket, until
 * the timer fires.
 */
function unreferencedTimeout(command: Command): (ms: number) => void {
  let timer: NodeJS.Timeout | undefined;
  return (ms) => {
    if (timer !== undefined) return;
    timer = setTimeout(() => {
      if (!command.isResolved) command.reject(new Error('Command timed out'));
    }, ms);
    timer.unref();
    const clear = (): void => clearTimeout(timer);
    command.promise.then(clear, clear);
  };
}

type PipelineResult = [Error | null, unknown][] | null;

function firstError(results: PipelineResult): unknown {
  if (!results) return new Error('Connection is closed');
  return results.find(([error]) => error)?.[0] ?? undefined;
}

function checksumHex(data: Uint8Array, kind: number): string | undefined {
  return checksum(data, kind)?.toString('hex');
}

/**
 * A shared, persistent store on Redis (or anything speaking its protocol:
 * Valkey, KeyDB, DragonflyDB), through ioredis.
 *
 * Values are split into chunks (4 MiB by default) so a 300 MB artifact stays
 * far from Redis's 512 MB value limit and no single command holds the server
 * for long. A `put` writes the chunks under a fresh version id, then the
 * manifest (cache key, size, per-chunk checksums) last, all with the same
 * time to live; a `get` reads the manifest, then the chunks of exactly that
 * version, and checks every length and checksum before returning anything.
 * An evicted chunk (Redis's `maxmemory` policy) or a half-written entry is a
 * miss, never a mix of versions or wrong bytes.
 *
 * Faults (Redis down at start or later, a reset connection, a command
 * timeout, `OOM` replies) never throw: `get` misses, `put` reports
 * `{ stored: false }`, each fault is counted, published on
 * `cache:store:fault` and warned about once per code. While Redis is down
 * calls fail at once (no offline queue) and the client reconnects in the
 * background with backoff, so the store recovers when Redis returns. After a
 * command timeout (a slow or frozen server) calls fail at once too, until a
 * background PING is answered, so a hung Redis costs one timeout, not one
 * per call. A connection is ready once the server answered a PING (and the
 * SELECT of the URL's database) on it, within `connectTimeoutMs`: one that
 * accepts connections and does not answer is given up then, said once as
 * `ETIMEDOUT`, and tried again with backoff.
 *
 * Put it behind a `SignedStore` when other machines can write to the same
 * Redis (see `createTieredCacheStore`).
 *
 * @example
 * const store = RedisStore.connect({ url: 'redis://127.0.0.1:6379', keyPrefix: 'myapp:' });
 */
export class RedisStore implements Store {
  /** Always `'redis'`. */
  readonly kind = 'redis';
  /** Persistent, shared across processes and machines, verified by per-chunk checksums. */
  readonly capabilities: StoreCapabilities = Object.freeze({ persistent: true, sharedAcrossProcesses: true, verifiesContent: true });
  /** The server's URL with any password redacted. */
  readonly location: string;
  /** The options in effect. The password is kept in a private field, not here. */
  readonly options: Omit<ResolvedRedisStoreOptions, 'password' | 'url'>;
  /** The ioredis client (for health checks and tests; do not use its commands on the store's keys). */
  readonly client: Redis;
  readonly #layout: RedisLayout;
  readonly #counters: StatsCounters = zeroCounters();
  readonly #faults: FaultReporter;
  readonly #background = new Set<Promise<unknown>>();
  /** Set after a command timed out: calls fail at once until a background PING answers again. */
  #unresponsive = false;
  /** The code that began the outage in progress (the warning group of its transport faults), until the server answers again. */
  #outage: string | undefined;
  #probe: NodeJS.Timeout | undefined;
  #closed = false;
  /** Calls in flight, which hold the process when `keepProcessAlive` is false. */
  #calls = 0;
  /** Whether the store's handshake on this connection was answered: the server answered a PING and selected the URL's database. */
  #ready = false;
  /** Why the URL's database could not be selected on this connection, until a new connection selects it. */
  #selectFailure: string | undefined;
  /** The connection attempt in progress, from ioredis's 'connecting' until the store's handshake on it settles or it is given up. */
  #attempt: { readonly id: number; readonly deadline: NodeJS.Timeout } | undefined;
  /** Connection attempts begun so far (the id of the latest). */
  #attempts = 0;
  /** Callers of `ready()` and the first attempt's waiters, told whether the attempt in progress made the store usable. */
  readonly #attemptWaiters = new Set<(ready: boolean) => void>();
  /** The client's first connection attempt, until it has settled (see `#connection`). */
  #firstAttempt: Promise<void> | undefined;

  /** @throws InvalidRedisOptionError for bad options. Connecting happens in the background; use {@link RedisStore.connect}. */
  constructor(options: RedisStoreOptions) {
    const resolved = resolveRedisOptions(options);
    const { url, password, ...rest } = resolved;
    this.options = Object.freeze(rest);
    this.location = redactUrl(url);
    this.#layout = new RedisLayout(resolved.keyPrefix);
    this.#faults = new FaultReporter(this.kind, this.location, this.#counters);
    const host = url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
    // SNI carries host names only (RFC 6066): Node warns (DEP0123) when given an IP address.
    const servername = resolved.tls?.servername ?? (isIP(host) === 0 ? host : undefined);
    const clientOptions: RedisOptions = {
      host,
      port: url.port ? Number(url.port) : 6379,
      // Not ioredis's `db`: when the server refuses its SELECT, ioredis says so as an error event and goes
      // on in database 0. The store selects the database itself on each connection and is not ready until
      // the server accepted it (see #handshake).
      db: 0,
      ...(resolved.username === undefined ? {} : { username: resolved.username }),
      ...(password === undefined ? {} : { password }),
      ...(resolved.tls === undefined ? {} : { tls: { ...resolved.tls, ...(servername === undefined ? {} : { servername }) } }),
      lazyConnect: true,
      enableOfflineQueue: false,
      // The store checks each connection itself (#handshake: a PING, and the SELECT of the URL's database) within the
      // connect timeout. ioredis's ready check (INFO), client info (CLIENT SETINFO) and connection name (CLIENT SETNAME)
      // would each wait for the command timeout first, on a server that accepts connections and does not answer.
      enableReadyCheck: false,
      disableClientInfo: true,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      connectTimeout: resolved.connectTimeoutMs,
      commandTimeout: resolved.commandTimeoutMs,
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), resolved.reconnectMaxDelayMs),
      ...(resolved.keepProcessAlive ? {} : { disconnectTimeout: QUICK_DISCONNECT_MS }),
    };
    this.client = new Redis(clientOptions);
    this.#adjustCommands();
    // ioredis emits connection errors as events; without a listener Node would crash on them.
    this.client.on('error', (error: unknown) => {
      // After close() nothing is said: ioredis still emits errors of the socket being torn down (a write
      // ECONNRESET, a protocol error from a server that is not Redis), which are not faults of any call.
      if (this.#closed) return;
      // ioredis repeats the store's SELECT on a new connection and may emit its refusal here; #handshake reports it.
      if ((error as { command?: { name?: unknown } } | null)?.command?.name === 'select') return;
      const fault = classifyFault('connection', error);
      const attempt = this.#attempt;
      // The connection was not made, or its AUTH was not answered, in time: said as the attempt's timeout.
      if (attempt !== undefined && fault.code === 'ETIMEDOUT') return this.#abandonAttempt();
      this.#report(fault, true);
      if (attempt !== undefined) {
        // The attempt failed (ioredis closes the connection and reconnects): its waiters are told now.
        this.#endAttempt();
        this.#settleAttempt(false);
      }
    });
    this.client.on('connecting', () => this.#beginAttempt());
    this.client.on('ready', () => this.#handshake());
    this.client.on('close', () => {
      this.#ready = false;
      this.#endAttempt();
    });
    if (!resolved.keepProcessAlive) {
      // Only a call in flight holds the process: the connection is unreferenced from its start (see #beginAttempt) and
      // once made, and so is each wait before reconnecting (ioredis sets that timer right after it says 'reconnecting').
      this.client.on('connect', () => this.#syncRef());
      this.client.on('reconnecting', () => queueMicrotask(() => (this.client as unknown as { reconnectTimeout?: NodeJS.Timeout | null }).reconnectTimeout?.unref()));
    }
    this.client.connect().catch(() => undefined); // the 'error' event reported it; the retry strategy reconnects
    // Calls made meanwhile wait for the first attempt (see #connection): until the server answered the handshake, the
    // attempt failed, the client is closed, or connectTimeoutMs passed since it began (#beginAttempt's deadline).
    this.#firstAttempt = this.#attemptSettled(undefined, { holdProcess: false, orEnd: true }).then(() => {
      this.#firstAttempt = undefined;
    });
  }

  /**
   * A store for `options`, connecting in the background. It resolves once
   * connected, or after `connectTimeoutMs` with a store that misses until
   * Redis is reachable (so an application starts when Redis is down).
   *
   * @throws InvalidRedisOptionError for bad options.
   */
  static async connect(options: RedisStoreOptions): Promise<RedisStore> {
    const store = new RedisStore(options);
    await store.ready(store.options.connectTimeoutMs);
    return store;
  }

  /** Whether the client is connected, the server answered on this connection, in the URL's database, and it is ready now. */
  get connected(): boolean {
    return this.client.status === 'ready' && this.#ready;
  }

  /**
   * Resolves true once connected (in the URL's database); false after
   * `timeoutMs`, as soon as a connection attempt fails (the client keeps
   * reconnecting in the background), or when the server refuses the database.
   */
  async ready(timeoutMs: number): Promise<boolean> {
    if (this.connected) return true;
    return this.#attemptSettled(timeoutMs, { holdProcess: true, orEnd: false });
  }

  /**
   * Resolves when the connection attempt in flight settles: with whether the
   * store can be used, once the server answered its handshake (and selected
   * or refused the URL's database); false when the attempt fails (ioredis says
   * 'reconnecting' after the 'error' listener said why), is given up at its
   * deadline, or, with `orEnd`, when the client ends; else after `timeoutMs`
   * (without one, the attempt's own deadline bounds the wait), with whether it
   * is connected then. With `holdProcess` false, the wait alone does not keep
   * the process running.
   */
  #attemptSettled(timeoutMs: number | undefined, { holdProcess, orEnd }: { holdProcess: boolean; orEnd: boolean }): Promise<boolean> {
    const failures = orEnd ? ['reconnecting', 'end'] : ['reconnecting'];
    return new Promise((resolve) => {
      const done = (value: boolean): void => {
        clearTimeout(timer);
        this.#attemptWaiters.delete(done);
        for (const event of failures) this.client.off(event, onFailed);
        resolve(value);
      };
      const onFailed = (): void => done(false);
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => done(this.connected), timeoutMs);
      if (!holdProcess) timer?.unref();
      this.#attemptWaiters.add(done);
      for (const event of failures) this.client.on(event, onFailed);
    });
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    this.#check(key);
    const started = clockMs();
    const release = this.#hold();
    try {
      const value = await this.#read(key);
      if (value === undefined) {
        this.#counters.misses++;
        return undefined;
      }
      this.#counters.hits++;
      this.#counters.bytesRead += value.byteLength;
      publish.hit(() => ({ store: this.kind, location: this.location, key, bytes: value.byteLength }));
      return value;
    } catch (error) {
      this.#fault('get', error);
      this.#counters.misses++;
      publish.miss(() => ({ store: this.kind, location: this.location, key, reason: 'fault' }));
      return undefined;
    } finally {
      release();
      this.#counters.timeSpentMs += clockMs() - started;
    }
  }

  async put(key: string, value: Uint8Array): Promise<PutResult> {
    this.#check(key);
    validateValue(value);
    const started = clockMs();
    const { maxEntryBytes } = this.options;
    if (value.byteLength > maxEntryBytes) return { stored: false, reason: `value of ${value.byteLength} bytes exceeds maxEntryBytes (${maxEntryBytes})` };
    const release = this.#hold();
    try {
      await this.#write(key, value);
      this.#counters.writes++;
      this.#counters.bytesWritten += value.byteLength;
      publish.write(() => ({ store: this.kind, location: this.location, key, bytes: value.byteLength, storedBytes: value.byteLength }));
      return { stored: true };
    } catch (error) {
      const fault = this.#fault('put', error);
      return { stored: false, reason: `Redis ${fault.code}: ${fault.message}`, faultCode: fault.code };
    } finally {
      release();
      this.#counters.timeSpentMs += clockMs() - started;
    }
  }

  async delete(key: string): Promise<boolean> {
    this.#check(key);
    const release = this.#hold();
    try {
      await this.#connection();
      const { manifest } = await this.#manifest(key);
      const removed = await this.client.unlink(this.#layout.manifestKey(key));
      if (manifest) await this.#unlinkChunks(key, manifest);
      return removed > 0;
    } catch (error) {
      this.#fault('delete', error);
      return false;
    } finally {
      release();
    }
  }

  async has(key: string): Promise<boolean> {
    this.#check(key);
    const release = this.#hold();
    try {
      await this.#connection();
      return (await this.client.exists(this.#layout.manifestKey(key))) > 0;
    } catch (error) {
      this.#fault('has', error);
      return false;
    } finally {
      release();
    }
  }

  async *keys(): AsyncIterable<string> {
    if (this.#closed) throw new StoreClosedError(this.kind);
    let cursor = '0';
    const release = this.#hold();
    try {
      await this.#connection();
      do {
        const [next, names] = await this.client.scan(cursor, 'MATCH', this.#layout.manifestPattern(), 'COUNT', 500);
        cursor = next;
        if (names.length === 0) continue;
        const texts = await this.client.mget(names);
        for (const text of texts) {
          const manifest = text === null ? undefined : decodeManifest(text);
          if (manifest) yield manifest.key;
        }
      } while (cursor !== '0');
    } catch (error) {
      this.#fault('keys', error);
    } finally {
      release();
    }
  }

  stats(): StoreStats {
    return snapshot(this.#counters);
  }

  /** Waits for background TTL refreshes, then disconnects. Idempotent. Once it is called, the store emits no more warnings. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#probe);
    await Promise.allSettled([...this.#background]);
    this.#endAttempt();
    // Closing is a call in flight: its QUIT holds the process until it is answered (or the command timeout passes).
    const release = this.#hold();
    try {
      if (this.connected) {
        await Promise.race([this.client.quit().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, this.options.commandTimeoutMs).unref())]);
      }
      this.client.disconnect(false);
      // Whatever is left of the connection goes now: ioredis would otherwise wait (2 s) for a server that does not answer to close it.
      (this.client.stream as ClientStream)?.destroy();
    } finally {
      release();
    }
  }

  async #read(key: string): Promise<Uint8Array | undefined> {
    await this.#connection();
    const read = await this.#manifest(key);
    if (read.manifest === undefined) {
      publish.miss(() => ({ store: this.kind, location: this.location, key, reason: read.miss }));
      return undefined;
    }
    const { manifest, stored } = read;
    if (manifest.size > this.options.maxEntryBytes) {
      // Checked before a chunk is fetched or memory taken for it. Not damage: a store of a larger limit sharing the
      // server wrote it, and reads it (as the disk store's entries larger than its capacity). Its checksums are
      // unchecked, and a forged one has nothing to gain: it is kept, and expires with its time to live.
      publish.miss(() => ({ store: this.kind, location: this.location, key, reason: 'too-large' }));
      return undefined;
    }
    const value = Buffer.allocUnsafe(manifest.size);
    const count = manifest.checksums.length;
    const perBatch = Math.max(1, Math.floor(BATCH_BYTES / manifest.chunkSize));
    for (let first = 0; first < count; first += perBatch) {
      const pipeline = this.client.pipeline();
      const last = Math.min(count, first + perBatch);
      for (let index = first; index < last; index++) pipeline.getBuffer(this.#layout.chunkKey(key, manifest.version, index));
      const results = await pipeline.exec();
      const error = firstError(results);
      if (error) throw error;
      for (let index = first; index < last; index++) {
        const chunk = results?.[index - first]?.[1];
        const offset = index * manifest.chunkSize;
        const expected = Math.min(manifest.chunkSize, manifest.size - offset);
        if (!Buffer.isBuffer(chunk)) {
          // Evicted by Redis (maxmemory), expired, or replaced meanwhile: a miss, and the rest of the entry goes.
          this.#counters.evictions++;
          this.#dropEntry(key, manifest, stored, 'a chunk is missing (evicted or replaced)', false);
          return undefined;
        }
        if (chunk.byteLength !== expected || checksumHex(chunk, manifest.checksumKind) !== manifest.checksums[index]) {
          this.#dropEntry(key, manifest, stored, `chunk ${index} has the wrong ${chunk.byteLength !== expected ? 'length' : 'checksum'}`, true);
          return undefined;
        }
        chunk.copy(value, offset);
      }
    }
    if (this.options.refreshTtlOnHit && this.options.ttlMs > 0) this.#refreshTtl(key, manifest);
    return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  }

  async #write(key: string, value: Uint8Array): Promise<void> {
    await this.#connection();
    const { chunkBytes, ttlMs } = this.options;
    const version = randomBytes(8).toString('hex');
    const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    const count = chunkCount(bytes.byteLength, chunkBytes);
    const checksums: string[] = [];
    const perBatch = Math.max(1, Math.floor(BATCH_BYTES / chunkBytes));
    const expiry = (): ['PX', number] | [] => (ttlMs > 0 ? ['PX', ttlMs] : []);
    try {
      for (let first = 0; first < count; first += perBatch) {
        const pipeline = this.client.pipeline();
        for (let index = first; index < Math.min(count, first + perBatch); index++) {
          const chunk = bytes.subarray(index * chunkBytes, Math.min(bytes.byteLength, (index + 1) * chunkBytes));
          const sum = checksumHex(chunk, DEFAULT_CHECKSUM);
          if (sum === undefined) throw new Error('no checksum available in this runtime');
          checksums.push(sum);
          const name = this.#layout.chunkKey(key, version, index);
          if (ttlMs > 0) pipeline.set(name, chunk, 'PX', ttlMs);
          else pipeline.set(name, chunk);
        }
        const error = firstError(await pipeline.exec());
        if (error) throw error;
      }
      const manifest: Manifest = { format: MANIFEST_FORMAT, key, version, size: bytes.byteLength, chunkSize: chunkBytes, checksumKind: DEFAULT_CHECKSUM, checksums };
      // SET … GET swaps the manifest atomically and returns the previous one, whose chunks can then go.
      const previous = (await this.client.call('SET', this.#layout.manifestKey(key), encodeManifest(manifest), ...expiry(), 'GET')) as string | null;
      const old = previous === null ? undefined : decodeManifest(previous);
      if (old && old.version !== version) this.#track(this.#unlinkChunks(key, old));
    } catch (error) {
      // Chunks written before the fault are unreachable without a manifest; remove them now (the TTL would, later).
      this.#track(this.#unlinkChunks(key, { version, size: count * chunkBytes, chunkSize: chunkBytes }));
      throw error;
    }
  }

  /**
   * The manifest of `key`, with its bytes as stored; or why there is none to
   * read: `absent`; `other-version`, one of another manifest format (another
   * version of this package wrote it, and reads it): left alone, not counted;
   * `corrupt`, damaged, a manifest of another key, or one that does not
   * describe its chunks (their count, their size): counted, and removed if it
   * is still the one read (a concurrent `put` may have replaced it).
   */
  async #manifest(key: string): Promise<{ manifest: Manifest; stored: Buffer } | { manifest?: undefined; miss: 'absent' | 'other-version' | 'corrupt' }> {
    const stored = await this.client.getBuffer(this.#layout.manifestKey(key));
    if (stored === null) return { miss: 'absent' };
    const text = stored.toString('utf8');
    const manifest = decodeManifest(text);
    if (manifest && manifest.key === key) return { manifest, stored };
    if (!manifest && otherManifestFormat(text) !== undefined) return { miss: 'other-version' };
    // Not ours, damaged, or a manifest moved from another key.
    this.#counters.corruptEntries++;
    publish.corrupt(() => ({ store: this.kind, location: this.location, key, reason: 'invalid manifest' }));
    this.#track(this.#unlinkManifestIfStill(key, stored));
    return { miss: 'corrupt' };
  }

  #dropEntry(key: string, manifest: Manifest, stored: Buffer, reason: string, corrupt: boolean): void {
    if (corrupt) {
      this.#counters.corruptEntries++;
      publish.corrupt(() => ({ store: this.kind, location: this.location, key, reason }));
    }
    publish.miss(() => ({ store: this.kind, location: this.location, key, reason: corrupt ? 'corrupt' : 'absent' }));
    this.#track(this.#unlinkManifestIfStill(key, stored).then(() => this.#unlinkChunks(key, manifest)));
  }

  /** Removes the manifest of `key` only if it still holds `stored`, the bytes read: a newer `put` may have replaced it. */
  async #unlinkManifestIfStill(key: string, stored: Buffer): Promise<void> {
    const script = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('UNLINK', KEYS[1]) end return 0";
    await this.client.eval(script, 1, this.#layout.manifestKey(key), stored);
  }

  async #unlinkChunks(key: string, manifest: Pick<Manifest, 'version' | 'size' | 'chunkSize'>): Promise<void> {
    const names = Array.from({ length: chunkCount(manifest.size, manifest.chunkSize) }, (_, index) => this.#layout.chunkKey(key, manifest.version, index));
    for (let first = 0; first < names.length; first += 512) await this.client.unlink(...names.slice(first, first + 512));
  }

  #refreshTtl(key: string, manifest: Manifest): void {
    const pipeline = this.client.pipeline();
    pipeline.pexpire(this.#layout.manifestKey(key), this.options.ttlMs);
    for (let index = 0; index < manifest.checksums.length; index++) pipeline.pexpire(this.#layout.chunkKey(key, manifest.version, index), this.options.ttlMs);
    this.#track(pipeline.exec());
  }

  /** Runs background Redis work; its faults are counted and warned like any other. */
  #track(work: Promise<unknown>): void {
    const release = this.#hold();
    const task = work
      .catch((error: unknown) => this.#fault('cleanup', error))
      .finally(() => {
        release();
        this.#background.delete(task);
      });
    this.#background.add(task);
  }

  /**
   * Adjusts each command ioredis sends. A SELECT it repeats on its own on a
   * new connection (the last database it saw selected) is awaited by nobody:
   * its failure must not be an unhandled rejection (the store selects the
   * database itself, see #handshake). Without `keepProcessAlive`, a command's
   * timeout does not hold the process: a call in flight does (its socket is
   * referenced until the call ends), the handshake and the background PING
   * after a timeout do not.
   */
  #adjustCommands(): void {
    const client = this.client;
    const send = client.sendCommand.bind(client);
    const unreferenced = !this.options.keepProcessAlive;
    client.sendCommand = (command: Command, stream?: Parameters<Redis['sendCommand']>[1]): unknown => {
      if (command.name === 'select') command.promise.catch(() => undefined);
      if (unreferenced) command.setTimeout = unreferencedTimeout(command);
      return send(command, stream);
    };
  }

  /**
   * A connection attempt begins (ioredis's 'connecting'): it must be answered
   * within `connectTimeoutMs`, the connection and the store's handshake on it
   * together, or it is given up (#abandonAttempt). The deadline does not hold
   * the process, nor, without `keepProcessAlive`, does the new socket.
   */
  #beginAttempt(): void {
    this.#endAttempt();
    if (this.#closed) return;
    const id = ++this.#attempts;
    const deadline = setTimeout(() => {
      if (this.#attempt?.id === id) this.#abandonAttempt();
    }, this.options.connectTimeoutMs);
    deadline.unref();
    this.#attempt = { id, deadline };
    // ioredis's connector makes the socket on a later tick; it is there once they have run.
    if (!this.options.keepProcessAlive) setImmediate(() => this.#syncRef());
  }

  /** The attempt in progress has settled (or the connection closed): its deadline goes. */
  #endAttempt(): void {
    if (this.#attempt === undefined) return;
    clearTimeout(this.#attempt.deadline);
    this.#attempt = undefined;
  }

  /**
   * Gives up the attempt in progress: not connected, or connected and not
   * answered, in time (a server that is frozen, overloaded, or not Redis).
   * Said as ETIMEDOUT naming the server, once per outage; the waiters are told
   * at once, and the connection is dropped (destroyed, so nothing waits for
   * the server to close it), so ioredis reconnects with backoff.
   */
  #abandonAttempt(): void {
    if (this.#attempt === undefined) return;
    this.#endAttempt();
    const { connectTimeoutMs, commandTimeoutMs } = this.options;
    const connected = this.client.status === 'connect' || this.client.status === 'ready';
    const message = connected
      ? `Redis at ${this.location} accepted the connection but did not answer within ${Math.min(connectTimeoutMs, commandTimeoutMs)} ms, as a frozen or overloaded server does; reconnecting in the background`
      : `Redis at ${this.location} could not be connected within ${connectTimeoutMs} ms, the connection or its TLS handshake not answered; reconnecting in the background`;
    this.#report({ operation: 'connect', code: 'ETIMEDOUT', message }, true);
    this.#settleAttempt(false);
    (this.client.stream as ClientStream)?.destroy();
  }

  /**
   * Runs on every new connection (ioredis's 'ready', which comes as soon as
   * it is made): the server must answer a PING, and select the URL's database
   * (nothing to select for database 0), before any call uses the connection.
   * The connection is named too (CLIENT SETNAME; an ACL may forbid it, which
   * is ignored). Whatever the outcome, `ready()` and the calls waiting for the
   * first attempt are told. A database the server refuses (a number beyond
   * its `databases`, a proxy without SELECT) is a fault, said once: every call
   * misses or stores nothing until a new connection selects it, and no other
   * database is ever used.
   */
  #handshake(): void {
    const attempt = this.#attempt;
    if (attempt === undefined || this.#closed) return;
    const { database } = this.options;
    const pinged = this.client.ping();
    const selected = database === 0 ? Promise.resolve('OK') : this.client.select(database);
    this.client.client('SETNAME', CONNECTION_NAME).catch(() => undefined);
    void Promise.allSettled([pinged, selected]).then(([ping, select]) => {
      // Given up, failed or closed meanwhile: said by what ended it.
      if (this.#attempt !== attempt || this.#closed) return;
      // A server that answers, even with a refusal of PING by its ACL, is there.
      const pingRefused = ping.status === 'rejected' && classifyFault('ping', ping.reason).code !== 'NOPERM';
      if (pingRefused) return this.#handshakeFailed(ping.reason);
      if (select.status === 'rejected') {
        if (UNREACHABLE_FAULT_CODES.has(classifyFault('select database', select.reason).code)) return this.#handshakeFailed(select.reason);
        this.#endAttempt();
        const reason = select.reason instanceof Error ? select.reason.message : String(select.reason);
        this.#selectFailure = `Redis at ${this.location} refused to select database ${database} (${reason}); the store uses no other database, so it misses and stores nothing`;
        this.#outage = undefined; // the server answered
        this.#faults.report({ operation: 'select database', code: 'ESELECT', message: this.#selectFailure });
        this.#settleAttempt(false);
        return;
      }
      this.#endAttempt();
      this.#ready = true;
      this.#selectFailure = undefined;
      this.#outage = undefined;
      this.#settleAttempt(true);
    });
  }

  /**
   * The handshake's PING failed: not answered in time (the attempt is given
   * up, as at its deadline), or refused by the server (`NOAUTH` without
   * credentials, `LOADING` while it loads its data): said under that code,
   * and the connection dropped, so ioredis tries again with backoff.
   */
  #handshakeFailed(error: unknown): void {
    const fault = classifyFault('connect', error);
    if (fault.code === 'ETIMEDOUT') return this.#abandonAttempt();
    this.#endAttempt();
    this.#report(fault, true);
    this.#settleAttempt(false);
    (this.client.stream as ClientStream)?.destroy();
  }

  #settleAttempt(ready: boolean): void {
    for (const waiter of [...this.#attemptWaiters]) waiter(ready);
  }

  /**
   * Whether a call can be made now, as `#requireConnection` says; a call made
   * while the client's first connection attempt is in flight waits for it
   * first (at most what is left of `connectTimeoutMs` since the store was
   * made, as `connect()` does; the attempt's deadline gives it up). Turned away
   * meanwhile, it would be said first as "not connected", and the attempt's
   * real cause (a refused connection, a timeout) filed under it unsaid.
   */
  async #connection(): Promise<void> {
    if (this.#firstAttempt) await this.#firstAttempt;
    this.#requireConnection();
  }

  #requireConnection(): void {
    if (this.client.status === 'ready' && !this.#ready) {
      const handshake = this.options.database === 0 ? 'a PING' : `a PING and the SELECT of database ${this.options.database}`;
      const message = this.#selectFailure ?? `Redis at ${this.location} is connected but has not answered yet (${handshake})`;
      throw Object.assign(new Error(message), { code: this.#selectFailure === undefined ? 'ENOTCONNECTED' : 'ESELECT' });
    }
    if (this.#unresponsive && this.client.status === 'ready') {
      throw Object.assign(new Error(`Redis at ${this.location} did not answer within ${this.options.commandTimeoutMs} ms; waiting for it to answer a PING`), { code: 'ETIMEDOUT' });
    }
    if (this.client.status !== 'ready') {
      const error = new Error(`Redis at ${this.location} is not connected (status ${this.client.status}); reconnecting in the background`);
      throw Object.assign(error, { code: 'ENOTCONNECTED' });
    }
  }

  #fault(operation: string, error: unknown): ReturnType<typeof classifyFault> {
    const fault = classifyFault(operation, error);
    this.#report(fault, false);
    if (fault.code === 'ETIMEDOUT' && !this.#unresponsive && !this.#closed) {
      // A slow or paused server: one timeout is paid, later calls fail at once until it answers again.
      this.#unresponsive = true;
      this.#scheduleProbe();
    }
    return fault;
  }

  /**
   * Counts and publishes a fault, said once per cause: a transport fault
   * during an outage (a call turned away, a reconnection refused) is that
   * outage, said with the code that began it, be it a refused certificate or
   * password; any other fault is said under its own code. The connection's
   * own failures and transport faults begin an outage, which ends when the
   * connection is ready or the server answers a PING again, so a later cause
   * (a timeout after a refused connection) is said too.
   */
  #report(fault: ReturnType<typeof classifyFault>, ofConnection: boolean): void {
    // The network failing, not the server answering, or a call turned away because of it: during an outage these
    // are the outage, said once under the code that began it. A wrong password, a refused certificate or a
    // protocol error keeps a warning of its own, even after an outage was said.
    const transport = UNREACHABLE_FAULT_CODES.has(fault.code);
    const group = transport && this.#outage !== undefined ? this.#outage : fault.code;
    if (transport || ofConnection) this.#outage ??= group;
    this.#faults.report(fault, group);
  }

  #scheduleProbe(): void {
    this.#probe = setTimeout(() => {
      this.client.ping().then(
        () => {
          this.#unresponsive = false;
          this.#outage = undefined;
        },
        () => {
          if (!this.#closed) this.#scheduleProbe();
        },
      );
    }, Math.min(250, this.options.commandTimeoutMs));
    this.#probe.unref();
  }

  /** Marks a call in flight; the returned function ends it. Without `keepProcessAlive`, the connection holds the process only while calls are in flight. */
  #hold(): () => void {
    if (this.options.keepProcessAlive) return () => undefined;
    this.#calls++;
    this.#syncRef();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#calls--;
      this.#syncRef();
    };
  }

  #syncRef(): void {
    const stream = this.client.stream as ClientStream;
    // A destroyed socket (between reconnection attempts) holds nothing, and would only queue the call for a 'connect' that never comes.
    if (stream === undefined || stream.destroyed) return;
    if (this.#calls > 0) stream.ref();
    else stream.unref();
  }

  #check(key: string): void {
    if (this.#closed) throw new StoreClosedError(this.kind);
    validateKey(key);
  }
}
