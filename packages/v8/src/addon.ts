import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AddonUnavailableError } from './errors.js';
import { nodeBuiltin } from './node-builtin.js';

const { existsSync } = nodeBuiltin<typeof import('node:fs')>('node:fs');

/** What {@link V8Addon.installLoader} receives; the native callback fills `acceptedByV8`. */
export interface LoadRequest {
  /** Serialized code as produced by {@link V8Addon.serialize}. */
  serialized: Uint8Array;
  /** The module's original wasm bytes. */
  wireBytes: Uint8Array;
  /** The URL V8 names the module's script by (`WasmStreaming::SetUrl`); none when absent or empty. Addons built before it ignore it. */
  url?: string;
  /** Set by the native streaming callback: the result of `SetCompiledModuleBytes`. */
  acceptedByV8?: boolean;
}

/**
 * The raw native addon. Prefer the wrappers exported by this package
 * (`serialize`, `deserialize`): they check arguments and restore Node's state.
 */
export interface V8Addon {
  /** `WasmModuleObject::GetCompiledModule().Serialize()`; empty without TurboFan code. */
  serialize(module: WebAssembly.Module): Uint8Array;
  /** Installs the addon's wasm streaming callback for the next `WebAssembly.compileStreaming(request)`. */
  installLoader(request: LoadRequest): void;
  /** Puts Node's own wasm streaming callback back; false when it is unknown. */
  restoreNodeStreaming(): boolean;
  /** Whether Node's streaming callback (`nodeStreamingSymbol`) was found with `dlsym`. */
  readonly canRestoreNodeStreaming: boolean;
  /** The mangled name of `node::wasm_web_api::StartStreamingCompilation` looked up. */
  readonly nodeStreamingSymbol: string;
  /** `v8::ScriptCompiler::CachedDataVersionTag()` (what `v8.cachedDataVersionTag()` returns). Absent from addons built before it. */
  readonly cachedDataVersionTag?: () => number;
  /** SHA-256 by the OpenSSL inside Node; absent where Node does not export `EVP_Digest` and `EVP_sha256`. */
  readonly sha256?: (data: Uint8Array) => Uint8Array;
  /** CRC-32 by the zlib inside Node; absent where Node does not export `crc32_z`. */
  readonly crc32?: (data: Uint8Array) => number;
  /** Starts a SHA-256 in steps (OpenSSL's `EVP_MD_CTX`, freed by `sha256End` or when the handle is collected). */
  readonly sha256Begin?: () => object;
  /** Adds bytes to a SHA-256 begun with `sha256Begin`. */
  readonly sha256Update?: (handle: object, data: Uint8Array) => void;
  /** Finishes a SHA-256 begun with `sha256Begin`: its 32 bytes; the handle cannot be used again. */
  readonly sha256End?: (handle: object) => Uint8Array;
  /** SHA-256 of each of at most 64 pieces (32 bytes each, in order), each on a thread of its own, joined before it returns. Absent with `sha256`, and from addons built before it. */
  readonly sha256Each?: (pieces: readonly Uint8Array[]) => Uint8Array;
  /** How many threads this process may run at once (libuv's `uv_available_parallelism`). Absent from addons built before it. */
  readonly threads?: number;
}

/** Why the addon is unavailable, as a stable token (the `reason` text has the details). */
export type AddonUnavailableCode = 'other-runtime' | 'not-built' | 'load-failed' | 'streaming-symbol-missing';

/** Outcome of loading the addon in this process; see {@link addonStatus}. */
export type AddonStatus =
  | {
      /** The addon is loaded and every function of this package works. */
      available: true;
      /** The `.node` file that was loaded. */
      path: string;
    }
  | {
      /** The addon cannot be used; functions that need it throw `AddonUnavailableError`. */
      available: false;
      /** Stable token for the cause. */
      code: AddonUnavailableCode;
      /** One sentence saying exactly why (path, versions, error message). */
      reason: string;
    };

/** Environment variable that replaces the addon path (tests, unusual layouts). */
export const ADDON_PATH_ENV = 'CACHE_V8_ADDON_PATH';

/** This package's root folder (the module lives in `src/` or `dist/`). */
function packageRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..');
}

