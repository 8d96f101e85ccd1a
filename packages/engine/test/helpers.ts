import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildWasmModule } from '@cache/wasm-fixtures';
import type { EngineStats } from '../src/index.js';

export const childScript = join(import.meta.dirname, 'fixtures', 'engine-child.mjs');

/** What engine-child.mjs reports. */
export interface ChildReport {
  ms: number;
  serializedAfterLoad: number;
  result: number;
  stats: EngineStats;
  outcomes: string[];
  node: string;
  /** What the child wrote to stderr (warnings). */
  stderr: string;
}

/** A fresh temporary folder. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes a generated module to a file; returns its path and bytes. */
export function wasmFile(dir: string, functions = 200, name = 'module.wasm'): { path: string; bytes: Uint8Array } {
  const bytes = buildWasmModule({ functions });
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return { path, bytes };
}

/** Runs engine-child.mjs with a node binary; rejects with stderr when it fails or is killed. */
export function runChild(node: string, args: string[], nodeFlags: string[] = [], env: NodeJS.ProcessEnv = process.env): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    execFile(node, [...nodeFlags, childScript, ...args], { encoding: 'utf8', maxBuffer: 1 << 24, env }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`child failed (${error.signal ?? error.code}): ${stderr}`));
      resolve({ ...(JSON.parse(stdout) as Omit<ChildReport, 'stderr'>), stderr });
    });
  });
}

/** Node binaries to prove the cache on: this one plus CACHE_TEST_NODE_BINARIES. */
export const nodeBinaries = [process.execPath, ...(process.env.CACHE_TEST_NODE_BINARIES ?? '').split(':').filter((p) => p !== '')];

/** Runs a fixture with plain Node from this package's folder; resolves its stdout, rejects with its stderr. */
export function runPlain(fixture: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [fixture, ...args], { cwd: join(import.meta.dirname, '..'), encoding: 'utf8' }, (error, stdout, stderr) => (error ? reject(new Error(stderr)) : resolve(stdout)));
  });
}

/**
 * Runs a fixture under `@cache/engine/register` (through `--import`, or
 * `NODE_OPTIONS`) from this package's folder, with `env` over this process's
 * environment; resolves its stdout and stderr, rejects with its stderr.
 */
export function runUnderHook(fixture: string, args: string[], env: Record<string, string>, useNodeOptions = false): Promise<{ stdout: string; stderr: string }> {
  const hook = ['--import', '@cache/engine/register'];
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      useNodeOptions ? [fixture, ...args] : [...hook, fixture, ...args],
      { cwd: join(import.meta.dirname, '..'), encoding: 'utf8', env: { ...process.env, ...env, ...(useNodeOptions ? { NODE_OPTIONS: hook.join(' ') } : {}) } },
      (error, stdout, stderr) => (error ? reject(new Error(stderr)) : resolve({ stdout, stderr })),
    );
  });
}

/** Polls `check` every 100 ms until it holds or `timeoutMs` has passed; resolves whether it held. */
export async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return check();
}

/** Every entry file of a disk cache (any namespace). */
export function entryFiles(cacheDir: string): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const item of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, item.name);
      if (item.isDirectory()) walk(path);
      else if (item.name.endsWith('.entry')) found.push(path);
    }
  };
  if (existsSync(cacheDir)) walk(cacheDir);
  return found;
}
