// Load from our cache, warm: a fresh process builds an Engine (of the given artifact tier) and compiles the module's bytes.
// Imports and the wire bytes are ready before the timer starts.
import { readFileSync } from 'node:fs';
import { CacheConfig, Config, Engine } from '@cache/engine';
import { emit } from './_common.mjs';

const [wasmPath, directory, tier = 'hot'] = process.argv.slice(2);
const bytes = new Uint8Array(readFileSync(wasmPath));
const t0 = performance.now();
const engine = new Engine(Config.default().cacheConfig(CacheConfig.default().withDirectory(directory)).withArtifactTier(tier));
const t1 = performance.now();
const module = await engine.compile(bytes);
const t2 = performance.now();
const stats = engine.stats();
await engine.close();
emit({
  constructMs: t1 - t0,
  compileMs: t2 - t1,
  totalMs: t2 - t0,
  hits: stats.hits,
  misses: stats.misses,
  engineLoadMs: stats.loadMs,
  bytesLoaded: stats.bytesLoaded,
  exports: WebAssembly.Module.exports(module).length,
});
