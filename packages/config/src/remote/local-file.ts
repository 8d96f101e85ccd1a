import { nodeBuiltin } from '../node/node-builtin.js';

const { readFileSync } = nodeBuiltin<typeof import('node:fs')>('node:fs');

/** Why a file the remote tier needs cannot be used (never its content), and the error that says so when there was one. */
export type LocalFileFault = { readonly ok: false; readonly reason: string; readonly cause?: unknown };

/**
 * @internal A file the remote tier needs (the signing key file, the TLS CA
 * file), read from the local disk: its bytes, or `cannot be read (<code>)`
 * with the error (`ENOENT`, `EACCES`, `EISDIR`, …; `EUNKNOWN` without a code).
 */
export function readLocalFile(path: string): { readonly ok: true; readonly bytes: Buffer } | LocalFileFault {
  try {
    return { ok: true, bytes: readFileSync(path) };
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : 'EUNKNOWN';
    return { ok: false, reason: `cannot be read (${code})`, cause: error };
  }
}
