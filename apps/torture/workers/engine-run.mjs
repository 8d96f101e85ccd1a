// One compile through the engine in a fresh process; prints how it was served and the module's result.
// Usage: engine-run.mjs <cacheDir> <wasm> [--idle] [--raw-store <dir>] [--hot <work>]
// --hot <work>: the 'hot' tier; runs the module's `run(1000)` <work> times so V8 tiers it up, and
// exits without close(), so its hot code goes to a detached writer at exit.
import { mkdirSync, readFileSync, writeFileSync, rmSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Cache, CacheConfig, Config, Engine, compileChannel } from '@cache/engine';

const [dir, wasmFile, ...flags] = process.argv.slice(2);
const outcomes = [];
compileChannel.subscribe((m) => outcomes.push(m.outcome));
const hot = flags.includes('--hot') ? Number(flags[flags.indexOf('--hot') + 1]) : undefined;
// The background producer's path is what most runs torture; --hot tortures the exit writer's.
const config = Config.default().withArtifactTier(hot === undefined ? 'full' : 'hot').cacheConfig(CacheConfig.default().withDirectory(dir));
const raw = flags.indexOf('--raw-store');
let cache;
if (raw >= 0) {
  const rawDir = flags[raw + 1];
  mkdirSync(rawDir, { recursive: true });
  const file = (key) => join(rawDir, encodeURIComponent(key));
  const store = {
    kind: 'raw-file',
    capabilities: { persistent: true, sharedAcrossProcesses: false, verifiesContent: false },
    get: async (key) => (existsSync(file(key)) ? readFileSync(file(key)) : undefined),
    put: async (key, value) => (writeFileSync(file(key), value), { stored: true }),
    delete: async (key) => (rmSync(file(key), { force: true }), true),
    has: async (key) => existsSync(file(key)),
    keys: async function* () {
      for (const name of readdirSync(rawDir)) yield decodeURIComponent(name);
    },
    stats: () => ({ hits: 0, misses: 0, writes: 0, bytesRead: 0, bytesWritten: 0, evictions: 0, corruptEntries: 0, errors: 0, timeSpentMs: 0 }),
    close: async () => {},
  };
  cache = new Cache(config.cache, { store });
}
const engine = new Engine(config, cache ? { cache } : {});
const module = await engine.compile(readFileSync(wasmFile));
const instance = new WebAssembly.Instance(module, {});
const result = instance.exports.run(7);
for (let i = 0; i < (hot ?? 0); i += 1) instance.exports.run(1000);
if (flags.includes('--idle')) await engine.idle();
process.stdout.write(JSON.stringify({ outcomes, result, stats: engine.stats() }));
if (hot === undefined) await engine.close();
