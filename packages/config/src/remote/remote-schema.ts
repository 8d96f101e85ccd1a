import { isAbsolute } from 'node:path';
import * as z from 'zod/mini';
import { UnitParseError } from '../errors/unit-error.js';
import { lazy, lazyObject } from '../settings/lazy.js';
import { parseDuration, parseSize } from '../units/index.js';

/** Shortest signing key accepted, in bytes. */
export const MIN_SIGNING_KEY_LENGTH = 32;

function unit(kind: 'size' | 'duration', min: number, max: number) {
  const parse = kind === 'size' ? parseSize : parseDuration;
  // A bare number is accepted from code only: the file's [wasm-cache.remote] table, like Wasmtime's
  // [cache], takes strings with a unit (its durations are whole seconds).
  const examples = kind === 'size' ? '"4Mi", "320Mi"; in code also a number of bytes' : '"5s", "7d"; in code also a number of milliseconds';
  return z.pipe(
    z.pipe(
      z.union([z.number(), z.string()], { error: `must be a number or a ${kind} string such as ${examples}` }),
      z.transform((value: number | string, payload) => {
        if (typeof value === 'number') return value;
        try {
          return parse(value);
        } catch (error) {
          if (!(error instanceof UnitParseError)) throw error;
          payload.issues.push({ code: 'custom', message: `${error.reason} (examples: ${examples})`, input: value });
          return z.NEVER;
        }
      }),
    ),
    z.number().check(
      z.refine((n) => Number.isSafeInteger(n) && n >= min && n <= max, {
        error: `must be a whole number of ${kind === 'size' ? 'bytes' : 'milliseconds'} from ${min} to ${max}`,
      }),
    ),
  );
}

function url() {
  return z.string({ error: 'is required: the Redis server as a redis:// or rediss:// URL string' }).check(
    z.refine(
      (text) => {
        try {
          const parsed = new URL(text);
          return (parsed.protocol === 'redis:' || parsed.protocol === 'rediss:') && parsed.hostname.length > 0;
        } catch {
          return false;
        }
      },
      { error: 'must be redis://host[:port][/db] or rediss://host[:port][/db]' },
    ),
    z.refine((text) => credentialsDecode(text), {
      error: 'has a user name or password that is not percent-encoded: write a % in it as %25 (and @, :, / as %40, %3A, %2F)',
    }),
    z.refine((text) => redisDatabaseOf(text) !== 'invalid', {
      error: 'has a database path that is not a database number: the path must be empty, "/" or "/<n>" with n a whole number from 0 (such as /0 or /3)',
    }),
  );
}

/**
 * Whether a URL's user name and password decode (every `%` starts a valid
 * escape), as the Redis client decodes them when it connects; true for text
 * that is not a URL (reported by the URL rule).
 */
function credentialsDecode(text: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    return true;
  }
  try {
    decodeURIComponent(parsed.username);
    decodeURIComponent(parsed.password);
    return true;
  } catch {
    return false;
  }
}

/**
 * The Redis database a URL names by its path: 0 for none (`''` or `/`), the
 * number of `/<n>`, `'invalid'` for any other path (`/abc`, `/1.5`, `/-1`),
 * and `undefined` for text that is not a URL (reported by the URL rule).
 */
export function redisDatabaseOf(text: string): number | 'invalid' | undefined {
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    return undefined;
  }
  if (parsed.pathname === '' || parsed.pathname === '/') return 0;
  const match = /^\/(\d+)$/.exec(parsed.pathname);
  const database = match?.[1] === undefined ? Number.NaN : Number(match[1]);
  return Number.isSafeInteger(database) ? database : 'invalid';
}

function absolutePath() {
  return z.string({ error: 'must be a path (a string)' }).check(z.refine((p) => p.length > 0 && !p.includes('\0') && isAbsolute(p), { error: 'must be an absolute path' }));
}

const boolean = () => z.boolean({ error: 'must be true or false' });

function buildRemoteSettingsSchema() {
  return z
    .strictObject({
      url: url(),
      username: z.optional(z.string({ error: 'must be a string' }).check(z.minLength(1, 'must not be empty'))),
      password: z.optional(z.string({ error: 'must be a string' })),
      keyPrefix: z.string({ error: 'must be a string' }).check(z.maxLength(256, 'must be at most 256 characters')),
      ttl: unit('duration', 0, Number.MAX_SAFE_INTEGER),
      maxEntrySize: unit('size', 0, Number.MAX_SAFE_INTEGER),
      chunkSize: unit('size', 64 * 1024, 256 * 1024 * 1024),
      connectTimeout: unit('duration', 1, 3_600_000),
      commandTimeout: unit('duration', 1, 3_600_000),
      tlsCaFile: z.optional(absolutePath()),
      tlsRejectUnauthorized: boolean(),
      signingKey: z.optional(
        z.string({ error: 'must be a string' }).check(
          z.refine((key) => Buffer.byteLength(key, 'utf8') >= MIN_SIGNING_KEY_LENGTH, { error: `must be at least ${MIN_SIGNING_KEY_LENGTH} bytes (for example: openssl rand -hex 32)` }),
        ),
      ),
      signingKeyFile: z.optional(absolutePath()),
      allowUnsigned: boolean(),
      memoryTierSize: unit('size', 1, Number.MAX_SAFE_INTEGER),
    })
    .check(
      z.refine((s) => !(s.signingKey !== undefined && s.signingKeyFile !== undefined), {
        path: ['signingKeyFile'],
        error: 'give the signing key or a signing key file, not both',
      }),
      z.refine((s) => s.signingKey !== undefined || s.signingKeyFile !== undefined || s.allowUnsigned, {
        path: ['allowUnsigned'],
        error:
          'a shared remote tier needs a signing key (WASM_CACHE_SIGNING_KEY, signing-key-file) so nobody who can write to Redis can plant native code; set allow-unsigned = true only if every writer is trusted',
      }),
      z.refine((s) => s.url.startsWith('rediss:') || (s.tlsCaFile === undefined && s.tlsRejectUnauthorized), {
        path: ['tlsCaFile'],
        error: 'TLS options need a rediss:// URL',
      }),
    );
}

/** @internal The remote settings schema, built on the first call (what the package's own code validates with). */
export const remoteSettingsSchemaOf = lazy(buildRemoteSettingsSchema);

/**
 * The zod schema of the remote tier's settings: a required `redis://` or
 * `rediss://` URL, sizes and durations in Wasmtime's unit forms, and the
 * cross-field rules (TLS options only with `rediss://`, one signing key
 * source at most, and a signing key unless unsigned use is explicitly
 * allowed). Messages never contain a secret's value.
 *
 * Built on first use (importing the package does not construct it).
 */
export const remoteSettingsSchema = lazyObject(remoteSettingsSchemaOf);

/** The remote tier's settings after validation: sizes in bytes, durations in milliseconds. */
export type ResolvedRemoteSettings = z.output<typeof remoteSettingsSchema>;
