import type { ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProducerError } from '../errors/engine-errors.js';
import { makeDirectorySync } from '@cache/store';
import { nodeBuiltin } from '../node/node-builtin.js';
import { sweepAbandonedJobs } from './abandoned-jobs.js';
import { PRODUCER_CWD_PREFIX, PRODUCER_DEADLINE_ENV, PRODUCER_ENV, PRODUCER_PRIVATE_CWD_ENV, type DeliveryJob, type ProducerJob, type ProducerReply } from './producer-protocol.js';

const { existsSync, mkdtempSync, rmSync, writeFileSync } = nodeBuiltin<typeof import('node:fs')>('node:fs');

/**
 * `node:child_process`, loaded on the first producer start: only a miss needs it,
 * and loading it (with `net` and `stream`) costs every process about 3 ms of start-up.
 */
function childProcess(): typeof import('node:child_process') {
  return createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
}

/** The built producer entry, found from this file whether it runs from `src/` or `dist/`. */
function producerPath(): string {
  let folder = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 4; depth += 1) {
    if (existsSync(join(folder, 'package.json'))) return join(folder, 'dist', 'producer.js');
    folder = dirname(folder);
  }
  return join(dirname(fileURLToPath(import.meta.url)), 'producer.js');
}

/**
 * Flags that decide what a process runs (code, hooks, modes, a startup
 * snapshot whose main function is the application), with the ones that take
 * a value. `--prof` is not one: it is in V8's flag hash (see
 * {@link producerLaunch} for where the producer's profile goes).
 */
const DROPPED_WITH_VALUE = new Set([
  '-e',
  '--eval',
  '-p',
  '--print',
  '-pe',
  '--input-type',
  '--experimental-default-type',
  '--import',
  '-r',
  '--require',
  '--loader',
  '--experimental-loader',
  '--watch-path',
  '--env-file',
  '--env-file-if-exists',
  '--run',
  '--test-name-pattern',
  '--test-reporter',
  '--test-reporter-destination',
  '--snapshot-blob',
  '--build-snapshot-config',
  '--experimental-sea-config',
  '--build-sea',
  '--experimental-config-file',
]);
const DROPPED = new Set([
  '-i',
  '--interactive',
  '-c',
  '--check',
  '--watch',
  '--watch-preserve-output',
  '--test',
  '--test-only',
  '--build-snapshot',
  '--entry-url',
  '--prof-process',
  '--experimental-default-config-file',
]);
const DROPPED_PREFIXES = ['--inspect', '--debug', '--cpu-prof', '--heap-prof', '--test-', '--watch-'];

/** An option's name as Node reads it: without its `=value`, and with `-` for `_` (`--snapshot_blob`). */
function optionName(arg: string): string {
  return (arg.includes('=') ? arg.slice(0, arg.indexOf('=')) : arg).replace(/(?<=^--.*)_/g, '-');
}

/** V8's logging flags (`--prof`, `--log…`, `--logfile…`), by name: in V8's flag hash, so the producer keeps them. */
function isV8LogFlag(name: string): boolean {
  return /^--(?:no-?)?(?:prof|log|logfile)(?:-.*)?$/.test(name);
}

/**
 * How a producer is started so that it carries the application's V8 flags
 * (its code must carry the same flag hash) but writes nothing into the
 * application's V8 logs: with V8's logging flags it runs in a working folder
 * of its own, where V8 writes its logs (by default `isolate-…-<pid>-v8.log`,
 * or one `v8.log` with `--no-logfile-per-isolate`, which would otherwise be
 * the application's own file, truncated), removed as it exits. A log file
 * named by an absolute `--logfile` cannot be moved so: the logging flags are
 * then dropped, and the producer's code does not match (the full tier is off
 * in such a process, as it was before).
 */
export function producerLaunch(execArgv: readonly string[] = producerExecArgv()): { execArgv: string[]; privateCwd: boolean } {
  if (!execArgv.some((arg) => isV8LogFlag(optionName(arg)))) return { execArgv: [...execArgv], privateCwd: false };
  const logfile = execArgv.reduce<string | undefined>((found, arg, i) => {
    if (optionName(arg) !== '--logfile') return found;
    return arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : execArgv[i + 1];
  }, undefined);
  if (logfile === undefined || !isAbsolute(logfile)) return { execArgv: [...execArgv], privateCwd: true };
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i += 1) {
    const arg = execArgv[i] as string;
    if (!isV8LogFlag(optionName(arg))) kept.push(arg);
    else if (optionName(arg) === '--logfile' && !arg.includes('=')) i += 1; // its value
  }
  return { execArgv: kept, privateCwd: false };
}

/**
 * The arguments in a `NODE_OPTIONS` value, split as Node splits them: at
 * spaces, except inside double quotes, where a backslash escapes the next
 * character.
 */
export function nodeOptionsArgs(value: string): string[] {
  const args: string[] = [];
  let current = '';
  let started = false;
  let quoted = false;
  for (let i = 0; i < value.length; i += 1) {
    const char = value[i] as string;
    if (quoted && char === '\\' && i + 1 < value.length) {
      current += value[(i += 1)];
    } else if (char === '"') {
      quoted = !quoted;
      started = true;
    } else if (char === ' ' && !quoted) {
      if (started) args.push(current);
      current = '';
      started = false;
    } else {
      current += char;
      started = true;
    }
  }
  if (started) args.push(current);
  return args;
}

