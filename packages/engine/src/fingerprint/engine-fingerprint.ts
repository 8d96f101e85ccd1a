import { createHash } from 'node:crypto';
import { addonStatus, currentFingerprint, type SerializedHeader } from '@cache/v8';

/**
 * What decides whether serialized code made by one process can be used by
 * another: the Node.js and V8 versions, the platform, and V8's own 16-byte
 * header of serialized wasm code (version hash, CPU features, hash of every
 * non-default V8 flag), learned from V8 itself.
 */
export interface EngineFingerprint {
  /** A short stable id of all of the below: the store namespace and the compatibility hash. */
  readonly id: string;
  readonly node: string;
  readonly v8: string;
  readonly platform: string;
  /** V8's header for serialized wasm code in this process. */
  readonly header: SerializedHeader;
}

/** The fingerprint, or why there is none (the native addon cannot serialize here). */
export type FingerprintResult = { ok: true; fingerprint: EngineFingerprint } | { ok: false; reason: string };

let pending: Promise<FingerprintResult> | undefined;

/**
 * This process's engine fingerprint, computed once (about a millisecond: V8
 * tiers up a tiny probe module and the header of its serialized code is read).
 */
export function engineFingerprint(): Promise<FingerprintResult> {
  pending ??= compute();
  return pending;
}

async function compute(): Promise<FingerprintResult> {
  const status = addonStatus();
  if (!status.available) return { ok: false, reason: status.reason };
  const header = await currentFingerprint({ timeoutMs: 2000 });
  if (header === null) {
    return { ok: false, reason: 'V8 produced no optimized code to fingerprint (is the process running with --liftoff-only or --no-wasm-tier-up?)' };
  }
  const identity = {
    node: process.versions.node,
    v8: process.versions.v8,
    platform: `${process.platform}-${process.arch}`,
    header: header.hex,
  };
  const id = createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 24);
  return { ok: true, fingerprint: { id, node: identity.node, v8: identity.v8, platform: identity.platform, header } };
}
