import { requireAddon } from './addon.js';
import { type SerializedHeader, readSerializedHeader } from './header.js';
import { cachedDataVersionTag } from './node-digests.js';
import { wasmApi } from './wasm-types.js';

/**
 * Versions of this process that decide whether serialized code fits, all
 * known synchronously without the addon.
 */
export interface ProcessIdentity {
  /** `process.versions.node`. */
  node: string;
  /** `process.versions.v8`. */
  v8: string;
  /** Node ABI (`process.versions.modules`). */
  modules: string;
  /** `process.platform`-`process.arch`. */
  platform: string;
  /**
   * `v8.cachedDataVersionTag()`: V8 hashes the same three inputs as the wasm
   * header's last three words (version hash, flag hash, CPU features) into one
   * number. Equal tags mean equal headers; it changes when flags change at run time.
   */
  cachedDataVersionTag: number;
}

/** This process's {@link ProcessIdentity}. Loads the addon (for V8's tag) where it can; never throws. */
export function processIdentity(): ProcessIdentity {
  return {
    node: process.versions.node,
    v8: process.versions.v8,
    modules: process.versions.modules,
    platform: `${process.platform}-${process.arch}`,
    cachedDataVersionTag: cachedDataVersionTag(),
  };
}

/**
 * A module with one exported function `f(n)` that counts `n` down in a loop:
 * calling it with a large `n` spends Liftoff's tier-up budget, so V8 compiles
 * it with TurboFan in the background and it becomes serializable.
 */
const PROBE_MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f, // type: (i32) -> i32
  0x03, 0x02, 0x01, 0x00, // function 0 of type 0
  0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00, // export "f"
  0x0a, 0x12, 0x01, 0x10, 0x00, // code: one body, 16 bytes, no locals
  0x03, 0x40, 0x20, 0x00, 0x41, 0x01, 0x6b, 0x22, 0x00, 0x0d, 0x00, 0x0b, // loop: n = n - 1; br_if n
  0x20, 0x00, 0x0b, // n
]);

/** Options of {@link currentFingerprint}. */
export interface FingerprintOptions {
  /** Give up (resolve null) after this many milliseconds. @default 500 */
  timeoutMs?: number;
}

const cache = new Map<number, SerializedHeader>();

/** A V8 boolean flag's value as the last of `args` that names it sets it (`--name`, `--no-name`, `--noname`, `_` for `-`); undefined when none does. */
function flagValue(args: readonly string[], name: string): boolean | undefined {
  let value: boolean | undefined;
  for (const arg of args) {
    const match = /^--?(no-?)?([a-z0-9_-]+)(?:=(.*))?$/.exec(arg.toLowerCase());
    if (match?.[2]?.replace(/_/g, '-') !== name) continue;
    const given = match[3] === undefined || !/^(false|0|no)$/.test(match[3]);
    value = match[1] === undefined ? given : !given;
  }
  return value;
}

/**
 * The V8 flags among `execArgv` that keep V8 from ever compiling WebAssembly
 * with TurboFan, and so from serializing any, as given; undefined when there
 * are none. V8 then runs only Liftoff code: with `--liftoff-only`, or with
 * both `--no-wasm-tier-up` and `--no-wasm-dynamic-tiering` (either alone still
 * tiers up), unless `--no-liftoff` makes TurboFan the first tier. Flags set at
 * run time (`v8.setFlagsFromString`) are not seen.
 */
export function tierUpDisabledBy(execArgv: readonly string[] = process.execArgv): string | undefined {
  if (flagValue(execArgv, 'liftoff-only') === true) return '--liftoff-only';
  if (flagValue(execArgv, 'liftoff') === false) return undefined;
  if (flagValue(execArgv, 'wasm-tier-up') === false && flagValue(execArgv, 'wasm-dynamic-tiering') === false) {
    return '--no-wasm-tier-up --no-wasm-dynamic-tiering';
  }
  return undefined;
}

/**
 * The exact 16-byte header that serialized code needs to load in this process
 * (magic, V8 version hash, CPU features, flag hash), learned from V8 itself.
 *
 * How: it compiles a 47-byte module, runs its loop until V8 tiers the function
 * up to TurboFan (about 1 ms on Node 20, 22 and 24; immediately with
 * `--no-liftoff`), serializes it and reads the header. It changes no flags. The
 * result is cached per `v8.cachedDataVersionTag()`.
 *
 * @returns the header, or null: at once where there is no WebAssembly
 *   (`--jitless`) or the process was started with flags that keep V8 from
 *   tiering up (see {@link tierUpDisabledBy}), else when tier-up did not
 *   happen within the timeout.
 * @throws {AddonUnavailableError} the native addon cannot be used here.
 */
export async function currentFingerprint(options: FingerprintOptions = {}): Promise<SerializedHeader | null> {
  const addon = requireAddon();
  const tag = cachedDataVersionTag();
  const known = cache.get(tag);
  if (known !== undefined) return known;
  const api = wasmApi();
  if (api === undefined || tierUpDisabledBy() !== undefined) return null;
  const module = new api.Module(PROBE_MODULE);
  const probe = new api.Instance(module).exports.f as (n: number) => number;
  const deadline = Date.now() + (options.timeoutMs ?? 500);
  for (;;) {
    probe(100_000);
    const serialized = addon.serialize(module);
    if (serialized.byteLength > 0) {
      const header = readSerializedHeader(serialized);
      cache.set(tag, header);
      return header;
    }
    if (Date.now() > deadline) return null;
    // Let the background TurboFan job finish and publish its code.
    await new Promise<void>((resolveWait) => setTimeout(resolveWait, 1));
  }
}
