import { readFileSync } from 'node:fs';
import { MIN_SIGNING_KEY_LENGTH } from './remote-schema.js';

/** A signing key file, read: the key it holds, or why it cannot be used (never the key). */
export type SigningKeyFileRead = { readonly ok: true; readonly key: string } | { readonly ok: false; readonly reason: string; readonly cause?: unknown };

/**
 * The signing key a file holds (`signingKeyFile`, surrounding whitespace
 * trimmed), or why it cannot be used: it cannot be read, or it holds fewer
 * than {@link MIN_SIGNING_KEY_LENGTH} bytes. Reads the local file only, so
 * the remote tier's user can check it without connecting (say, while Redis
 * is known to be down). Say a failure with {@link signingKeyFileMessage}.
 */
export function readSigningKeyFile(path: string): SigningKeyFileRead {
  let key: string;
  try {
    key = readFileSync(path, 'utf8').trim();
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : 'EUNKNOWN';
    return { ok: false, reason: `cannot be read (${code})`, cause: error };
  }
  if (Buffer.byteLength(key, 'utf8') < MIN_SIGNING_KEY_LENGTH) return { ok: false, reason: `holds fewer than ${MIN_SIGNING_KEY_LENGTH} bytes` };
  return { ok: true, key };
}

/** How a signing key file that cannot be used is said, wherever it is found (`@cache/store-redis`'s `SigningKeyFileError`, the engine's hook). */
export function signingKeyFileMessage(path: string, reason: string): string {
  return `Cannot use the signing key file ${path}: ${reason}`;
}
