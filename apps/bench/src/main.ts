/**
 * `pnpm bench`: every benchmark of the repository in one run, written as a dated report under
 * apps/bench/results/ (Markdown, JSON and an HTML page with inline SVG charts) plus latest.*.
 *
 * - the engine benchmark (src/engine): real modules from npm, compile vs cache load vs floor, and
 *   real workloads with and without the cache, in fresh processes;
 * - the store benchmark (src/store): @cache/store vs cacache and lru-cache;
 * - the Redis tier (packages/store-redis/bench) and a fleet through it (src/fleet): a machine with an
 *   empty disk running esbuild-wasm under the hook, loading what another saved in Redis.
 *
 * Flags: `--quick` (CI smoke run: fewer repeats, sql.js + esbuild only, under two minutes),
 * `--engine-only`, `--store-only`, `--fleet-only`, `--only=<name,...>` (engine modules whose name contains one).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { benchRoot } from './engine/child.js';
import { runEngineBench, type EngineBenchResult } from './engine/engine-bench.js';
import { runFleetBench } from './fleet/fleet-bench.js';
import { renderHtml } from './report/html.js';
import { machineInfo, machineMarkdown } from './report/machine.js';
import { engineMarkdown, fullMarkdown } from './report/markdown.js';
import { checkTargets } from './report/targets.js';
import { runStoreBench, type StoreResult } from './store/store-bench.js';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const engineOnly = argv.includes('--engine-only');
const storeOnly = argv.includes('--store-only');
const fleetOnly = argv.includes('--fleet-only');
const only = argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
const resultsDirectory = path.join(benchRoot, 'results');
mkdirSync(resultsDirectory, { recursive: true });

const started = new Date();
const stamp = started.toISOString().replace(/[:.]/g, '-');
const mode = quick ? 'quick' : 'full';
const machine = machineInfo();

let engine: EngineBenchResult | undefined;
let store: StoreResult | undefined;
if (!storeOnly && !fleetOnly) engine = await runEngineBench({ quick, ...(only ? { only } : {}) });
if (!engineOnly && !fleetOnly) store = await runStoreBench({ quick });
const targets = engine ? checkTargets(engine) : undefined;
const redis = engineOnly || fleetOnly ? undefined : runRedisBench(path.join(resultsDirectory, `redis-${stamp}.json`), quick);
const fleet = engineOnly || storeOnly ? undefined : await runFleetBench({ quick, log: (line) => process.stdout.write(`${line}\n`) });
if (fleet) {
  process.stdout.write(`\n${fleet.markdown}\n`);
  writeFileSync(path.join(resultsDirectory, `fleet-${stamp}.json`), JSON.stringify({ kind: 'fleet', mode, startedAt: started.toISOString(), machine, ...fleet }, null, 2));
  writeFileSync(path.join(resultsDirectory, `fleet-${stamp}.md`), `# Fleet benchmark (${mode})\n\nRun ${started.toISOString()}.\n\n## Machine\n\n${machineMarkdown(machine)}\n\n${fleet.markdown}\n`);
}

const write = (name: string, text: string): void => writeFileSync(path.join(resultsDirectory, name), text);
if (engine && targets) {
  const title = `@cache/engine benchmark (${mode})`;
  write(`engine-${stamp}.json`, JSON.stringify({ kind: 'engine', mode, startedAt: started.toISOString(), machine, engine, targets }, null, 2));
  write(`engine-${stamp}.md`, fullMarkdown({ title, machine, engine, targets, startedAt: started.toISOString(), mode }));
  write(`engine-${stamp}.html`, renderHtml({ title, machine, engine, targets, startedAt: started.toISOString(), mode }));
  process.stdout.write(`\n${engineMarkdown(engine, targets)}\n`);
}
if (store) {
  write(`store-${stamp}.json`, JSON.stringify({ kind: 'store', machine, ...store }, null, 2));
  process.stdout.write(`\n${store.markdown}\n`);
}
const title = `Benchmarks (${mode})`;
const combined = { mode, startedAt: started.toISOString(), seconds: (Date.now() - started.getTime()) / 1000, machine, engine, targets, store, redis: redis?.json, fleet };
write('latest.json', JSON.stringify(combined, null, 2));
write(
  'latest.md',
  fullMarkdown({ title, machine, ...(engine ? { engine } : {}), ...(targets ? { targets } : {}), ...(store ? { store } : {}), startedAt: started.toISOString(), mode }) +
    (redis ? `\n## Redis tier (10 MiB artifact, loopback)\n\n${redis.markdown}\n` : '') +
    (fleet ? `\n${fleet.markdown}\n` : ''),
);
write('latest.html', renderHtml({ title, machine, ...(engine ? { engine } : {}), ...(targets ? { targets } : {}), ...(store ? { store } : {}), startedAt: started.toISOString(), mode }));
const failed = targets?.filter((t) => !t.pass) ?? [];
process.stdout.write(
  `\nWrote results/latest.{md,json,html}${engine ? ` and results/engine-${stamp}.*` : ''} in ${combined.seconds.toFixed(0)} s.${targets ? ` Targets: ${targets.length - failed.length}/${targets.length} pass.` : ''}\n`,
);

/**
 * The Redis tier's benchmark (packages/store-redis/bench): RedisStore and a signed store against raw
 * ioredis GET/SET for a 10 MiB artifact, on a redis-server it starts itself. Skipped, and said, where
 * no redis-server is installed.
 */
function runRedisBench(output: string, quickRun: boolean): { markdown: string; json: unknown } | undefined {
  const script = path.join(benchRoot, '..', '..', 'packages', 'store-redis', 'bench', 'redis-bench.mjs');
  const result = spawnSync(process.execPath, [script, output, '--repeats', quickRun ? '3' : '7'], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (result.status !== 0) {
    process.stdout.write(`\nRedis tier benchmark skipped: ${(result.stderr || result.stdout).trim().split('\n').pop() ?? 'failed'}\n`);
    return undefined;
  }
  process.stdout.write(`\n${result.stdout}\n`);
  return { markdown: result.stdout.trim(), json: JSON.parse(readFileSync(output, 'utf8')) as unknown };
}
