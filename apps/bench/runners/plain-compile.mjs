// Plain Node: `await WebAssembly.compile(bytes)` with V8's defaults (lazy, Liftoff first).
// Also used for the optimizing compile when started with `--no-liftoff --no-wasm-lazy-compilation`
// (every function compiled by TurboFan before the promise settles).
import { readFileSync } from 'node:fs';
import { emit } from './_common.mjs';

const [wasmPath] = process.argv.slice(2);
const bytes = readFileSync(wasmPath);
// Node 24 (V8 13.6) does not keep the event loop alive for an asynchronous compile running on V8's
// background threads alone: without this, a long TurboFan-only compile ends the process with an
// "unsettled top-level await".
const keepAlive = setInterval(() => undefined, 1 << 30);
const started = performance.now();
const module = await WebAssembly.compile(bytes);
const ms = performance.now() - started;
clearInterval(keepAlive);
emit({ ms, exports: WebAssembly.Module.exports(module).length, execArgv: process.execArgv });
