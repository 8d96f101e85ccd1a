import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { producerExecArgv } from '../src/index.js';
import { producerLaunch } from '../src/producer/producer-client.js';
import { isAlive, tryAcquireProducerLock } from '../src/producer/producer-lock.js';
import { childScript, entryFiles, tempDir, until, wasmFile, type ChildReport } from './helpers.js';

const engineDist = join(import.meta.dirname, '..', 'dist');

/** Runs `node <nodeFlags> <args>` in `cwd`; resolves its stdout and stderr, rejects with its stderr. */
function run(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ stdout: string; stderr: string; pid: number }> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 24, timeout: 120_000, ...options }, (error, stdout, stderr) =>
      error ? reject(new Error(`child failed (${error.signal ?? error.code}): ${stderr}`)) : resolve({ stdout, stderr, pid: child.pid ?? -1 }),
    );
  });
}

/** The lock files of a cache folder's producers. */
function locks(cacheDir: string): string[] {
  const folder = join(cacheDir, '.producers');
  return existsSync(folder) ? readdirSync(folder).filter((name) => name.endsWith('.lock')).map((name) => join(folder, name)) : [];
}

/** The pid a lock names, or undefined (none, or not readable as a lock). */
function lockPid(path: string): number | undefined {
  try {
    const owner = JSON.parse(readFileSync(path, 'utf8')) as { pid?: unknown };
    return typeof owner.pid === 'number' ? owner.pid : undefined;
  } catch {
    return undefined;
  }
}

describe('a detached producer keeps to its timeout by itself', () => {
  it('gives up once the timeout has passed, though its parent exited long before: its lock removed, its reason left, its process gone', async () => {
    const work = tempDir('engine-producer-deadline-');
    // 9 MB: its optimizing compile takes far longer than the 300 ms timeout.
    const wasm = wasmFile(work, 12_000, 'large.wasm');
    const cacheDir = join(work, 'cache');
    const code = `
      import { readFileSync } from 'node:fs';
      const { CacheConfig, Config, Engine } = await import(${JSON.stringify(pathToFileURL(join(engineDist, 'index.js')).href)});
      const cache = CacheConfig.default().withDirectory(${JSON.stringify(cacheDir)}).withOptimizingCompressionTaskTimeout(300);
      const engine = new Engine(Config.default().withArtifactTier('full').cacheConfig(cache));
      await engine.compile(readFileSync(${JSON.stringify(wasm.path)}));
      await engine.close();`;
    const parent = await run(['--input-type=module', '-e', code]);
    expect(parent.stderr).not.toMatch(/CACHE_ENGINE_/);
    // The parent has exited: only the producer is left, named in the lock it was handed.
    const [lock] = locks(cacheDir);
    expect(lock).toBeDefined();
    const producer = lockPid(lock as string);
    const note = `${lock as string}.failed`;
    expect(await until(() => existsSync(note), 60_000)).toBe(true);
    expect(readFileSync(note, 'utf8')).toMatch(/did not finish within optimizing-compression-task-timeout/);
    expect(await until(() => !existsSync(lock as string), 10_000)).toBe(true);
    if (producer !== undefined && producer !== parent.pid) expect(await until(() => !isAlive(producer), 10_000)).toBe(true);
    expect(entryFiles(cacheDir)).toEqual([]);
  });

  it('removes its lock only while the lock is still its own: one taken over meanwhile stays', async () => {
    const work = tempDir('engine-producer-own-lock-');
    const wasm = wasmFile(work, 20_000, 'large.wasm');
    const cacheDir = join(work, 'cache');
    // The parent compiles lazily and exits; its producer goes on with the optimizing compile (seconds).
    await new Promise<void>((resolve, reject) => {
      execFile(process.execPath, [childScript, cacheDir, wasm.path], { encoding: 'utf8' }, (error) => (error ? reject(error) : resolve()));
    });
    const [lock] = locks(cacheDir);
    expect(lock).toBeDefined();
    const producer = lockPid(lock as string);
    expect(producer).toBeDefined();
    expect(isAlive(producer as number)).toBe(true);
    // Another process takes the lock over (as it would one it judged stale).
    const other = JSON.stringify({ pid: process.pid, at: Date.now(), id: 'another-holder' });
    writeFileSync(lock as string, other);
    expect(await until(() => entryFiles(cacheDir).length === 1 && !isAlive(producer as number), 90_000)).toBe(true);
    expect(readFileSync(lock as string, 'utf8')).toBe(other);
  });
});

