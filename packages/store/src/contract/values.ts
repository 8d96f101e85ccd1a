import { InvalidStoreOptionError, InvalidValueError } from '../errors/store-error.js';

/**
 * Whether `value` is a `Uint8Array` (a `Buffer` is one), from this realm or
 * any other (a `vm` context, an iframe): `instanceof` would refuse another
 * realm's. A view whose `Symbol.toStringTag` says so; no module is loaded
 * for it (`node:util`'s `types.isUint8Array` would be one more at start-up).
 */
export function isUint8Array(value: unknown): value is Uint8Array {
  return ArrayBuffer.isView(value) && Object.prototype.toString.call(value) === '[object Uint8Array]';
}

/**
 * Whether the memory under a `Uint8Array` was detached (its `ArrayBuffer`
 * transferred, e.g. posted to a worker): it then reads as empty, and copying
 * it throws. `ArrayBuffer.prototype.detached` where the runtime has it (Node
 * 22+); before, a view of zero bytes over a buffer of zero bytes is checked by
 * making a view of that buffer, which throws only for a detached one.
 */
function isDetached(value: Uint8Array): boolean {
  const buffer = value.buffer as { detached?: unknown; byteLength: number };
  if (typeof buffer.detached === 'boolean') return buffer.detached;
  if (value.byteLength !== 0 || buffer.byteLength !== 0) return false;
  try {
    new Uint8Array(value.buffer);
    return false;
  } catch {
    return true;
  }
}

/**
 * Checks that `value` can be stored: a `Uint8Array` (or `Buffer`) of any
 * realm whose memory is not detached.
 *
 * @throws InvalidValueError otherwise (a programmer error, not a fault).
 */
export function validateValue(value: unknown): asserts value is Uint8Array {
  if (!isUint8Array(value)) throw new InvalidValueError(value);
  if (isDetached(value)) throw new InvalidValueError(value, 'a detached Uint8Array (its ArrayBuffer was transferred, so it holds no bytes)');
}

/**
 * Checks the length given to `Store.peek`: a whole number of bytes, 0 or more.
 *
 * @throws InvalidStoreOptionError otherwise (a programmer error, not a fault).
 */
export function validatePeekLength(length: unknown): asserts length is number {
  if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) {
    throw new InvalidStoreOptionError('peek length', `must be a whole number of bytes, 0 or more; got ${String(length)}`);
  }
}
