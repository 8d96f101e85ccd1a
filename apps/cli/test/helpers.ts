import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const bin = join(import.meta.dirname, '..', 'dist', 'bin.js');

/** What a run of the built binary did. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built `wasm-cache` binary as a subprocess (no colour, no TTY); as
 * another user when `as` is given (needs root); in the folder `cwd` when given.
 */
export function cli(args: string[], env: Record<string, string | undefined> = {}, as?: { uid: number; gid: number }, cwd?: string): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', XDG_CONFIG_HOME: '/nonexistent-config-home', ...env }, maxBuffer: 1 << 24, ...(as ?? {}), ...(cwd ? { cwd } : {}) },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes `bytes` to `name` in `dir` and gives the file's path. */
export function writeIn(dir: string, name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}
