// What importing a package costs a fresh process (not counted in the load figures).
import { emit } from './_common.mjs';

const [specifier] = process.argv.slice(2);
const started = performance.now();
await import(specifier);
emit({ ms: performance.now() - started });
