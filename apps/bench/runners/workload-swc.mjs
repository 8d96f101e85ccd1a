// @swc/wasm (wasm-bindgen nodejs target: synchronous `new WebAssembly.Module` at require time) parses
// and transforms TypeScript. With the cache, the parent starts this with
// `--import @cache/engine/register` and WASM_CACHE_PRELOAD=<wasm_bg.wasm>.
import { createRequire } from 'node:module';
import { emit } from './_common.mjs';

const require = createRequire(import.meta.url);
const swc = require('@swc/wasm');
const source = `
interface Point { x: number; y: number }
export class Shape<T extends Point> {
  constructor(private readonly points: T[]) {}
  area(): number {
    let sum = 0;
    for (let i = 0; i < this.points.length; i++) {
      const a = this.points[i]!, b = this.points[(i + 1) % this.points.length]!;
      sum += a.x * b.y - b.x * a.y;
    }
    return Math.abs(sum) / 2;
  }
}
`;
const options = { jsc: { parser: { syntax: 'typescript' }, target: 'es2020' } };
const first = swc.transformSync(source, options);
const firstResultMs = performance.now();
const big = Array.from({ length: 300 }, (_, i) => source.replaceAll('Shape', `Shape${i}`)).join('\n');
const restStarted = performance.now();
let check = 0;
for (let i = 0; i < 5; i += 1) {
  check += swc.parseSync(big, { syntax: 'typescript' }).body.length;
  check += swc.transformSync(big, { ...options, minify: true }).code.length;
}
const restMs = performance.now() - restStarted;
emit({ firstResultMs, restMs, check: first.code.length + check, ...(await cacheStats()) });

async function cacheStats() {
  if (process.env.BENCH_USE_CACHE !== '1') return {};
  const { registeredEngine } = await import('@cache/engine/register');
  const stats = registeredEngine?.stats();
  return { hits: stats?.hits ?? 0, misses: stats?.misses ?? 0 };
}