describe('the producer lock across PID namespaces (containers sharing a cache volume)', () => {
  const foreign = 'another-boot/pid:[4026532999]';

  it("is not taken from another namespace's live producer, whose pid means nothing here, while it has a heartbeat", () => {
    const path = join(tempDir('engine-lock-ns-'), 'f.k.full.lock');
    // A pid no process has here: in the writer's namespace it is its live producer.
    writeFileSync(path, JSON.stringify({ pid: 999_999_999, at: Date.now(), ns: foreign, id: 'theirs' }));
    expect(tryAcquireProducerLock(path, 30 * 60 * 1000)).toEqual({ busy: true });
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ id: 'theirs' });
  });

  it('is taken over from another namespace once it has had no heartbeat for a minute, even if its pid is alive here', () => {
    const path = join(tempDir('engine-lock-ns-'), 'f.k.full.lock');
    writeFileSync(path, JSON.stringify({ pid: process.pid, at: Date.now(), ns: foreign, id: 'theirs' }));
    const minuteAgo = (Date.now() - 60_000) / 1000;
    utimesSync(path, minuteAgo, minuteAgo);
    const attempt = tryAcquireProducerLock(path, 30 * 60 * 1000);
    expect('lock' in attempt).toBe(true);
    if ('lock' in attempt) attempt.lock.release();
    expect(existsSync(path)).toBe(false);
  });

  it("is refreshed by its live holder (its heartbeat), so its age says how long ago its producer was last seen alive; a lock of this namespace or an earlier version's is still judged by its pid", async () => {
    const folder = tempDir('engine-lock-heartbeat-');
    const path = join(folder, 'f.k.full.lock');
    const attempt = tryAcquireProducerLock(path, 30 * 60 * 1000);
    if (!('lock' in attempt)) throw new Error('expected the lock');
    try {
      const old = (Date.now() - 10 * 60 * 1000) / 1000;
      utimesSync(path, old, old);
      expect(await until(() => Date.now() - statSync(path).mtimeMs < 60_000, 20_000)).toBe(true);
    } finally {
      attempt.lock.release();
    }
    expect(existsSync(path)).toBe(false);
    // An earlier version's lock (no namespace): a dead owner's is taken over, a live one's is not.
    writeFileSync(path, JSON.stringify({ pid: 999_999_999, at: Date.now() }));
    const taken = tryAcquireProducerLock(path, 30 * 60 * 1000);
    expect('lock' in taken).toBe(true);
    if ('lock' in taken) taken.lock.release();
    writeFileSync(path, JSON.stringify({ pid: process.pid, at: Date.now() }));
    expect(tryAcquireProducerLock(path, 30 * 60 * 1000)).toEqual({ busy: true });
  });
});

describe('taking a stale producer lock over', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('never removes the lock another process created in its place after it was judged stale (two would hold it)', () => {
    const path = join(tempDir('engine-lock-takeover-'), 'f.k.full.lock');
    mkdirSync(join(path, '..'), { recursive: true });
    const deadPid = 999_999_999;
    writeFileSync(path, JSON.stringify({ pid: deadPid, at: 1 }));
    const theirs = JSON.stringify({ pid: process.ppid, at: Date.now(), id: 'theirs' });
    const kill = process.kill.bind(process);
    let swapped = false;
    // While this process judges the dead owner, another one takes the stale lock over: the old file removed, its own
    // created (another file, as another process's takeover leaves it).
    vi.spyOn(process, 'kill').mockImplementation((pid: number, signal?: string | number) => {
      if (pid === deadPid && !swapped) {
        swapped = true;
        rmSync(path);
        writeFileSync(path, theirs, { flag: 'wx' });
      }
      return kill(pid, signal);
    });
    const attempt = tryAcquireProducerLock(path, 30 * 60 * 1000);
    expect(swapped).toBe(true);
    expect(attempt).toEqual({ busy: true });
    expect(readFileSync(path, 'utf8')).toBe(theirs);
  });
});

describe('a process started from a startup snapshot (--snapshot-blob)', () => {
  it("produces its artifact once: the producer runs itself, not the snapshot's main function (the application again)", async () => {
    const work = tempDir('engine-snapshot-');
    const wasm = wasmFile(work, 150);
    const cacheDir = join(work, 'cache');
    const log = join(work, 'runs.log');
    const app = join(work, 'app.cjs');
    writeFileSync(
      app,
      `const v8 = require('node:v8');
      v8.startupSnapshot.setDeserializeMainFunction(async () => {
        const fs = require('node:fs');
        fs.appendFileSync(${JSON.stringify(log)}, 'app main ' + (process.env.WASM_CACHE_PRODUCER ?? '') + '\\n');
        // A snapshot's own require() loads built-in modules only.
        const { CacheConfig, Config, Engine } = require('node:module').createRequire(${JSON.stringify(app)})(${JSON.stringify(join(engineDist, 'index.cjs'))});
        const engine = new Engine(Config.default().withArtifactTier('full').cacheConfig(CacheConfig.default().withDirectory(${JSON.stringify(cacheDir)})));
        await engine.compile(fs.readFileSync(${JSON.stringify(wasm.path)}));
        await engine.idle();
        process.stdout.write(JSON.stringify(engine.stats()));
        await engine.close();
      });`,
    );
    const blob = join(work, 'app.blob');
    await run(['--snapshot-blob', blob, '--build-snapshot', app], { cwd: work });
    const first = JSON.parse((await run([`--snapshot-blob=${blob}`], { cwd: work })).stdout) as ChildReport['stats'];
    expect(first).toMatchObject({ misses: 1, artifactsProduced: 1, producerFailures: 0 });
    const second = JSON.parse((await run(['--snapshot-blob', blob], { cwd: work })).stdout) as ChildReport['stats'];
    expect(second).toMatchObject({ hits: 1, misses: 0 });
    expect(readFileSync(log, 'utf8')).toBe('app main \napp main \n');
    expect(locks(cacheDir)).toEqual([]);
  });

  it('the flags that run something else than the producer are dropped, with their values; --prof is kept (it is in V8 flag hash)', () => {
    expect(
      producerExecArgv([
        '--snapshot-blob',
        'app.blob',
        '--snapshot_blob=app.blob',
        '--build-snapshot',
        '--build-snapshot-config',
        'snap.json',
        '-pe',
        '1',
        '--entry-url',
        '--experimental-default-type=module',
        '--prof-process',
        '--experimental-sea-config',
        'sea.json',
        '--watch-kill-signal',
        'SIGINT',
        '--input_type=module',
        '--prof',
        '--stack-size=900',
      ]),
    ).toEqual(['--prof', '--stack-size=900']);
  });
});

