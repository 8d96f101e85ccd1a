// Where a cache load's time goes: the steps of Engine.compile on a hit, done one by one with the
// package's exported pieces (fingerprint, store open, module hash, store read, artifact checks, V8).
// The engine itself reads the artifact while it hashes the module; here each step is timed alone.
import { readFileSync } from 'node:fs';
import { Cache, CacheConfig, checkArtifactBelongs, decodeArtifact, engineFingerprint, lookupId, moduleHash } from '@cache/engine';
import { deserialize } from '@cache/v8';
import { emit } from './_common.mjs';

const [wasmPath, directory, tier = 'hot'] = process.argv.slice(2);
const wire = new Uint8Array(readFileSync(wasmPath));
const t = [performance.now()];
const cache = new Cache(CacheConfig.default().withDirectory(directory));
const fp = await engineFingerprint({ memoDirectory: directory });
if (!fp.ok) throw new Error(fp.reason);
t.push(performance.now());
const storage = await cache.storage(fp.fingerprint);
t.push(performance.now());
const lookup = lookupId(wire);
const hash = moduleHash(wire);
t.push(performance.now());
const stored = await storage.store.get(storage.key(lookup, tier));
if (!stored) throw new Error('not cached');
t.push(performance.now());
// As the engine does: the CRC-32 the cache's disk store verified for these bytes stands in for a second pass.
const contentCrc32 = storage.verifiedCrc32?.(stored);
const fields = decodeArtifact(stored, contentCrc32 === undefined ? {} : { contentCrc32 });
checkArtifactBelongs(fields, hash, fp.fingerprint);
t.push(performance.now());
const { acceptedByV8 } = await deserialize(fields.payload, wire);
t.push(performance.now());
await cache.close();
const step = (i) => t[i + 1] - t[i];
emit({
  fingerprintMs: step(0),
  storeOpenMs: step(1),
  moduleHashMs: step(2),
  storeReadMs: step(3),
  verifyMs: step(4),
  v8Ms: step(5),
  totalMs: t[6] - t[0],
  acceptedByV8,
});
