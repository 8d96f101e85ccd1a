// @duckdb/duckdb-wasm, Node blocking API with the MVP bundle only (emscripten: async
// WebAssembly.instantiate, routed by the plain register hook).
// First result: create + instantiate + connect + `SELECT 42`; the rest: analytical queries.
import { createRequire } from 'node:module';
import { emit } from './_common.mjs';

const require = createRequire(import.meta.url);
const duckdb = require('@duckdb/duckdb-wasm/blocking');
const bundles = {
  mvp: {
    mainModule: require.resolve('@duckdb/duckdb-wasm/dist/duckdb-mvp.wasm'),
    mainWorker: require.resolve('@duckdb/duckdb-wasm/dist/duckdb-node-mvp.worker.cjs'),
  },
};
const db = await duckdb.createDuckDB(bundles, new duckdb.VoidLogger(), duckdb.NODE_RUNTIME);
await db.instantiate();
const conn = db.connect();
const answer = conn.query('SELECT 42 AS x').getChildAt(0).get(0);
const firstResultMs = performance.now();
const restStarted = performance.now();
let check = 0;
conn.query('CREATE TABLE t AS SELECT i, i % 97 AS k, (i * 7919) % 10007 AS v FROM range(2000000) r(i)');
for (let i = 0; i < 3; i += 1) {
  check += conn.query('SELECT k, count(*), sum(v), avg(v) FROM t GROUP BY k ORDER BY 3 DESC').numRows;
  check += Number(conn.query('SELECT count(*) FROM t a JOIN t b ON a.i = b.i + 1 WHERE a.v < 5000').getChildAt(0).get(0));
}
conn.close();
const restMs = performance.now() - restStarted;
emit({ firstResultMs, restMs, check: Number(answer) + check, ...(await cacheStats()) });

async function cacheStats() {
  if (process.env.BENCH_USE_CACHE !== '1') return {};
  const { registeredEngine } = await import('@cache/engine/register');
  const stats = registeredEngine?.stats();
  return { hits: stats?.hits ?? 0, misses: stats?.misses ?? 0 };
}