describe('a process run with --prof', () => {
  it("has its full artifacts produced and used, with no warning, and gets no profile of the producer's in its folder", async () => {
    const work = tempDir('engine-prof-');
    const wasm = wasmFile(work, 150);
    const cacheDir = join(work, 'cache');
    const cwd = join(work, 'cwd');
    mkdirSync(cwd);
    const report = async (): Promise<ChildReport & { pid: number }> => {
      const { stdout, stderr, pid } = await run(['--prof', childScript, cacheDir, wasm.path, '--idle'], { cwd });
      return { ...(JSON.parse(stdout) as Omit<ChildReport, 'stderr'>), stderr, pid };
    };
    const first = await report();
    expect(first.stats).toMatchObject({ misses: 1, artifactsProduced: 1, producerFailures: 0 });
    expect(first.stderr).not.toMatch(/CACHE_ENGINE_/);
    const second = await report();
    expect(second.outcomes).toEqual(['hit']);
    expect(second.stderr).not.toMatch(/CACHE_ENGINE_/);
    expect(locks(cacheDir)).toEqual([]);
    // Only the two processes' own profiles (V8 writes one per isolate, named with the pid).
    const pids = new Set(readdirSync(cwd).map((name) => /^isolate-0x[0-9a-f]+-(\d+)-/.exec(name)?.[1]));
    expect([...pids].sort()).toEqual([String(first.pid), String(second.pid)].sort());
  });

  it('runs with V8\'s logging flags in a working folder of its own, or, for an absolute --logfile, without them', () => {
    expect(producerLaunch(['--max-old-space-size=100'])).toEqual({ execArgv: ['--max-old-space-size=100'], privateCwd: false });
    expect(producerLaunch(['--prof'])).toEqual({ execArgv: ['--prof'], privateCwd: true });
    expect(producerLaunch(['--prof', '--no-logfile-per-isolate'])).toEqual({ execArgv: ['--prof', '--no-logfile-per-isolate'], privateCwd: true });
    expect(producerLaunch(['--logfile=profile.log', '--prof'])).toEqual({ execArgv: ['--logfile=profile.log', '--prof'], privateCwd: true });
    expect(producerLaunch(['--prof', '--logfile=/var/log/app.log', '--stack-size=900'])).toEqual({ execArgv: ['--stack-size=900'], privateCwd: false });
    expect(producerLaunch(['--log_all', '--logfile', '/var/log/app.log', '--no-logfile-per-isolate', '--stack-size=900'])).toEqual({ execArgv: ['--stack-size=900'], privateCwd: false });
  });

  it('with --prof --no-logfile-per-isolate (one v8.log), the producer writes nothing into the application\'s log, and leaves no folder of its own', async () => {
    const work = tempDir('engine-prof-one-');
    const wasm = wasmFile(work, 150);
    const cacheDir = join(work, 'cache');
    const cwd = join(work, 'cwd');
    mkdirSync(cwd);
    const before = new Set(readdirSync(tmpdir()).filter((name) => name.startsWith('wasm-cache-producer-')));
    const { stdout } = await run(['--prof', '--no-logfile-per-isolate', childScript, cacheDir, wasm.path, '--idle'], { cwd });
    expect((JSON.parse(stdout) as ChildReport).stats).toMatchObject({ misses: 1, artifactsProduced: 1, producerFailures: 0 });
    // (The producer used to open this same v8.log, truncating it, and write into it from its start.)
    expect(readdirSync(cwd)).toEqual(['v8.log']);
    expect(readdirSync(tmpdir()).filter((name) => name.startsWith('wasm-cache-producer-') && !before.has(name))).toEqual([]);
  });
});
