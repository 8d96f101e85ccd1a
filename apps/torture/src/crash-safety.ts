import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lastJson, runWorker, scratch, sleep, startWorker, writeModules } from './children.js';
import { Figures } from './figures.js';
import type { Random } from './random.js';

interface VerifierReport {
  served: number;
  damagedServed: number;
  corruptDetected: number;
  staleTempsRemoved: number;
  tempsLeft: number;
}

/**
 * Crash safety: writers (and their background worker threads) SIGKILLed at
 * random moments, many times; then every entry served must be intact. Also
 * kills the engine's background producer mid-compile or mid-write.
 */
export async function crashSafety(random: Random, kills: number): Promise<Figures> {
  const figures = new Figures('crash safety');
  const dir = scratch('crash');
  let killed = 0;
  for (let round = 0; round < kills / 2; round += 1) {
    const writers = [startWorker('store-writer.mjs', [dir, String(2 * round)]), startWorker('store-writer.mjs', [dir, String(2 * round + 1)])];
    await sleep(random.int(40, 400));
    for (const writer of writers) {
      await sleep(random.int(0, 60));
      writer.kill('SIGKILL');
      killed += 1;
    }
    await Promise.all(writers.map((w) => new Promise((resolve) => (w.exitCode !== null || w.signalCode !== null ? resolve(null) : w.on('exit', resolve)))));
  }
  const verified = await runWorker('store-verifier.mjs', [dir]);
  const report = lastJson<VerifierReport>(verified.stdout);
  figures.count('store writers killed with SIGKILL', killed);
  figures.count('entries served afterwards', report?.served ?? -1);
  figures.require('damaged entries served', report ? report.damagedServed : -1, 0);
  figures.count('damaged entries detected and removed by the store', report?.corruptDetected ?? -1);
  figures.count('stale temp files from killed writers, cleaned', report?.staleTempsRemoved ?? -1);
  figures.require('verifier crashed', verified.signal || verified.code !== 0 ? 1 : 0, 0);

  // The engine's producer: killed at random moments while it compiles or writes the artifact.
  const work = scratch('crash-engine');
  const [wasm] = writeModules(work, [400]);
  let producerKills = 0;
  let consumerCrashes = 0;
  let wrongResults = 0;
  let expected: number | undefined;
  const rounds = Math.max(3, Math.floor(kills / 20));
  let hotWriterKills = 0;
  // Even rounds: the full tier's background producer. Odd rounds: the hot tier's exit writer (the
  // process tiers the module up and exits without close(); a detached writer stores its code).
  for (let round = 0; round < 2 * rounds; round += 1) {
    const hot = round % 2 === 1;
    const cacheDir = join(work, `cache-${round}`);
    const first = await runWorker('engine-run.mjs', [cacheDir, wasm as string, ...(hot ? ['--hot', '20'] : [])]);
    expected ??= lastJson<{ result: number }>(first.stdout)?.result;
    // The producer (or exit writer) is detached: kill it at a random moment.
    await sleep(random.int(0, 150));
    for (const pid of producerPids(cacheDir)) {
      try {
        process.kill(pid, 'SIGKILL');
        if (hot) hotWriterKills += 1;
        else producerKills += 1;
      } catch {
        // Already finished: nothing to kill this round.
      }
    }
    for (let i = 0; i < 2; i += 1) {
      const next = await runWorker('engine-run.mjs', [cacheDir, wasm as string, ...(hot ? ['--hot', '20'] : ['--idle'])]);
      if (next.signal || next.code !== 0) consumerCrashes += 1;
      else if (lastJson<{ result: number }>(next.stdout)?.result !== expected) wrongResults += 1;
    }
  }
  figures.count('engine producers killed mid-work', producerKills);
  figures.count('hot-tier exit writers killed mid-write', hotWriterKills);
  figures.require('processes crashed loading after a killed producer or writer', consumerCrashes, 0);
  figures.require('wrong results after a killed producer or writer', wrongResults, 0);
  return figures;
}

/**
 * The detached producer processes working for a cache directory: found by their command line (the
 * producer script and a job file under that directory), so a reused pid is never killed.
 */
function producerPids(cacheDir: string): number[] {
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return pids; // no /proc here: nothing is killed
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (cmdline.includes('producer.js') && cmdline.includes(cacheDir)) pids.push(Number(name));
    } catch {
      // The process ended meanwhile.
    }
  }
  return pids;
}
