// One "machine" using a shared Redis tier through the tiered store (memory → its own disk → signed Redis).
// Usage: redis-worker.mjs <redisUrl> <localDir> <seconds> <module.wasm...>
//   seconds = 0: compile each module once and report how (for the fault scenarios)
import { readFileSync } from 'node:fs';
import { CacheConfig, RemoteCacheConfig } from '@cache/config';
import { Cache, Config, Engine, compileChannel } from '@cache/engine';
import { createTieredCacheStore } from '@cache/store-redis';
import { checkValue, makeValue } from './self-check.mjs';

const [url, dir, seconds, ...modules] = process.argv.slice(2);
const cacheConfig = CacheConfig.default().withDirectory(dir);
const remote = RemoteCacheConfig.create(url).withSigningKey('torture-signing-key-0123456789abcdef0123').withTimeouts(500, 300);
const store = await createTieredCacheStore(cacheConfig, remote);
const engine = new Engine(Config.default().withArtifactTier('full').cacheConfig(cacheConfig), { cache: new Cache(cacheConfig, { store }) });
const outcomes = [];
compileChannel.subscribe((m) => outcomes.push(m.outcome));
const wires = modules.map((file) => readFileSync(file));
const expected = wires.map((wire) => new WebAssembly.Instance(new WebAssembly.Module(wire), {}).exports.run(7));
const counts = { operations: 0, errors: 0, damagedReads: 0, wrongResults: 0 };
const compileOnce = async (i) => {
  const module = await engine.compile(wires[i]);
  if (new WebAssembly.Instance(module, {}).exports.run(7) !== expected[i]) counts.wrongResults += 1;
};
if (Number(seconds) === 0) {
  for (let i = 0; i < wires.length; i += 1) {
    try {
      await compileOnce(i);
    } catch (error) {
      counts.errors += 1;
      process.stderr.write(`${error?.stack ?? error}\n`);
    }
  }
} else {
  const deadline = Date.now() + Number(seconds) * 1000;
  let sequence = 0;
  while (Date.now() < deadline) {
    counts.operations += 1;
    try {
      const choice = Math.random();
      if (choice < 0.2) await compileOnce(Math.floor(Math.random() * wires.length));
      else if (choice < 0.6) {
        const key = `r${Math.floor(Math.random() * 40)}`;
        await store.put(key, makeValue(key, sequence++, 1000 + Math.floor(Math.random() * 300_000)));
      } else {
        const key = `r${Math.floor(Math.random() * 40)}`;
        const value = await store.get(key);
        if (value && checkValue(key, value) !== 'ok') counts.damagedReads += 1;
      }
    } catch (error) {
      counts.errors += 1;
      process.stderr.write(`${error?.stack ?? error}\n`);
    }
  }
}
await engine.idle();
await store.flush?.();
await engine.close();
await store.close();
process.stdout.write(JSON.stringify({ ...counts, outcomes }));
