import { runStoreConformance } from '@cache/store/conformance';
import { afterAll, beforeAll } from 'vitest';
import { RedisStore } from '../src/index.js';
import { RedisServer } from './redis-server.js';

let server: RedisServer;
beforeAll(async () => {
  server = await RedisServer.start();
});
afterAll(() => server.dispose());

let prefixes = 0;
// Each case gets its own key prefix, so cases are independent on one server.
runStoreConformance('RedisStore (1 MiB chunks)', () => RedisStore.connect({ url: server.url, keyPrefix: `conf-${prefixes++}:`, chunkBytes: 1024 * 1024 }));
runStoreConformance('RedisStore (64 KiB chunks, no TTL)', () => RedisStore.connect({ url: server.url, keyPrefix: `conf-small-${prefixes++}:`, chunkBytes: 64 * 1024, ttlMs: 0 }), {
  largeValueBytes: 1024 * 1024,
});
