import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWasmModule } from '@cache/wasm-fixtures';

/** A worker script of this suite (plain ESM, importing the built packages). */
export function workerPath(name: string): string {
  return fileURLToPath(new URL(`../workers/${name}`, import.meta.url));
}

/** How a child process ended. */
export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs a worker to completion (killed after `timeoutMs`, which counts as a hang). */
export function runWorker(name: string, args: string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv; shellPrefix?: string } = {}): Promise<ChildResult> {
  return new Promise((resolve) => {
    const child = options.shellPrefix
      ? spawn('bash', ['-c', `${options.shellPrefix} exec "$0" "$@"`, process.execPath, workerPath(name), ...args], { env: { ...process.env, ...options.env } })
      : spawn(process.execPath, [workerPath(name), ...args], { env: { ...process.env, ...options.env } });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 60_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** Starts a worker and returns it (for killing at random moments). */
export function startWorker(name: string, args: string[]): ChildProcess {
  return spawn(process.execPath, [workerPath(name), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The last JSON line a worker printed. */
export function lastJson<T>(output: string): T | undefined {
  const line = output.trim().split('\n').reverse().find((l) => l.startsWith('{'));
  return line ? (JSON.parse(line) as T) : undefined;
}

/** A fresh scratch folder. */
export function scratch(name: string): string {
  return mkdtempSync(join(tmpdir(), `torture-${name}-`));
}

/** Writes generated wasm modules into `dir`; returns their paths. */
export function writeModules(dir: string, sizes: readonly number[]): string[] {
  return sizes.map((functions, i) => {
    const path = join(dir, `module-${i}.wasm`);
    writeFileSync(path, buildWasmModule({ functions }));
    return path;
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
