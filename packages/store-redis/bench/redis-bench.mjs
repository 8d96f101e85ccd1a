#!/usr/bin/env node
// Redis-tier throughput for one artifact: RedisStore get/put against raw ioredis GET/SET of the
// same Buffer, in the same run, against a redis-server this script starts on loopback and stops.
// Usage: node bench/redis-bench.mjs [out.json] [--size-mib 10] [--repeats 7]
// Needs the built package (dist/) and redis-server (scripts/ensure-redis.mjs installs it).
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { SignedStore } from '@cache/store';
import { RedisStore } from '../dist/index.js';
import { startLoopbackRedis } from '../scripts/loopback-redis.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const out = args.find((arg, i) => !arg.startsWith('--') && !args[i - 1]?.startsWith('--'));
const sizeMiB = option('--size-mib', 10);
const repeats = option('--repeats', 7);
const size = sizeMiB * 1024 * 1024;

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function measure(label, action) {
  await action(-1); // warm-up
  const times = [];
  for (let i = 0; i < repeats; i++) {
    const started = performance.now();
    await action(i);
    times.push(performance.now() - started);
  }
  const ms = median(times);
  return { label, medianMs: Number(ms.toFixed(2)), mbPerSecond: Number((size / 1e6 / (ms / 1000)).toFixed(1)), repeats };
}

const server = await startLoopbackRedis('redis-bench-').catch((error) => {
  console.error(error.message);
  process.exit(1);
});
const url = server.url;
const value = randomBytes(size);
const raw = new Redis({ port: server.port, host: '127.0.0.1' });
const store = await RedisStore.connect({ url, keyPrefix: 'bench:' });
const signed = new SignedStore(await RedisStore.connect({ url, keyPrefix: 'bench-signed:' }), { signingKey: 'bench-signing-key-0123456789abcdef0123' });
const results = [];
try {
  results.push(await measure('raw ioredis SET', () => raw.set('raw:artifact', value)));
  results.push(await measure('raw ioredis GET (getBuffer)', async () => {
    if ((await raw.getBuffer('raw:artifact'))?.byteLength !== size) throw new Error('raw GET returned the wrong size');
  }));
  results.push(await measure('RedisStore put (4 MiB chunks, CRC-32)', async () => {
    if (!(await store.put('artifact', value)).stored) throw new Error('RedisStore put failed');
  }));
  results.push(await measure('RedisStore get (verified)', async () => {
    if ((await store.get('artifact'))?.byteLength !== size) throw new Error('RedisStore get missed');
  }));
  results.push(await measure('SignedStore(RedisStore) put (HMAC-SHA256)', async () => {
    if (!(await signed.put('artifact', value)).stored) throw new Error('signed put failed');
  }));
  results.push(await measure('SignedStore(RedisStore) get (HMAC checked)', async () => {
    if ((await signed.get('artifact'))?.byteLength !== size) throw new Error('signed get missed');
  }));
} finally {
  await store.close();
  await signed.close();
  raw.disconnect();
  server.stop();
}

const rawOf = (kind) => results.find((r) => r.label.startsWith(`raw ioredis ${kind}`));
const report = {
  benchmark: 'redis-tier',
  artifactBytes: size,
  node: process.version,
  repeats,
  results: results.map((r) => ({ ...r, vsRaw: Number((r.medianMs / (/put/.test(r.label) || /SET/.test(r.label) ? rawOf('SET') : rawOf('GET')).medianMs).toFixed(2)) })),
};
console.log(`\n### Redis tier, ${sizeMiB} MiB artifact (median of ${repeats}, loopback redis-server, Node ${process.version})\n`);
console.log('| operation | median ms | MB/s | × raw |');
console.log('|---|---:|---:|---:|');
for (const r of report.results) console.log(`| ${r.label} | ${r.medianMs} | ${r.mbPerSecond} | ${r.vsRaw} |`);
if (out) {
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwrote ${out}`);
}
