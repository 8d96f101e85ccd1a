import { readLocalFile, type LocalFileFault } from './local-file.js';
import { MIN_SIGNING_KEY_LENGTH } from './remote-schema.js';

/** A signing key file, read: the key it holds, or why it cannot be used (never the key). */
export type SigningKeyFileRead = { readonly ok: true; readonly key: string } | LocalFileFault;

/**
 * The signing key a file holds (`signingKeyFile`, surrounding whitespace
 * trimmed), or why it cannot be used: it cannot be read, or it holds fewer
 * than {@link MIN_SIGNING_KEY_LENGTH} bytes. Reads the local file only, so
 * the remote tier's user can check it without connecting (say, while Redis
 * is known to be down). Say a failure with {@link signingKeyFileMessage}.
 */
export function readSigningKeyFile(path: string): SigningKeyFileRead {
  const read = readLocalFile(path);
  if (!read.ok) return read;
  const key = read.bytes.toString('utf8').trim();
  if (Buffer.byteLength(key, 'utf8') < MIN_SIGNING_KEY_LENGTH) return { ok: false, reason: `holds fewer than ${MIN_SIGNING_KEY_LENGTH} bytes` };
  return { ok: true, key };
}

/** How a signing key file that cannot be used is said, wherever it is found (`@cache/store-redis`'s `SigningKeyFileError`, the engine's hook). */
export function signingKeyFileMessage(path: string, reason: string): string {
  return `Cannot use the signing key file ${path}: ${reason}`;
}
