import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
const dir = process.argv[2], wire = readFileSync(process.argv[3]), mode = process.argv[4];
let t = performance.now(); const out = {};
const lap = (name) => { const n = performance.now(); out[name] = +(n - t).toFixed(1); t = n; };
const { CacheConfig } = await import('@cache/config'); const { DiskStore } = await import('@cache/store'); const { deserialize } = await import('@cache/v8');
const { decodeArtifact, moduleHash, checkArtifactBelongs, engineFingerprint } = await import('./dist/index.js'); lap('imports');
const fp = await engineFingerprint(); lap('fingerprint');
if (mode === 'floor') {
  const payload = readFileSync('/tmp/hit.payload'); lap('readFile');
  await deserialize(payload, wire); lap('deserialize');
} else {
  const ns = readdirSync(dir).find((n) => /^[0-9a-f]{24}$/.test(n));
  const store = await DiskStore.open(CacheConfig.default().withDirectory(dir), { namespace: ns, compression: false }); lap('store.open');
  const h = moduleHash(wire); lap('sha256 wire');
  const a = await store.get(h + '.full'); lap('store.get');
  const f = decodeArtifact(a); checkArtifactBelongs(f, h, fp.fingerprint); lap('verify');
  if (mode === 'save') writeFileSync('/tmp/hit.payload', f.payload);
  await deserialize(f.payload, wire); lap('deserialize');
  await store.close(); lap('close');
}
console.log(JSON.stringify(out));
