import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { lastJson, runWorker, scratch, sleep, writeModules } from './children.js';
import { Figures } from './figures.js';

interface FaultReport {
  outcomes: string[];
  hostErrors: number;
  wrong: number;
  heldFds: number;
}

function mount(args: string[]): boolean {
  try {
    execFileSync('mount', args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Faults: the host keeps compiling and running while the cache cannot work,
 * and the cache recovers when the fault clears. A disk that is full and a
 * read-only file system are real (a tmpfs, where this process may mount one);
 * the directory is removed under a running engine; file descriptors are
 * exhausted in the process.
 */
export async function faults(): Promise<Figures> {
  const figures = new Figures('faults');
  const work = scratch('faults');
  const [small, big] = writeModules(work, [150, 2500]) as [string, string];
  let hostErrors = 0;
  let wrong = 0;
  let crashed = 0;
  let scenarios = 0;
  /** The fault scenarios after which no later process loaded from the cache. */
  const unrecovered: string[] = [];
  /**
   * Recovery: once the fault has cleared, a later process loads from the cache. A producer started
   * during the fault may still hold its lock for a while, and a producer is slow on a loaded machine,
   * so this keeps starting fresh processes (each waiting for its own production) for 30 seconds, and
   * at least 6 of them, before recording the scenario as not recovered.
   */
  const expectRecovery = async (scenario: string, dir: string, wasm: string): Promise<void> => {
    const deadline = performance.now() + 30_000;
    for (let attempt = 0; attempt < 6 || performance.now() < deadline; attempt += 1) {
      const report = await run([dir, wasm, 'none', '--idle']);
      if (report?.outcomes.includes('hit')) return;
      await sleep(500);
    }
    unrecovered.push(scenario);
  };
  const run = async (args: string[], options: { shellPrefix?: string } = {}): Promise<FaultReport | undefined> => {
    const result = await runWorker('fault-run.mjs', args, { timeoutMs: 120_000, ...options });
    const report = lastJson<FaultReport>(result.stdout);
    if (result.signal || result.code !== 0 || !report) crashed += 1;
    else {
      hostErrors += report.hostErrors;
      wrong += report.wrong;
    }
    return report;
  };

  // Disk full and read-only, on a real 1 MiB tmpfs (root only; skipped, and said, where mount is refused).
  const mnt = join(work, 'tmpfs');
  mkdirSync(mnt);
  if (mount(['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt])) {
    try {
      scenarios += 1;
      await run([join(mnt, 'cache'), big, 'none', '--idle']); // the artifact does not fit: ENOSPC
      mount(['-o', 'remount,size=64m', mnt]);
      await expectRecovery('disk full', join(mnt, 'cache'), big);

      scenarios += 1;
      mount(['-o', 'remount,ro', mnt]);
      await run([join(mnt, 'cache-ro'), small, 'none', '--idle']);
      mount(['-o', 'remount,rw', mnt]);
      await expectRecovery('read-only', join(mnt, 'cache-ro'), small);
    } finally {
      mount(['-o', 'remount,rw', mnt]);
      try {
        execFileSync('umount', [mnt], { stdio: 'ignore' });
      } catch {}
    }
  } else {
    figures.count('tmpfs scenarios skipped (mount not permitted here)', 2);
  }

  // The cache directory removed while the engine runs.
  scenarios += 1;
  const removed = join(work, 'removed');
  await run([removed, small, 'remove-dir', '--idle']);
  await expectRecovery('directory removed', removed, small);

  // File descriptors exhausted inside the process (a low limit, then every descriptor taken).
  scenarios += 1;
  const fds = join(work, 'fds');
  const exhausted = await run([fds, small, 'exhaust-fds', '--idle'], { shellPrefix: 'ulimit -n 256;' });
  figures.count('descriptors held to exhaust the limit', exhausted?.heldFds ?? -1);
  await expectRecovery('descriptors exhausted', fds, small);

  figures.count('fault scenarios', scenarios);
  figures.require('errors thrown to the host', hostErrors, 0);
  figures.require('wrong results', wrong, 0);
  figures.require('processes crashed', crashed, 0);
  figures.require('scenarios where the cache did not recover', unrecovered.length, 0);
  if (unrecovered.length > 0) console.error(`faults: no recovery after: ${unrecovered.join(', ')}`);
  return figures;
}
