import { readSigningKeyFile, type ResolvedRemoteSettings } from '@cache/config';
import { SigningKeyFileError } from '../errors/redis-store-error.js';

/**
 * The signing key the settings name: the `signingKey` value, or the contents
 * of `signingKeyFile` (surrounding whitespace trimmed), or undefined.
 *
 * @throws SigningKeyFileError when the file cannot be read or holds fewer than 32 bytes (the key is never in the message).
 */
export function resolveSigningKey(settings: Pick<ResolvedRemoteSettings, 'signingKey' | 'signingKeyFile'>): string | undefined {
  if (settings.signingKey !== undefined) return settings.signingKey;
  const file = settings.signingKeyFile;
  if (file === undefined) return undefined;
  const read = readSigningKeyFile(file);
  if (!read.ok) throw new SigningKeyFileError(file, read.reason, { cause: read.cause });
  return read.key;
}
