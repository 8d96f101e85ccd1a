import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RedisStore } from '@cache/store-redis';
import { startLoopbackRedis } from '../../../../packages/store-redis/scripts/loopback-redis.mjs';
import { runChild } from '../engine/child.js';
import { summarize, type Summary } from '../report/stats.js';

/** One machine kind of the fleet benchmark. */
export type FleetMachine = 'plain' | 'emptyDisk' | 'warmDisk';

/** The fleet benchmark's result: esbuild-wasm's workload under the hook, per machine kind. */
export interface FleetResult {
  readonly repeats: number;
  readonly first: Record<FleetMachine, Summary>;
  readonly rest: Record<FleetMachine, Summary>;
  /** Bytes of the artifact Redis held after the warm-up (the one every empty-disk machine loads). */
  readonly sharedArtifactBytes: number;
  readonly markdown: string;
}

interface WorkloadOut {
  firstResultMs: number;
  restMs: number;
}

const SIGNING_KEY = 'bench-fleet-signing-key-0123456789abcdef';

/**
 * A fleet sharing compiled code through Redis, with no code change: esbuild-wasm's workload
 * (`runners/workload-esbuild.mjs`) under `node --import @cache/engine/register` with the remote tier
 * in the environment, on a loopback `redis-server` started here. After one warm-up run (whose exit
 * snapshot reaches Redis through the detached writer), each round runs, in rotating order, plain
 * Node, a machine whose disk is empty (a new cache folder: everything comes from Redis) and a
 * machine whose disk is warm. Undefined, and said, where no redis-server is installed.
 */
export async function runFleetBench(options: { quick: boolean; log: (line: string) => void }): Promise<FleetResult | undefined> {
  const { quick, log } = options;
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    log('\nFleet benchmark skipped: redis-server is not installed (node packages/store-redis/scripts/ensure-redis.mjs).');
    return undefined;
  }
  const scratch = mkdtempSync(path.join(tmpdir(), 'bench-fleet-'));
  const server = await startLoopbackRedis('bench-fleet-redis-');
  const url = server.url;
  try {
    const redis = await RedisStore.connect({ url });
    if (!redis.connected) throw new Error(`redis-server at ${url} accepts connections but the client is not ready`);
    const remote = { WASM_CACHE_REMOTE_URL: url, WASM_CACHE_SIGNING_KEY: SIGNING_KEY };
    let fresh = 0;
    const envOf = (machine: FleetMachine): Record<string, string> =>
      machine === 'plain'
        ? {}
        : { ...remote, BENCH_USE_CACHE: '1', WASM_CACHE_DIRECTORY: path.join(scratch, machine === 'warmDisk' ? 'warm' : `empty-${(fresh += 1)}`) };
    // The warm-up fills the warm machine's disk and, at its exit, Redis.
    await runChild<WorkloadOut>('workload-esbuild.mjs', [], { env: envOf('warmDisk') });
    const sharedArtifactBytes = await waitForArtifact(redis);
    log(`\nFleet through Redis (esbuild-wasm, hook): Redis holds a ${(sharedArtifactBytes / 1e6).toFixed(1)} MB artifact`);
    const repeats = quick ? 2 : 5;
    const machines: FleetMachine[] = ['plain', 'emptyDisk', 'warmDisk'];
    const first: Record<FleetMachine, number[]> = { plain: [], emptyDisk: [], warmDisk: [] };
    const rest: Record<FleetMachine, number[]> = { plain: [], emptyDisk: [], warmDisk: [] };
    for (let round = 0; round < repeats; round++) {
      for (const machine of machines.map((_, i) => machines[(i + round) % machines.length] ?? 'plain')) {
        const out = await runChild<WorkloadOut>('workload-esbuild.mjs', [], { env: envOf(machine) });
        first[machine].push(out.firstResultMs);
        rest[machine].push(out.restMs);
      }
      log(`  [${round + 1}/${repeats}] fleet: first ${first.plain.at(-1)?.toFixed(0)} / ${first.emptyDisk.at(-1)?.toFixed(0)} / ${first.warmDisk.at(-1)?.toFixed(0)} ms (plain / empty disk / warm disk)`);
    }
    await redis.close();
    const result = {
      repeats,
      first: { plain: summarize(first.plain), emptyDisk: summarize(first.emptyDisk), warmDisk: summarize(first.warmDisk) },
      rest: { plain: summarize(rest.plain), emptyDisk: summarize(rest.emptyDisk), warmDisk: summarize(rest.warmDisk) },
      sharedArtifactBytes,
    };
    return { ...result, markdown: fleetMarkdown(result) };
  } finally {
    server.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Waits (at most 60 s) until the warm-up's artifact is in Redis; its size. */
async function waitForArtifact(redis: RedisStore): Promise<number> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    // The hook writes under the default key prefix.
    const manifests = await redis.client.keys('wasm-cache:m:*');
    const sizes = await Promise.all(manifests.map(async (key) => Number(JSON.parse((await redis.client.get(key)) ?? '{}').size ?? 0)));
    const largest = Math.max(0, ...sizes);
    if (largest > 1_000_000) return largest;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('the warm-up run left no artifact in Redis within 60 s');
}

function fleetMarkdown(result: Omit<FleetResult, 'markdown'>): string {
  const cell = (s: Summary): string => `${s.median.toFixed(0)} [${s.min.toFixed(0)}–${s.max.toFixed(0)}]`;
  const rows: Array<[string, FleetMachine]> = [
    ['plain Node', 'plain'],
    ['empty disk, Redis warm', 'emptyDisk'],
    ['warm disk', 'warmDisk'],
  ];
  return [
    '### Fleet: a machine with an empty disk, through the hook’s Redis tier',
    '',
    `esbuild-wasm’s workload under \`node --import @cache/engine/register\` with \`WASM_CACHE_REMOTE_URL\` (loopback redis-server, signed entries), ${result.repeats} rounds in rotating order; ms, median [min–max]. Redis held a ${(result.sharedArtifactBytes / 1e6).toFixed(1)} MB artifact, saved by one warm-up run as it exited.`,
    '',
    '| machine | first result | rest (10 transforms) | rest speed-up |',
    '|---|---:|---:|---:|',
    ...rows.map(([label, machine]) => `| ${label} | ${cell(result.first[machine])} | ${cell(result.rest[machine])} | ${(result.rest.plain.median / result.rest[machine].median).toFixed(2)}× |`),
  ].join('\n');
}
