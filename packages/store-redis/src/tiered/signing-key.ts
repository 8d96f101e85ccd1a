import { readFileSync } from 'node:fs';
import { MIN_SIGNING_KEY_LENGTH, type ResolvedRemoteSettings } from '@cache/config';
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
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : 'EUNKNOWN';
    throw new SigningKeyFileError(file, `cannot be read (${code})`, { cause: error });
  }
  if (Buffer.byteLength(text, 'utf8') < MIN_SIGNING_KEY_LENGTH) throw new SigningKeyFileError(file, `holds fewer than ${MIN_SIGNING_KEY_LENGTH} bytes`);
  return text;
}
