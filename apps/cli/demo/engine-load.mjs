// The cache's own view, in a fresh process: compile a module through the engine API and report how.
import { readFileSync } from 'node:fs';
import { CacheConfig, Config, Engine } from '@cache/engine';

const [directory, wasmPath] = process.argv.slice(2);
const bytes = readFileSync(wasmPath);
const engine = new Engine(Config.default().cacheConfig(CacheConfig.default().withDirectory(directory)));
const started = performance.now();
await engine.compile(bytes);
const ms = performance.now() - started;
const stats = engine.stats();
await engine.close();
process.stdout.write(JSON.stringify({ ms, hit: stats.hits === 1, bytesLoaded: stats.bytesLoaded, timeSavedMs: stats.timeSavedMs }));
