// The artifact loader under mutated artifacts, and the engine under invalid wasm, in one process:
// every outcome must be a typed error or a working module; a crash ends this process and is counted.
import { readFileSync } from 'node:fs';
import { CacheConfig, Config, Engine, EngineError } from '@cache/engine';

const [artifactFile, wasmFile, count, seed] = process.argv.slice(2);
let state = Number(seed) >>> 0;
const random = () => {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = Math.imul(state ^ (state >>> 15), state | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const artifact = readFileSync(artifactFile);
const wire = readFileSync(wasmFile);
const engine = new Engine(Config.default().cacheConfig(CacheConfig.disabled()));
const counts = { mutations: 0, typedErrors: 0, loaded: 0, untyped: 0, invalidWasm: 0, compileErrors: 0, otherCompileOutcomes: 0 };
for (let i = 0; i < Number(count); i += 1) {
  const bytes = new Uint8Array(artifact);
  const kind = i % 3;
  if (kind === 0) for (let f = 1 + Math.floor(random() * 4); f > 0; f -= 1) bytes[Math.floor(random() * bytes.length)] ^= 1 << Math.floor(random() * 8);
  const mutated = kind === 1 ? bytes.subarray(0, Math.floor(random() * bytes.length)) : kind === 2 ? Uint8Array.from({ length: Math.floor(random() * 2000) }, () => Math.floor(random() * 256)) : bytes;
  counts.mutations += 1;
  try {
    await engine.deserialize(mutated, wire);
    counts.loaded += 1; // only possible if the mutation left the artifact identical
  } catch (error) {
    if (error instanceof EngineError) counts.typedErrors += 1;
    else counts.untyped += 1;
  }
}
for (let i = 0; i < Number(count) / 4; i += 1) {
  const junk = new Uint8Array(wire.subarray(0, 8 + Math.floor(random() * 4000)));
  for (let f = 0; f < 4; f += 1) junk[8 + Math.floor(random() * (junk.length - 8))] ^= 0xff;
  counts.invalidWasm += 1;
  try {
    await engine.compile(junk);
    counts.otherCompileOutcomes += 1; // a prefix that happens to be valid
  } catch (error) {
    if (error instanceof WebAssembly.CompileError) counts.compileErrors += 1;
    else counts.otherCompileOutcomes += 1;
  }
}
process.stdout.write(JSON.stringify(counts));
