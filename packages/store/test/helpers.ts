import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CacheConfig } from '@cache/config';
import { nodeFs, type FsFileHandle, type FsLayer } from '../src/index.js';
import { READ_FLAGS } from '../src/disk/fs-layer.js';

/** A fresh temp directory, removed by the returned function. */
export function tempDirectory(prefix = 'store-'): { path: string; remove: () => void } {
  const directory = mkdtempSync(path.join(tmpdir(), prefix));
  return { path: directory, remove: () => rmSync(directory, { recursive: true, force: true }) };
}

/** A valid config for `directory` with a long cleanup interval. */
export function configFor(directory: string): CacheConfig {
  return CacheConfig.default().withDirectory(directory);
}

/** Eviction limits for {@link limitedConfigFor}: a count of entries, bytes, and the percent of them kept when deleting. */
export interface EvictionLimits {
  entries?: number;
  bytes?: number;
  percent?: number;
}

/**
 * A config for `directory` with these limits (the ones not given: practically
 * unlimited; 70% kept when deleting) and a cleanup interval of an hour.
 */
export function limitedConfigFor(directory: string, limits: EvictionLimits = {}): CacheConfig {
  return configFor(directory)
    .withFileCountSoftLimit(limits.entries ?? 1_000_000)
    .withCapacity(limits.bytes ?? 1024 * 1024 * 1024)
    .withFileCountLimitPercentIfDeleting(limits.percent ?? 70)
    .withFilesTotalSizeLimitPercentIfDeleting(limits.percent ?? 70)
    .withCleanupInterval('1h');
}

/** Deterministic bytes. */
export function pseudoRandom(size: number, seed: string): Buffer {
  const out = Buffer.alloc(size);
  let block = createHash('sha256').update(seed).digest();
  for (let offset = 0; offset < size; offset += block.length) {
    block.copy(out, offset, 0, Math.min(block.length, size - offset));
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

/** A settable clock. */
export function manualClock(start = 1_700_000_000_000): { now: () => number; set: (t: number) => void; advance: (ms: number) => void } {
  let time = start;
  return { now: () => time, set: (t) => (time = t), advance: (ms) => (time += ms) };
}

/** Which calls an injected fault applies to. */
export type FaultTarget = 'open-read' | 'open-write' | 'read' | 'write' | 'rename' | 'unlink' | 'mkdir' | 'readdir' | 'stat' | 'lstat';

/** An fs layer that throws `code` for the targeted calls while a fault is set. */
export function faultyFs(base: FsLayer = nodeFs): { fs: FsLayer; set: (code: string, targets: FaultTarget[]) => void; clear: () => void; calls: Record<string, number> } {
  let fault: { code: string; targets: Set<FaultTarget> } | undefined;
  const calls: Record<string, number> = {};
  const maybeThrow = (target: FaultTarget, file: string): void => {
    calls[target] = (calls[target] ?? 0) + 1;
    if (fault?.targets.has(target)) throw Object.assign(new Error(`${fault.code}: injected fault, ${target} '${file}'`), { code: fault.code, path: file });
  };
  const wrapHandle = (handle: FsFileHandle, file: string): FsFileHandle => ({
    readFile: () => handle.readFile(),
    read: async (buffer, offset, length, position) => {
      maybeThrow('read', file);
      return handle.read(buffer, offset, length, position);
    },
    write: async (buffer, offset, length) => {
      maybeThrow('write', file);
      return handle.write(buffer, offset, length);
    },
    stat: () => handle.stat(),
    utimes: (a, m) => handle.utimes(a, m),
    close: () => handle.close(),
  });
  const fs: FsLayer = {
    open: async (file, flags, mode) => {
      maybeThrow(flags === 'r' || flags === READ_FLAGS ? 'open-read' : 'open-write', file);
      return wrapHandle(await base.open(file, flags, mode), file);
    },
    rename: async (from, to) => {
      maybeThrow('rename', to);
      return base.rename(from, to);
    },
    link: async (existing, newPath) => {
      maybeThrow('rename', newPath);
      return base.link(existing, newPath);
    },
    unlink: async (file) => {
      maybeThrow('unlink', file);
      return base.unlink(file);
    },
    mkdir: async (file, options) => {
      maybeThrow('mkdir', file);
      return base.mkdir(file, options);
    },
    readdir: async (file) => {
      maybeThrow('readdir', file);
      return base.readdir(file);
    },
    stat: async (file) => {
      maybeThrow('stat', file);
      return base.stat(file);
    },
    lstat: async (file) => {
      maybeThrow('lstat', file);
      return base.lstat(file);
    },
  };
  return { fs, set: (code, targets) => (fault = { code, targets: new Set(targets) }), clear: () => (fault = undefined), calls };
}

/** Collects process warnings emitted while `body` runs (and one macrotask after). */
export async function captureWarnings<T>(body: () => Promise<T>): Promise<{ result: T; warnings: Error[] }> {
  const warnings: Error[] = [];
  const listener = (warning: Error): void => {
    warnings.push(warning);
  };
  process.on('warning', listener);
  try {
    const result = await body();
    await new Promise((resolve) => setImmediate(resolve));
    return { result, warnings };
  } finally {
    process.off('warning', listener);
  }
}

/** Every file under `directory`, relative, sorted. */
export function listFiles(directory: string): string[] {
  return readdirSync(directory, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(directory, path.join(entry.parentPath, entry.name)))
    .sort();
}

/** The pid of a process that has ended: a Node process started and waited for (a pid the tests treat as dead). */
export function endedProcessPid(): number {
  return Number(execFileSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }));
}