/**
 * The flags a producer inherits: this process's runtime and V8 flags, from
 * its command line and from `NODE_OPTIONS` (they are in V8's flag hash, so the
 * producer's code must carry the same: `--max-old-space-size` in
 * `NODE_OPTIONS` alone made every full artifact of such a process unusable),
 * but nothing that decides what a process runs: `-e`/`-p` code,
 * `--input-type`, `--import`/`--require` hooks (the register hook would route
 * the producer's compile through a cache), loaders, watch and test modes,
 * inspectors, a startup snapshot (`--snapshot-blob`: Node would run its main
 * function, the application, instead of the producer), snapshot and SEA
 * builds. The producer itself runs with an empty `NODE_OPTIONS`.
 */
export function producerExecArgv(execArgv: readonly string[] = [...nodeOptionsArgs(process.env['NODE_OPTIONS'] ?? ''), ...process.execArgv]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i += 1) {
    const arg = execArgv[i] as string;
    const name = optionName(arg);
    if (DROPPED_WITH_VALUE.has(name)) {
      if (!arg.includes('=')) i += 1; // its value is the next argument
      continue;
    }
    if (DROPPED.has(name) || DROPPED_PREFIXES.some((prefix) => name.startsWith(prefix))) {
      // A value given as the next argument (`--inspect-port 9231`, `--test-shard 1/2`) goes with it: every
      // item of these lists is an option or an option's value, so one not starting with '-' is a value.
      const next = execArgv[i + 1];
      if (!arg.includes('=') && next !== undefined && !next.startsWith('-')) i += 1;
      continue;
    }
    kept.push(arg);
  }
  return kept;
}

/** A running producer and what it will answer. */
export interface ProducerHandle {
  readonly child: ChildProcess;
  /** Resolves once the job has been written to the producer: only then may this process exit. */
  readonly sent: Promise<void>;
  readonly result: Promise<ProducerReply>;
}

/**
 * Starts a producer process for one module and sends it the job (or, for a
 * `deliver` job, an artifact this process made, to write through the store). The child
 * inherits this process's V8 flags (so its code carries the same flag hash) but
 * not its `--import`/`--require` hooks, and it is unref'd: it never keeps this
 * process alive, and with a `store` delivery it finishes its work even after
 * this process has exited. It is killed after `timeoutMs`, and gives up by
 * itself then when this process is gone (see `PRODUCER_DEADLINE_ENV`).
 */
export function startProducer(job: ProducerJob | DeliveryJob, timeoutMs: number, options: { jobFile?: string; env?: Readonly<Record<string, string>> } = {}): ProducerHandle {
  const path = producerPath();
  const detached = job.delivery.kind === 'store';
  // A detached producer gets its job from a file, not over IPC: this process may exit before a
  // freshly started child has read its channel, and a child whose channel is already closed at
  // start-up never receives what was sent.
  const jobFile = options.jobFile ?? (detached && job.delivery.kind === 'store' && job.delivery.lockPath ? `${job.delivery.lockPath}.job` : undefined);
  if (jobFile) {
    sweepAbandonedJobs(dirname(jobFile), timeoutMs);
    makeDirectorySync(dirname(jobFile));
    try {
      writeFileSync(jobFile, nodeBuiltin<typeof import('node:v8')>('node:v8').serialize(job));
    } catch (error) {
      // A part written (a full disk) would stay: nothing reads or removes a job no producer was started for.
      try {
        rmSync(jobFile, { force: true });
      } catch {
        // Not a file (a folder in its place): nothing of ours to remove.
      }
      throw error;
    }
  }
  const launch = producerLaunch();
  // (node:os only then: a hit loads nothing it does not need.)
  const cwd = launch.privateCwd ? mkdtempSync(join(nodeBuiltin<typeof import('node:os')>('node:os').tmpdir(), PRODUCER_CWD_PREFIX)) : undefined;
  let child: ChildProcess;
  try {
    child = childProcess().fork(path, jobFile ? [jobFile] : [], {
      execArgv: launch.execArgv,
      // The producer keeps to the timeout itself: a detached one outlives the timer below, set in this process.
      env: {
        ...process.env,
        ...options.env,
        [PRODUCER_ENV]: '1',
        [PRODUCER_DEADLINE_ENV]: String(Date.now() + timeoutMs),
        ...(cwd === undefined ? {} : { [PRODUCER_PRIVATE_CWD_ENV]: '1' }),
        NODE_OPTIONS: '',
      },
      ...(cwd === undefined ? {} : { cwd }),
      serialization: 'advanced',
      // A detached producer may outlive this process: its stderr must not be a pipe to us.
      stdio: ['ignore', 'ignore', detached ? 'ignore' : 'pipe', 'ipc'],
      detached,
    });
  } catch (error) {
    if (cwd !== undefined) rmSync(cwd, { recursive: true, force: true });
    throw error;
  }
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    if (stderr.length < 4000) stderr += chunk;
  });
  const result = new Promise<ProducerReply>((resolve, reject) => {
    let answer: ProducerReply | undefined;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new ProducerError(`the producer did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    timer.unref();
    child.on('message', (message: ProducerReply) => {
      answer = message;
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new ProducerError(`could not start the producer (${path}): ${error.message}`, { cause: error }));
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (answer?.type === 'error') reject(new ProducerError(`the producer failed: ${answer.message}`, answer.header === undefined ? {} : { producerHeader: answer.header }));
      else if (answer) resolve(answer);
      else reject(new ProducerError(`the producer exited (${signal ?? `code ${code}`}) without an answer${stderr ? `: ${stderr.trim()}` : ''}`));
    });
  });
  const sent = jobFile
    ? Promise.resolve()
    : new Promise<void>((resolve) => {
        child.send(job, undefined, {}, () => resolve());
      });
  child.unref();
  (child.channel as { unref?: () => void } | undefined)?.unref?.();
  (child.stderr as { unref?: () => void } | null)?.unref?.();
  return { child, sent, result };
}
