import { nodeCrypto } from '../node/node-builtin.js';

/** First bytes of a signed entry: `WCS` + format version 1. */
export const SIGNED_MAGIC = Uint8Array.from([0x57, 0x43, 0x53, 0x01]);
/** Bytes of an HMAC-SHA256 tag. */
export const SIGNATURE_LENGTH = 32;
/** Bytes before the payload: magic + tag. */
export const SIGNED_HEADER_LENGTH = SIGNED_MAGIC.length + SIGNATURE_LENGTH;

const DOMAIN = Buffer.from('wasm-cache signed entry v1\0', 'utf8');

/** Why a stored value was refused. */
export type SignatureRejection = 'unsigned' | 'bad-signature';

/**
 * The HMAC-SHA256 tag of one entry. It covers the key as well as the value,
 * so an entry copied (swapped) to another key does not verify.
 */
export function signatureOf(secret: Uint8Array, key: string, payload: Uint8Array): Buffer {
  const keyBytes = Buffer.from(key, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(keyBytes.byteLength);
  return nodeCrypto().createHmac('sha256', secret).update(DOMAIN).update(length).update(keyBytes).update(payload).digest();
}

/** `magic | tag | payload`: the bytes a signed store writes. */
export function sealEnvelope(secret: Uint8Array, key: string, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(SIGNED_HEADER_LENGTH + payload.byteLength);
  out.set(SIGNED_MAGIC, 0);
  out.set(signatureOf(secret, key, payload), SIGNED_MAGIC.length);
  out.set(payload, SIGNED_HEADER_LENGTH);
  return out;
}

/** The payload of a stored envelope whose tag verifies for `key`, or why it was refused. */
export function openEnvelope(
  secret: Uint8Array,
  key: string,
  stored: Uint8Array,
): { ok: true; payload: Uint8Array } | { ok: false; reason: SignatureRejection } {
  if (stored.byteLength < SIGNED_HEADER_LENGTH) return { ok: false, reason: 'unsigned' };
  for (let i = 0; i < SIGNED_MAGIC.length; i++) if (stored[i] !== SIGNED_MAGIC[i]) return { ok: false, reason: 'unsigned' };
  const tag = stored.subarray(SIGNED_MAGIC.length, SIGNED_HEADER_LENGTH);
  const payload = stored.subarray(SIGNED_HEADER_LENGTH);
  const expected = signatureOf(secret, key, payload);
  return nodeCrypto().timingSafeEqual(tag, expected) ? { ok: true, payload } : { ok: false, reason: 'bad-signature' };
}
