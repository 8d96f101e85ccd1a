import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { lastJson, runWorker, scratch, sleep, writeModules } from './children.js';
import { Figures } from './figures.js';

interface RedisReport {
  operations: number;
  errors: number;
  damagedReads: number;
  wrongResults: number;
  outcomes: string[];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** A redis-server of this run's own, on loopback. */
async function startRedis(port: number, dir: string): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  for (let i = 0; i < 300; i += 1) {
    if (spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout?.trim() === 'PONG') return child;
    await sleep(20);
  }
  throw new Error('redis-server did not start');
}

/**
 * The shared Redis tier: `processes` "machines" (each with its own disk)
 * mixing compiles, puts and gets through memory → disk → signed Redis for
 * `seconds`; then faults: Redis frozen (SIGSTOP), killed, and back.
 */
export async function redisTier(processes: number, seconds: number): Promise<Figures> {
  const figures = new Figures('redis tier');
  if (spawnSync('redis-server', ['--version']).error) {
    figures.count('skipped: redis-server is not installed', 1);
    return figures;
  }
  const work = scratch('redis');
  const port = await freePort();
  let server = await startRedis(port, work);
  const url = `redis://127.0.0.1:${port}`;
  const modules = writeModules(work, [150, 160]);
  try {
    const runs = await Promise.all(
      Array.from({ length: processes }, (_, id) => runWorker('redis-worker.mjs', [url, join(work, `machine-${id}`), String(seconds), ...modules], { timeoutMs: seconds * 1000 + 120_000 })),
    );
    const reports = runs.map((run) => lastJson<RedisReport>(run.stdout));
    const sum = (field: 'operations' | 'errors' | 'damagedReads' | 'wrongResults') => reports.reduce((total, r) => total + (r?.[field] ?? 0), 0);
    figures.count('machines sharing one Redis', processes);
    figures.count('operations', sum('operations'));
    figures.require('processes that crashed or hung', runs.filter((r) => r.timedOut || r.signal !== null || r.code !== 0).length, 0);
    figures.require('errors thrown to the caller', sum('errors'), 0);
    figures.require('damaged reads', sum('damagedReads'), 0);
    figures.require('wrong results', sum('wrongResults'), 0);

    // Faults, each with a fresh local disk so only Redis can serve a hit.
    let hostErrors = 0;
    let crashed = 0;
    const machine = async (name: string) => {
      const run = await runWorker('redis-worker.mjs', [url, join(work, name), '0', ...modules], { timeoutMs: 120_000 });
      const report = lastJson<RedisReport>(run.stdout);
      if (run.signal || run.code !== 0 || !report) crashed += 1;
      else hostErrors += report.errors + report.wrongResults;
      return report;
    };
    server.kill('SIGSTOP');
    await machine('frozen'); // Redis paused: commands time out; the host compiles locally
    server.kill('SIGCONT');
    const afterPause = await machine('after-pause');
    server.kill('SIGKILL');
    await sleep(100);
    await machine('down'); // Redis gone: the host compiles locally
    server = await startRedis(port, work);
    await machine('producer'); // fills Redis again
    const afterRestart = await machine('after-restart');
    figures.count('fault scenarios (paused, killed and restarted)', 2);
    figures.require('errors or wrong results in the host during Redis faults', hostErrors, 0);
    figures.require('processes crashed during Redis faults', crashed, 0);
    figures.require('machines that did not load from Redis once it was back', [afterPause, afterRestart].filter((r) => !r?.outcomes.every((o) => o === 'hit')).length, 0);
  } finally {
    server.kill('SIGCONT');
    server.kill('SIGKILL');
  }
  return figures;
}
