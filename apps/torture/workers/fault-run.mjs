// Compiles through the engine while a fault is in force; prints whether the host kept working.
// Usage: fault-run.mjs <cacheDir> <wasm> <fault> [--idle]
//   fault: none | exhaust-fds | remove-dir
import { openSync, readFileSync, rmSync } from 'node:fs';
import { CacheConfig, Config, Engine, compileChannel } from '@cache/engine';

const [dir, wasmFile, fault, flag] = process.argv.slice(2);
const outcomes = [];
compileChannel.subscribe((m) => outcomes.push(m.outcome));
const wire = readFileSync(wasmFile);
const expected = new WebAssembly.Instance(new WebAssembly.Module(wire), {}).exports.run(7);
const engine = new Engine(Config.default().withArtifactTier('full').cacheConfig(CacheConfig.default().withDirectory(dir)));
let held = 0;
const fds = [];
if (fault === 'exhaust-fds') {
  try {
    for (;;) {
      fds.push(openSync('/dev/null', 'r'));
      held += 1;
    }
  } catch {}
}
if (fault === 'remove-dir') rmSync(dir, { recursive: true, force: true });
let hostErrors = 0;
let wrong = 0;
for (let i = 0; i < 3; i += 1) {
  try {
    const module = await engine.compile(wire);
    if (new WebAssembly.Instance(module, {}).exports.run(7) !== expected) wrong += 1;
  } catch (error) {
    hostErrors += 1;
    process.stderr.write(`${error?.stack ?? error}\n`);
  }
  if (fault === 'remove-dir' && i === 0) rmSync(dir, { recursive: true, force: true });
}
for (const fd of fds.splice(0)) (await import('node:fs')).closeSync(fd);
if (flag === '--idle') await engine.idle();
process.stdout.write(JSON.stringify({ outcomes, hostErrors, wrong, heldFds: held, stats: engine.stats() }));
await engine.close();
