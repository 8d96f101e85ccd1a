// The demo's workload, run in a fresh process each time: esbuild-wasm transforms TypeScript.
// esbuild-wasm compiles its 14 MB module with a synchronous `new WebAssembly.Module` in a service
// process it spawns. With DEMO_USE_CACHE=1, that process gets the cache hook and preloads the
// module through the cache, so V8 reuses the cached optimized code for esbuild's own compile.
import { createRequire } from 'node:module';

const started = performance.now();
const require = createRequire(import.meta.url);
const wasmPath = require.resolve('esbuild-wasm/esbuild.wasm');
if (process.env.DEMO_USE_CACHE === '1') {
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
const firstResultMs = performance.now() - started;
const big = Array.from({ length: 300 }, (_, i) => source.replaceAll('Shape', `Shape${i}`)).join('\n');
const restStarted = performance.now();
let bytes = 0;
for (let i = 0; i < 10; i += 1) bytes += (await esbuild.transform(big, { loader: 'ts', minify: true })).code.length;
const restMs = performance.now() - restStarted;
await esbuild.stop();
process.stdout.write(JSON.stringify({ firstResultMs, restMs, firstBytes: first.code.length, bytes, wasmPath }));