/**
 * Where the addon for the running Node is expected:
 * `addon/node-v<ABI>-<platform>-<arch>/cache_v8.node` in this package, as written
 * by `scripts/build-addon.mjs`, unless `CACHE_V8_ADDON_PATH` names another file.
 */
export function addonPath(): string {
  const override = process.env[ADDON_PATH_ENV];
  if (override !== undefined && override !== '') return resolve(override);
  const abi = `node-v${process.versions.modules}-${process.platform}-${process.arch}`;
  return join(packageRoot(), 'addon', abi, 'cache_v8.node');
}

function isV8Addon(value: unknown): value is V8Addon {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate.serialize === 'function' &&
    typeof candidate.installLoader === 'function' &&
    typeof candidate.restoreNodeStreaming === 'function' &&
    typeof candidate.canRestoreNodeStreaming === 'boolean'
  );
}

function otherRuntime(): string | undefined {
  const versions = process.versions as Record<string, string | undefined>;
  if (versions.bun !== undefined) return `Bun ${versions.bun}`;
  if ('Deno' in globalThis) return 'Deno';
  if (versions.v8 === undefined || versions.modules === undefined) return 'a runtime without V8/Node ABI';
  return undefined;
}

interface Loaded {
  status: AddonStatus;
  addon: V8Addon | null;
}

let loaded: Loaded | undefined;

/**
 * Loads the addon file. A `.node` file goes through `process.dlopen`, which is
 * what `require()` does for one, without starting CommonJS's loader from an ES
 * module (0.2 ms instead of about 2 ms); the addon is context-aware, so loading
 * it again (another copy of this package, a worker) is safe. Anything else
 * `CACHE_V8_ADDON_PATH` names (a JavaScript stand-in) is required.
 */
function loadFile(path: string): unknown {
  if (!path.endsWith('.node')) return createRequire(import.meta.url)(path);
  const module = { exports: {} as unknown };
  process.dlopen(module, path);
  return module.exports;
}

function load(): Loaded {
  const runtime = otherRuntime();
  if (runtime !== undefined) {
    return unavailable('other-runtime', `running on ${runtime}; the addon needs Node.js's V8 C++ API`);
  }
  const path = addonPath();
  if (!existsSync(path)) {
    return unavailable(
      'not-built',
      `not built for Node ${process.versions.node} (ABI ${process.versions.modules}, ${process.platform}-${process.arch}): ` +
        `${path} does not exist; run "node scripts/build-addon.mjs" in @cache/v8 with this node`,
    );
  }
  let exported: unknown;
  try {
    exported = loadFile(path);
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ');
    return unavailable('load-failed', `${path} did not load in Node ${process.versions.node}: ${message}`);
  }
  if (!isV8Addon(exported)) {
    return unavailable('load-failed', `${path} is not the @cache/v8 addon (missing exports)`);
  }
  if (!exported.canRestoreNodeStreaming) {
    return unavailable(
      'streaming-symbol-missing',
      `Node ${process.versions.node} does not export ${exported.nodeStreamingSymbol}; loading serialized ` +
        'code would break WebAssembly.compileStreaming(response), so the addon is not used',
    );
  }
  return { status: { available: true, path }, addon: exported };
}

function unavailable(code: AddonUnavailableCode, reason: string): Loaded {
  return { status: { available: false, code, reason }, addon: null };
}

function current(): Loaded {
  loaded ??= load();
  return loaded;
}

/**
 * Whether the native addon can be used in this process, and if not, exactly why
 * (not built for this Node ABI, failed to load, Node's streaming symbol missing,
 * another runtime such as Bun or Deno). Loads the addon on first call; the
 * answer is then fixed for the life of the process.
 */
export function addonStatus(): AddonStatus {
  return current().status;
}

/**
 * The raw native addon, or null when {@link addonStatus} reports it unavailable.
 * Never throws.
 */
export function loadV8Addon(): V8Addon | null {
  return current().addon;
}

/** The addon, or an `AddonUnavailableError` (code `ERR_CACHE_V8_UNAVAILABLE`). */
export function requireAddon(): V8Addon {
  const { status, addon } = current();
  if (addon === null) {
    throw new AddonUnavailableError(status.available ? 'unknown' : status.reason);
  }
  return addon;
}
