import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CacheConfig } from '@cache/config';
import { readDirectoryStats, type StatsCounters } from '@cache/store';
import { addonStatus } from '@cache/v8';
import { flagDirectory } from '../context/cli-config.js';
import { CliError } from '../errors/cli-error.js';
import { counted } from '../output/plural.js';
import { startProgress } from '../output/progress.js';
import { formatBytes, formatMs, out, table } from '../output/style.js';
import { engineFor } from './engine-for.js';

const workload = fileURLToPath(new URL('../demo/esbuild-workload.mjs', import.meta.url));
const engineLoad = fileURLToPath(new URL('../demo/engine-load.mjs', import.meta.url));

interface EngineLoadReport {
  ms: number;
  hit: boolean;
  bytesLoaded: number;
  timeSavedMs: number;
}

interface WorkloadReport {
  firstResultMs: number;
  restMs: number;
  bytes: number;
  wasmPath: string;
}

function runScript<T>(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<T> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [script, ...args], { env, encoding: 'utf8', maxBuffer: 1 << 24 }, (error, stdout, stderr) => {
      if (error) reject(new CliError(`the demo step failed: ${stderr.trim() || error.message}`));
      else resolve(JSON.parse(stdout) as T);
    });
  });
}

const runWorkload = (env: NodeJS.ProcessEnv) => runScript<WorkloadReport>(workload, [], env);

/** Options of `demo`. */
export interface DemoOptions {
  /** Use this cache directory (kept) instead of a temporary one (removed); a relative one is below the current folder. */
  dir?: string;
  json?: boolean;
}

/**
 * The README's main command: esbuild-wasm (a real 14 MB module from npm)
 * transforms TypeScript in fresh processes: without the cache, with an empty
 * cache (compiled cold; optimized code produced in the background), and with
 * the cache filled. Prints the timings side by side and the cache statistics.
 */
export async function runDemo(options: DemoOptions): Promise<void> {
  // Without the addon nothing is cached: the demo would wait minutes for optimized code that never comes.
  const addon = addonStatus();
  if (!addon.available) {
    throw new CliError(
      `the demo needs @cache/v8's native addon, which cannot be used here (${addon.code}): ${addon.reason} (node-gyp builds it at install, with a C++20 compiler, make and Python 3)`,
    );
  }
  // Absolute: the configuration takes no other, and the demo's child processes are handed it.
  const directory = options.dir === undefined ? mkdtempSync(join(tmpdir(), 'wasm-cache-demo-')) : flagDirectory(options.dir);
  const log = (line: string) => {
    if (!options.json) console.log(line);
  };
  try {
    const base = { ...process.env, WASM_CACHE_DIRECTORY: directory, NODE_OPTIONS: '' };
    log(`Cache directory: ${directory}\n`);
    log('1. Fresh process, plain Node (no cache): esbuild-wasm compiles its module lazily, optimizes while it runs.');
    const plain = await runWorkload({ ...base, DEMO_USE_CACHE: '0' });
    log(`   first result ${formatMs(plain.firstResultMs)}, then 10 transforms in ${formatMs(plain.restMs)}\n`);

    log('2. Fresh process with the cache, which is empty: compiled as usual; the code V8 optimizes while it runs is saved.');
    const cold = await runWorkload({ ...base, DEMO_USE_CACHE: '1' });
    log(`   first result ${formatMs(cold.firstResultMs)}, then 10 transforms in ${formatMs(cold.restMs)}`);
    const engine = engineFor(CacheConfig.default().withDirectory(directory));
    const wasmBytes = readFileSync(cold.wasmPath);
    const progress = startProgress('waiting for the saved optimized code');
    const waitStarted = performance.now();
    while (!(await engine.isCached(wasmBytes))) {
      if (performance.now() - waitStarted > 180_000) throw new CliError('no optimized code was saved within 3 minutes');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    progress.stop();
    await engine.close();
    log(`   optimized code stored (${formatMs(performance.now() - waitStarted)} after the process ended)\n`);

    log('3. Fresh process with the cache filled: V8 loads its saved optimized code.');
    const cached = await runWorkload({ ...base, DEMO_USE_CACHE: '1' });
    log(`   first result ${formatMs(cached.firstResultMs)}, then 10 transforms in ${formatMs(cached.restMs)}\n`);

    log("4. The cache's own view: a fresh process compiles esbuild's module through the engine API.");
    const load = await runScript<EngineLoadReport>(engineLoad, [directory, cold.wasmPath], base);
    log(
      load.hit
        ? // A hot artifact saves V8's tier-up while the program runs, not compile time: say a saving only when there is one.
          `   loaded ${formatBytes(load.bytesLoaded)} of V8's optimized code from the cache in ${formatMs(load.ms)}${load.timeSavedMs > 0 ? ` (about ${formatMs(load.timeSavedMs)} of optimizing compile saved)` : ''}\n`
        : `   compiled in ${formatMs(load.ms)}: not from the cache\n`,
    );

    // esbuild stops its service process with a signal, so that process's own counters may not reach
    // the directory; step 4's do.
    const stats = await readDirectoryStats(directory);
    const report = { directory, plain, cold, cached, artifactStored: true, load, store: stats.total };
    if (options.json) {
      console.log(JSON.stringify(report, null, 2));
      return;
    }
    const ratio = (a: number, b: number) => `${(a / b).toFixed(1)}x`;
    console.log(
      table([
        ['', 'first result', '10 more transforms'].map((h) => out.bold(h)),
        ['plain Node', formatMs(plain.firstResultMs), formatMs(plain.restMs)],
        ['cache, cold', formatMs(cold.firstResultMs), formatMs(cold.restMs)],
        ['cache, filled', out.green(formatMs(cached.firstResultMs)), out.green(formatMs(cached.restMs))],
        ['speed-up', ratio(plain.firstResultMs, cached.firstResultMs), ratio(plain.restMs, cached.restMs)],
      ]),
    );
    console.log(`\n${statisticsLine(stats.total)}`);
  } finally {
    if (!options.dir) rmSync(directory, { recursive: true, force: true });
  }
}

/** The demo's last line: the cache directory's counters, each noun singular for exactly one. */
export function statisticsLine(t: StatsCounters): string {
  const counts = [counted(t.hits, 'hit'), counted(t.misses, 'miss', 'misses'), counted(t.writes, 'write')];
  return `Cache statistics: ${counts.join(', ')}, ${formatBytes(t.bytesWritten)} written, ${formatBytes(t.bytesRead)} read, ${t.corruptEntries} corrupt.`;
}
