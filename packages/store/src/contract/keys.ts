import { InvalidKeyError } from '../errors/store-error.js';

/** Longest key accepted, in UTF-16 code units. Keys are hashed, so length only bounds memory. */
export const MAX_KEY_LENGTH = 1024;

/**
 * Checks that `key` is a non-empty, well-formed (no lone surrogates) string of
 * at most {@link MAX_KEY_LENGTH} characters.
 *
 * @throws InvalidKeyError otherwise.
 */
export function validateKey(key: unknown): asserts key is string {
  if (typeof key !== 'string') throw new InvalidKeyError(`expected a string, got ${key === null ? 'null' : typeof key}`);
  if (key.length === 0) throw new InvalidKeyError('the key is empty');
  if (key.length > MAX_KEY_LENGTH) throw new InvalidKeyError(`the key has ${key.length} characters; at most ${MAX_KEY_LENGTH} are allowed`);
  if (!isWellFormed(key)) throw new InvalidKeyError('the key contains a lone UTF-16 surrogate');
}

function isWellFormed(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) {
      return false;
    }
  }
  return true;
}
