// One of several processes sharing a cache directory for a fixed time, mixing engine compiles, store
// reads and writes, forced cleanups, verification reads and clears of the shared keys.
import { readFileSync } from 'node:fs';
import { CacheConfig, Config, Engine } from '@cache/engine';
import { DiskStore } from '@cache/store';
import { checkValue, makeValue } from './self-check.mjs';

const [dir, id, seconds, ...modules] = process.argv.slice(2);
const wires = modules.map((file) => readFileSync(file));
const cacheConfig = CacheConfig.default().withDirectory(dir).withCleanupInterval('1s');
const engine = new Engine(Config.default().withArtifactTier('full').cacheConfig(cacheConfig));
const store = await DiskStore.open(cacheConfig, { namespace: 'torture' });
const counts = { operations: 0, errors: 0, damagedReads: 0, compiles: 0, wrongResults: 0, clears: 0, cleanups: 0 };
const expected = new Map();
const lastWritten = new Map();
let sequence = 0;
const deadline = Date.now() + Number(seconds) * 1000;
const random = () => Math.random();
while (Date.now() < deadline) {
  counts.operations += 1;
  const choice = random();
  try {
    if (choice < 0.15) {
      const i = Math.floor(random() * wires.length);
      const module = await engine.compile(wires[i]);
      const result = new WebAssembly.Instance(module, {}).exports.run(7);
      if (!expected.has(i)) expected.set(i, new WebAssembly.Instance(new WebAssembly.Module(wires[i]), {}).exports.run(7));
      if (result !== expected.get(i)) counts.wrongResults += 1;
      counts.compiles += 1;
    } else if (choice < 0.45) {
      // Private keys: only this process writes them and nobody deletes them.
      const key = `p${id}-${Math.floor(random() * 20)}`;
      const result = await store.put(key, makeValue(key, sequence++, 1000 + Math.floor(random() * 20_000)));
      if (result.stored) lastWritten.set(key, true);
    } else if (choice < 0.65) {
      const key = `s${Math.floor(random() * 30)}`;
      await store.put(key, makeValue(key, sequence++, 1000 + Math.floor(random() * 20_000)));
    } else if (choice < 0.9) {
      const key = random() < 0.5 ? `s${Math.floor(random() * 30)}` : `p${id}-${Math.floor(random() * 20)}`;
      const value = await store.get(key);
      if (value && checkValue(key, value) !== 'ok') counts.damagedReads += 1;
    } else if (choice < 0.96) {
      await store.runCleanup({ force: true });
      counts.cleanups += 1;
    } else if (choice < 0.99) {
      for await (const key of store.keys()) {
        const value = await store.get(key);
        if (value && checkValue(key, value) !== 'ok') counts.damagedReads += 1;
      }
    } else {
      for await (const key of store.keys()) if (key.startsWith('s')) await store.delete(key);
      counts.clears += 1;
    }
  } catch (error) {
    counts.errors += 1;
    process.stderr.write(`${error?.stack ?? error}\n`);
  }
}
// Lost writes: a private key whose put was reported stored must still be readable and intact.
let lostWrites = 0;
for (const key of lastWritten.keys()) {
  const value = await store.get(key);
  if (!value || checkValue(key, value) !== 'ok') lostWrites += 1;
}
await engine.idle();
const stats = engine.stats();
await engine.close();
await store.close();
process.stdout.write(JSON.stringify({ ...counts, lostWrites, produced: stats.artifactsProduced, hits: stats.hits }));
