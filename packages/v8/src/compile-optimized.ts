import { requireAddon } from './addon.js';
import { FlagsNotRestoredError, InvalidArgumentError, NotSerializableError } from './errors.js';
import { keepingAlive } from './keep-alive.js';
import { nodeBuiltin } from './node-builtin.js';
import { cachedDataVersionTag } from './node-digests.js';
import { isUint8Array, wasmApi } from './wasm-types.js';

/** What {@link compileOptimized} resolves to. */
export interface OptimizedArtifact {
  /** The module, every function compiled by TurboFan. */
  module: WebAssembly.Module;
  /** Its serialized code (non-empty), loadable by processes whose header matches. */
  serialized: Uint8Array;
}

/** Flags set for the compile (full TurboFan, eagerly). */
const OPTIMIZE_FLAGS = ['--no-liftoff', '--no-wasm-lazy-compilation'];
/** Flags set back before serializing: V8's defaults on Node 20, 22 and 24. */
const DEFAULT_FLAGS = ['--liftoff', '--wasm-lazy-compilation', '--wasm-dynamic-tiering'];

/**
 * Compiles `wireBytes` with full TurboFan and serializes the result: the artifact
 * a cache stores.
 *
 * **Changes process-wide V8 flags; run it in a process of its own** (a child
 * process dedicated to producing artifacts), never in a process that compiles
 * or runs other WebAssembly at the same time. It sets `--no-liftoff
 * --no-wasm-lazy-compilation` with `v8.setFlagsFromString`, compiles, then sets
 * `--liftoff --wasm-lazy-compilation --wasm-dynamic-tiering` back *before*
 * serializing, so the header's flag hash is that of a process with default
 * flags and the artifact loads in one. It checks that V8's flag state (through
 * `v8.cachedDataVersionTag()`, which hashes the same flag list) is as before.
 *
 * @throws {AddonUnavailableError} the native addon cannot be used here.
 * @throws {InvalidArgumentError} `wireBytes` is not a non-empty Uint8Array.
 * @throws {FlagsNotRestoredError} the flags differed afterwards (the process had
 *   non-default wasm flags that the reset overwrote); the artifact would not load.
 * @throws {NotSerializableError} V8 produced no serialized code.
 * @throws {WebAssembly.CompileError} (rejection) `wireBytes` is not a valid module.
 */
export async function compileOptimized(wireBytes: Uint8Array): Promise<OptimizedArtifact> {
  const addon = requireAddon();
  if (!isUint8Array(wireBytes) || wireBytes.byteLength === 0) {
    throw new InvalidArgumentError('compileOptimized: wireBytes must be a non-empty Uint8Array');
  }
  const api = wasmApi();
  if (api === undefined) throw new InvalidArgumentError('compileOptimized: this runtime has no WebAssembly');
  const { setFlagsFromString } = nodeBuiltin<typeof import('node:v8')>('node:v8');
  const tagBefore = cachedDataVersionTag();
  let module: WebAssembly.Module;
  try {
    for (const flag of OPTIMIZE_FLAGS) setFlagsFromString(flag);
    module = await keepingAlive(() => api.compile(wireBytes));
  } finally {
    for (const flag of DEFAULT_FLAGS) setFlagsFromString(flag);
  }
  const tagAfter = cachedDataVersionTag();
  if (tagAfter !== tagBefore) {
    throw new FlagsNotRestoredError(
      `V8 flags differ after the optimized compile (tag ${tagBefore} -> ${tagAfter}); ` +
        'run compileOptimized in a process started without wasm tiering flags',
    );
  }
  const serialized = addon.serialize(module);
  if (serialized.byteLength === 0) throw new NotSerializableError('V8 serialized no code for the optimized module');
  return { module, serialized };
}
