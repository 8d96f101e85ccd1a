// Warms the cache for one module and writes the stored artifact's payload (V8's serialized code)
// to a plain file for the floor measurement. Tier full: a miss, then the background producer's
// artifact. Tier hot: the artifact the module's workload runs saved (nothing is compiled here).
import { readFileSync, writeFileSync } from 'node:fs';
import { CacheConfig, Config, Engine, decodeArtifact, engineFingerprint, lookupId } from '@cache/engine';
import { emit } from './_common.mjs';

const [wasmPath, directory, payloadPath, tier = 'full'] = process.argv.slice(2);
const bytes = new Uint8Array(readFileSync(wasmPath));
const engine = new Engine(Config.default().cacheConfig(CacheConfig.default().withDirectory(directory)).withArtifactTier(tier));
const started = performance.now();
if (tier === 'full') {
  await engine.compile(bytes);
  await engine.idle();
}
const productionMs = performance.now() - started;
const cached = await engine.isCached(bytes);
const fp = await engineFingerprint();
if (!fp.ok) throw new Error(fp.reason);
const storage = await engine.cache.storage(fp.fingerprint);
const stored = await storage.store.get(storage.key(lookupId(bytes), tier));
if (!stored) throw new Error(`no ${tier} artifact stored for ${wasmPath}: ${JSON.stringify(engine.stats())}`);
const fields = decodeArtifact(stored);
writeFileSync(payloadPath, fields.payload);
const stats = engine.stats();
await engine.close();
emit({ cached, productionMs, artifactBytes: stored.byteLength, payloadBytes: fields.payload.byteLength, producerCompileMs: fields.compileMs, stats });
