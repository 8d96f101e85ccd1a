// Writes self-checking entries into a disk store until it is killed (SIGKILL, at a random moment).
import { CacheConfig } from '@cache/config';
import { DiskStore } from '@cache/store';
import { makeValue } from './self-check.mjs';

const [dir, id] = process.argv.slice(2);
const config = CacheConfig.default().withDirectory(dir).withCapacity('4Mi').withFileCountSoftLimit(200).withCleanupInterval('1s');
const store = await DiskStore.open(config, { namespace: 'torture' });
let sequence = 0;
for (;;) {
  const key = `k${(sequence * 7 + Number(id)) % 300}`;
  const length = sequence % 10 === 0 ? 300_000 : 2_000 + ((sequence * 131) % 30_000);
  await store.put(key, makeValue(key, sequence, length));
  if (sequence % 5 === 0) await store.get(`k${sequence % 300}`);
  sequence += 1;
}
