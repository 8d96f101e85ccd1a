import { join } from 'node:path';
import { lastJson, runWorker, scratch, writeModules } from './children.js';
import { Figures } from './figures.js';

interface WorkerReport {
  operations: number;
  errors: number;
  damagedReads: number;
  compiles: number;
  wrongResults: number;
  clears: number;
  cleanups: number;
  lostWrites: number;
  produced: number;
  hits: number;
}

/**
 * Concurrency: `processes` processes on one directory for `seconds`, mixing
 * compile, get, put, evict (forced cleanup), verify and clear.
 */
export async function concurrency(processes: number, seconds: number): Promise<Figures> {
  const figures = new Figures('concurrency');
  const work = scratch('concurrency');
  const modules = writeModules(work, [150, 160, 170]);
  const dir = join(work, 'cache');
  const runs = await Promise.all(
    Array.from({ length: processes }, (_, id) => runWorker('concurrency-worker.mjs', [dir, String(id), String(seconds), ...modules], { timeoutMs: seconds * 1000 + 120_000 })),
  );
  const reports = runs.map((run) => lastJson<WorkerReport>(run.stdout));
  const sum = (field: keyof WorkerReport) => reports.reduce((total, r) => total + (r?.[field] ?? 0), 0);
  figures.count('processes', processes);
  figures.count('seconds', seconds);
  figures.count('operations', sum('operations'));
  figures.count('compiles', sum('compiles'));
  figures.count('loads from the cache', sum('hits'));
  figures.count('forced cleanups', sum('cleanups'));
  figures.count('clears', sum('clears'));
  figures.require('processes that crashed or hung', runs.filter((r) => r.timedOut || r.signal !== null || r.code !== 0).length, 0);
  figures.require('errors thrown to the caller', sum('errors'), 0);
  figures.require('damaged reads', sum('damagedReads'), 0);
  figures.require('wrong results', sum('wrongResults'), 0);
  figures.require('lost writes', sum('lostWrites'), 0);
  figures.require('duplicate compilations (artifacts produced beyond one per module)', Math.max(0, sum('produced') - modules.length), 0);
  return figures;
}
