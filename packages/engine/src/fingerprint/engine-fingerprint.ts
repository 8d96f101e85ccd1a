import { join } from 'node:path';
import { addonStatus, cachedDataVersionTag, currentFingerprint, readSerializedHeader, tierUpDisabledBy, type SerializedHeader } from '@cache/v8';
import { ARTIFACT_VERSION } from '../artifact/artifact-format.js';
import { sha256 } from '../artifact/checksum.js';
import { makeDirectorySync } from '@cache/store';
import { writeFileWhole } from '../node/write-file-whole.js';
import { nodeBuiltin } from '../node/node-builtin.js';
import { readRegularFileSync, SMALL_FILE_BYTES } from '../node/read-regular-file.js';

const { rmSync } = nodeBuiltin<typeof import('node:fs')>('node:fs');

/**
 * What decides whether serialized code made by one process can be used by
 * another: the Node.js and V8 versions, the platform, and V8's own 16-byte
 * header of serialized wasm code (version hash, CPU features, hash of every
 * non-default V8 flag), learned from V8 itself; and this cache's artifact
 * layout version (`ARTIFACT_VERSION`), which its id covers too.
 */
export interface EngineFingerprint {
  /** A short stable id of all of the below: the store namespace and the compatibility hash. */
  readonly id: string;
  readonly node: string;
  readonly v8: string;
  readonly platform: string;
  /** V8's header for serialized wasm code in this process. */
  readonly header: SerializedHeader;
  /** @internal The file the header was read from, when it was remembered rather than learned in this process. */
  readonly rememberedIn?: string;
}

/** The fingerprint, or why there is none (the native addon cannot serialize here). */
export type FingerprintResult = { ok: true; fingerprint: EngineFingerprint } | { ok: false; reason: string };

/** Options of {@link engineFingerprint}. */
export interface FingerprintOptions {
  /**
   * A folder (the cache's) where V8's header is remembered between processes,
   * keyed by `v8.cachedDataVersionTag()`: V8 derives that tag from the same
   * version hash, CPU features and flag hash its wasm header holds, so a process
   * with an equal tag has an equal header. It spares the probe compile (5-10 ms
   * of every process's first load). A wrong remembered header cannot load
   * foreign code: V8 checks its header against the process before loading.
   */
  memoDirectory?: string;
}

let pending: Promise<FingerprintResult> | undefined;
/** What `pending` resolved to, once it has. */
let settled: EngineFingerprint | undefined;

/**
 * This process's engine fingerprint, computed once per process: remembered
 * from an earlier process with the same V8 identity, else learned by having V8
 * tier up a tiny probe module and reading the header of its serialized code.
 */
export function engineFingerprint(options: FingerprintOptions = {}): Promise<FingerprintResult> {
  pending ??= compute(options.memoDirectory);
  return pending;
}

/** The file remembering this process's V8 header, under a memo folder. */
export function fingerprintMemoPath(memoDirectory: string): string {
  const tag = cachedDataVersionTag() >>> 0;
  return join(memoDirectory, '.fingerprints', `${process.versions.node}-${process.platform}-${process.arch}-${tag.toString(16)}.header`);
}

function readMemo(path: string): SerializedHeader | undefined {
  try {
    const hex = readRegularFileSync(path, SMALL_FILE_BYTES).toString('utf8').trim();
    return /^[0-9a-f]{32}$/.test(hex) ? readSerializedHeader(Buffer.from(hex, 'hex')) : undefined;
  } catch {
    return undefined; // absent or unreadable: probe instead
  }
}

function writeMemo(path: string, header: SerializedHeader): void {
  try {
    makeDirectorySync(join(path, '..'));
    writeFileWhole(path, header.hex);
  } catch {
    // Remembering is an optimization: a read-only or full disk only costs the next process a probe.
  }
}

/** How long the probe may wait for V8 to tier up (about 1 ms where it can). */
const PROBE_TIMEOUT_MS = 2000;

/**
 * Why this process has no V8 header to learn, said before any probe: it has
 * no WebAssembly, or was started with flags that keep V8 from compiling any
 * with TurboFan (a probe would wait `PROBE_TIMEOUT_MS` for nothing). Else undefined.
 */
function noHeaderReason(): string | undefined {
  if ((globalThis as { WebAssembly?: unknown }).WebAssembly === undefined) {
    return 'this process has no WebAssembly (is it running with --jitless or --no-expose-wasm?)';
  }
  const flags = tierUpDisabledBy();
  return flags === undefined ? undefined : `V8 compiles no optimized WebAssembly code in this process, which runs with ${flags}`;
}

async function compute(memoDirectory: string | undefined): Promise<FingerprintResult> {
  const status = addonStatus();
  if (!status.available) return { ok: false, reason: status.reason };
  const noHeader = noHeaderReason();
  if (noHeader !== undefined) return { ok: false, reason: noHeader };
  const memoPath = memoDirectory === undefined ? undefined : fingerprintMemoPath(memoDirectory);
  let header = memoPath === undefined ? undefined : readMemo(memoPath);
  const rememberedIn = header === undefined ? undefined : memoPath;
  if (header === undefined) {
    header = (await currentFingerprint({ timeoutMs: PROBE_TIMEOUT_MS })) ?? undefined;
    if (header !== undefined && memoPath !== undefined) writeMemo(memoPath, header);
  }
  if (header === undefined) {
    return {
      ok: false,
      reason: `V8 produced no optimized code to fingerprint within ${PROBE_TIMEOUT_MS / 1000} s (were V8's WebAssembly tiering flags changed at run time, such as --liftoff-only?)`,
    };
  }
  const identity = {
    node: process.versions.node,
    v8: process.versions.v8,
    platform: `${process.platform}-${process.arch}`,
    header: header.hex,
    artifacts: ARTIFACT_VERSION,
  };
  const id = sha256(Buffer.from(JSON.stringify(identity), 'utf8')).toString('hex').slice(0, 24);
  settled = { id, node: identity.node, v8: identity.v8, platform: identity.platform, header, ...(rememberedIn ? { rememberedIn } : {}) };
  return { ok: true, fingerprint: settled };
}

/**
 * For a fingerprint whose V8 header was remembered from an earlier process:
 * V8's header as a probe compile gives it now, when it is not the remembered
 * one (which is then wrong); undefined when they agree, for a header learned
 * from V8 in this process, or when V8 gives none. Costs a probe (5-10 ms):
 * for when an artifact is refused as another engine's.
 */
export async function wrongRememberedHeader(fingerprint: EngineFingerprint): Promise<string | undefined> {
  if (fingerprint.rememberedIn === undefined) return undefined;
  const header = await currentFingerprint({ timeoutMs: PROBE_TIMEOUT_MS });
  return header && header.hex !== fingerprint.header.hex ? header.hex : undefined;
}

/**
 * Called when code V8 serialized in this process carries another header than
 * the fingerprint: the remembered header was wrong (a damaged file, or one a
 * differently built Node left under the same tag), so every artifact went to
 * a namespace no process loads from. The file is removed and the fingerprint
 * forgotten, so later compiles, here and in the next process, learn it again
 * from V8. Returns the file removed, if any.
 */
export function forgetFingerprint(fingerprint: EngineFingerprint): string | undefined {
  if (settled?.id === fingerprint.id) {
    pending = undefined;
    settled = undefined;
  }
  if (fingerprint.rememberedIn === undefined) return undefined;
  rmSync(fingerprint.rememberedIn, { force: true });
  return fingerprint.rememberedIn;
}
