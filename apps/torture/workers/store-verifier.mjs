// Reads every entry of the store the writers used and checks each value itself.
import { readdirSync } from 'node:fs';
import { CacheConfig } from '@cache/config';
import { DiskStore, Layout } from '@cache/store';
import { checkValue } from './self-check.mjs';

const [dir] = process.argv.slice(2);
const config = CacheConfig.default().withDirectory(dir).withCapacity('4Mi').withFileCountSoftLimit(200).withCleanupInterval('1s');
const store = await DiskStore.open(config, { namespace: 'torture', background: 'inline', staleTempAge: 0 });
const cleanup = await store.runCleanup({ force: true });
const keys = [];
for await (const key of store.keys()) keys.push(key);
let served = 0;
let damagedServed = 0;
for (const key of keys) {
  const value = await store.get(key);
  if (value === undefined) continue;
  served += 1;
  if (checkValue(key, value) !== 'ok') damagedServed += 1;
}
const layout = new Layout(dir, 'torture');
let tempsLeft = 0;
try {
  tempsLeft = readdirSync(layout.tmp).filter((name) => name.endsWith('.tmp')).length;
} catch {}
const stats = store.stats();
await store.close();
process.stdout.write(JSON.stringify({ served, damagedServed, corruptDetected: stats.corruptEntries, staleTempsRemoved: cleanup.staleTempsRemoved, tempsLeft }));
