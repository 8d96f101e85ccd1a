// The floor: read V8's serialized code from a plain file and hand it to V8 (@cache/v8 deserialize),
// with no cache machinery (no store, no verification, no fingerprint).
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { deserialize } from '@cache/v8';
import { emit } from './_common.mjs';

const [wasmPath, payloadPath] = process.argv.slice(2);
const wire = new Uint8Array(readFileSync(wasmPath));
const t0 = performance.now();
const payload = new Uint8Array(await readFile(payloadPath));
const t1 = performance.now();
const { module, acceptedByV8 } = await deserialize(payload, wire);
const t2 = performance.now();
emit({ readMs: t1 - t0, deserializeMs: t2 - t1, totalMs: t2 - t0, acceptedByV8, exports: WebAssembly.Module.exports(module).length });
