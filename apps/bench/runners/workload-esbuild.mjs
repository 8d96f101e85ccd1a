// esbuild-wasm transforms TypeScript (as in apps/cli/demo/esbuild-workload.mjs). esbuild compiles its
// module with a synchronous `new WebAssembly.Module` in a service process it spawns, so with
// BENCH_USE_CACHE=1 that child gets the cache hook in NODE_OPTIONS and preloads the module through
// the cache (WASM_CACHE_DIRECTORY comes from the parent's environment).
// Times: first result since this process started; the rest of the workload after it.
import { createRequire } from 'node:module';
import { emit } from './_common.mjs';

const require = createRequire(import.meta.url);
const wasmPath = require.resolve('esbuild-wasm/esbuild.wasm');
if (process.env.BENCH_USE_CACHE === '1') {
  process.env.NODE_OPTIONS = `--import ${import.meta.resolve('@cache/engine/register')}`;
  process.env.WASM_CACHE_PRELOAD = wasmPath;
}
const esbuild = require('esbuild-wasm');

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
const first = await esbuild.transform(source, { loader: 'ts' });
const firstResultMs = performance.now();
const big = Array.from({ length: 300 }, (_, i) => source.replaceAll('Shape', `Shape${i}`)).join('\n');
const restStarted = performance.now();
let bytes = 0;
for (let i = 0; i < 10; i += 1) bytes += (await esbuild.transform(big, { loader: 'ts', minify: true })).code.length;
const restMs = performance.now() - restStarted;
await esbuild.stop();
emit({ firstResultMs, restMs, check: first.code.length + bytes });
