// Values that carry their own key and checksum, so a reader can tell a damaged or misplaced value
// independently of the store.
import { createHash, randomBytes } from 'node:crypto';

export function makeValue(key, sequence, length) {
  const keyBytes = Buffer.from(key);
  const body = Buffer.concat([Buffer.from(Uint32Array.of(keyBytes.length).buffer), keyBytes, Buffer.from(BigUint64Array.of(BigInt(sequence)).buffer), randomBytes(length)]);
  return Buffer.concat([body, createHash('sha256').update(body).digest()]);
}

/** 'ok', or why the value is damaged or belongs to another key. */
export function checkValue(key, value) {
  const bytes = Buffer.from(value);
  if (bytes.length < 44) return 'too short';
  const body = bytes.subarray(0, bytes.length - 32);
  if (!createHash('sha256').update(body).digest().equals(bytes.subarray(bytes.length - 32))) return 'checksum';
  const keyLength = body.readUInt32LE(0);
  if (body.subarray(4, 4 + keyLength).toString() !== key) return 'other key';
  return 'ok';
}
