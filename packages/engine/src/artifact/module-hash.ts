import { nativeDigests } from '@cache/v8';
import { sha256, sha256Steps } from './checksum.js';

/**
 * Modules up to this size are named by the SHA-256 of their bytes; larger
 * ones by the SHA-256 of each piece of this size (see {@link moduleHash}).
 */
export const MODULE_HASH_PIECE_BYTES = 4 * 1024 * 1024;

/**
 * What a large module's hash is the SHA-256 of, before its pieces' digests.
 * No module starts with it (a module starts with `\0asm`), so a large
 * module's hash is never a small module's.
 */
const PIECES_PREFIX = new TextEncoder().encode('wasm-cache/module-pieces/4MiB\n');

/** The module's pieces of {@link MODULE_HASH_PIECE_BYTES} (the last one shorter), in rounds of `atOnce`, hashed together. */
function roundsOf(bytes: Uint8Array, atOnce: number): Uint8Array[][] {
  const rounds: Uint8Array[][] = [];
  for (let offset = 0; offset < bytes.byteLength; offset += MODULE_HASH_PIECE_BYTES) {
    const piece = bytes.subarray(offset, offset + MODULE_HASH_PIECE_BYTES);
    const round = rounds.at(-1);
    if (round && round.length < atOnce) round.push(piece);
    else rounds.push([piece]);
  }
  return rounds;
}

/**
 * The most pieces hashed at once: the event loop waits for a round (about
 * 2.3 ms per piece on each CPU), and where the CPUs the process may run on
 * are more than its CPU quota (Node 20 counts the former), a round of many
 * would take as long as all of them one by one.
 */
const MAX_PIECES_AT_ONCE = 4;

/** How many pieces are hashed at once: one per thread the process may run (at most 4), by the addon; one at a time without it. */
function piecesAtOnce(): number {
  return Math.max(1, Math.min(MAX_PIECES_AT_ONCE, nativeDigests()?.threads ?? 1));
}

/** The SHA-256 of each piece: by the addon, several at once on threads of their own; else one by one. */
function digestsOf(pieces: readonly Uint8Array[]): Uint8Array[] {
  const native = nativeDigests();
  return native ? native.sha256Each(pieces) : pieces.map((piece) => sha256(piece));
}

/** A large module's hash from its pieces' digests. */
function combined(digests: readonly Uint8Array[]): string {
  const hash = sha256Steps().update(PIECES_PREFIX);
  for (const digest of digests) hash.update(digest);
  return hash.hex();
}

/**
 * The identity of a module (hex): for a module up to
 * {@link MODULE_HASH_PIECE_BYTES} (4 MiB), the SHA-256 of its bytes; for a
 * larger one, the SHA-256 of `wasm-cache/module-pieces/4MiB\n` followed by
 * the SHA-256 of each 4 MiB piece of it in order (the last piece shorter).
 * As strong as SHA-256 either way, and a large module's pieces are hashed
 * on as many threads as the process may run at once (up to 4): half the time of one
 * SHA-256 of all its bytes with two (18 MB: 5.5 against 10 ms here), time a
 * cache load waits before anything can reach V8.
 */
export function moduleHash(bytes: Uint8Array): string {
  if (bytes.byteLength <= MODULE_HASH_PIECE_BYTES) return sha256(bytes).toString('hex');
  return combined(roundsOf(bytes, piecesAtOnce()).flatMap(digestsOf));
}

/** Bytes hashed between two turns of the event loop where pieces are hashed one at a time (about 0.6 ms). */
const STEP_BYTES = 1024 * 1024;

/** A turn of the event loop. */
function nextTurn(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

/** The SHA-256 of one piece, {@link STEP_BYTES} at a time with a turn of the event loop between steps. */
async function pieceInSteps(piece: Uint8Array): Promise<Uint8Array> {
  const hash = sha256Steps();
  for (let offset = 0; offset < piece.byteLength; offset += STEP_BYTES) {
    if (offset > 0) await nextTurn();
    hash.update(piece.subarray(offset, offset + STEP_BYTES));
  }
  return Buffer.from(hash.hex(), 'hex');
}

/**
 * {@link moduleHash}, with a turn of the event loop after each round of
 * pieces hashed at once (4 MiB each, about 2.3 ms here), or after each MiB
 * where they are hashed one at a time (one CPU, or no addon), so that file
 * reads started before it (the artifact's) make progress while it runs.
 */
export async function moduleHashInSteps(bytes: Uint8Array): Promise<string> {
  if (bytes.byteLength <= MODULE_HASH_PIECE_BYTES) return moduleHash(bytes);
  const atOnce = piecesAtOnce();
  const digests: Uint8Array[] = [];
  for (const [index, round] of roundsOf(bytes, atOnce).entries()) {
    if (index > 0) await nextTurn();
    if (atOnce > 1) digests.push(...digestsOf(round));
    else for (const piece of round) digests.push(await pieceInSteps(piece));
  }
  return combined(digests);
}
