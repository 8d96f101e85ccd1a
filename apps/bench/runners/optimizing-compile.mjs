// Full optimizing compile through @cache/v8's compileOptimized (what the cache's producer does):
// sets --no-liftoff --no-wasm-lazy-compilation at run time, compiles, restores the flags, serializes.
// Changes process-wide V8 flags: this process does nothing else.
import { readFileSync } from 'node:fs';
import { compileOptimized } from '@cache/v8';
import { emit } from './_common.mjs';

const [wasmPath] = process.argv.slice(2);
const bytes = new Uint8Array(readFileSync(wasmPath));
const started = performance.now();
const { serialized } = await compileOptimized(bytes);
const ms = performance.now() - started;
emit({ ms, serializedBytes: serialized.byteLength });
