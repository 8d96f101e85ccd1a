// sql.js (emscripten: async WebAssembly.instantiate, routed by the plain register hook).
// First result: init + `SELECT 1`; the rest: build a table and run aggregate queries.
import { createRequire } from 'node:module';
import { emit } from './_common.mjs';

const require = createRequire(import.meta.url);
const initSqlJs = require('sql.js');
const SQL = await initSqlJs();
const db = new SQL.Database();
const one = db.exec('SELECT 1 AS x')[0].values[0][0];
const firstResultMs = performance.now();
const restStarted = performance.now();
db.run('CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER, v REAL, s TEXT)');
db.run('BEGIN');
const insert = db.prepare('INSERT INTO t (k, v, s) VALUES (?, ?, ?)');
for (let i = 0; i < 50_000; i += 1) insert.run([i % 97, (i * 7919) % 10_007, `row-${i}`]);
insert.free();
db.run('COMMIT');
let check = 0;
for (let i = 0; i < 5; i += 1) {
  check += db.exec('SELECT k, count(*), sum(v), avg(length(s)) FROM t GROUP BY k ORDER BY 3 DESC')[0].values.length;
  check += Number(db.exec("SELECT count(*) FROM t a JOIN t b ON a.id = b.id + 1 WHERE a.s LIKE '%7%'")[0].values[0][0]);
}
db.close();
const restMs = performance.now() - restStarted;
emit({ firstResultMs, restMs, check: one + check, ...(await cacheStats()) });

async function cacheStats() {
  if (process.env.BENCH_USE_CACHE !== '1') return {};
  const { registeredEngine } = await import('@cache/engine/register');
  const stats = registeredEngine?.stats();
  return { hits: stats?.hits ?? 0, misses: stats?.misses ?? 0 };
}
