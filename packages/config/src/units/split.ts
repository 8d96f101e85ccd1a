import { UnitParseError, type UnitKind } from '../errors/unit-error.js';

/**
 * The characters Rust's `str::trim` removes (Unicode White_Space), which is what
 * Wasmtime trims. JavaScript's `trim()` differs: it also removes U+FEFF and
 * keeps U+0085.
 */
const RUST_WHITE_SPACE = '\t\n\u000b\u000c\r \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000';

function isRustWhiteSpace(char: string): boolean {
  return RUST_WHITE_SPACE.includes(char);
}

/** Trims exactly what Wasmtime trims. */
export function rustTrim(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isRustWhiteSpace(text[start] as string)) start += 1;
  while (end > start && isRustWhiteSpace(text[end - 1] as string)) end -= 1;
  return text.slice(start, end);
}

/** Rust's `char::is_numeric`: general categories Nd, Nl and No. */
const NUMERIC = /^\p{N}$/u;

/** The largest value this project represents exactly (2^53 - 1). */
export const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

/** Rust's u64::MAX, Wasmtime's limit. */
const U64_MAX = (1n << 64n) - 1n;

/**
 * Splits a value the way Wasmtime does: trim, cut at the first non-numeric
 * character, parse the number part as an unsigned integer, trim the unit.
 * Returns the number (exact, as a bigint) and the unit text.
 */
export function splitNumberAndUnit(kind: UnitKind, input: string, maxNumber: bigint = U64_MAX): { value: bigint; unit: string } {
  const text = rustTrim(input);
  const chars = Array.from(text);
  let cut = chars.findIndex((char) => !NUMERIC.test(char));
  if (cut === -1) cut = chars.length;
  const numberPart = chars.slice(0, cut).join('');
  const unit = rustTrim(chars.slice(cut).join(''));
  if (numberPart.length === 0) {
    throw new UnitParseError(kind, input, 'it must start with a whole number (no sign, no fraction)');
  }
  if (!/^[0-9]+$/.test(numberPart)) {
    throw new UnitParseError(kind, input, 'only the digits 0-9 are allowed in the number');
  }
  // "1.5Gi": a fraction, said as such rather than as an unknown unit ".5Gi".
  if (/^\.\p{N}/u.test(unit)) {
    throw new UnitParseError(kind, input, 'it must be a whole number (no fraction)');
  }
  const value = BigInt(numberPart);
  if (value > maxNumber) {
    throw new UnitParseError(kind, input, `the number is larger than ${maxNumber}`);
  }
  return { value, unit };
}

/** The largest duration this cache represents exactly, in whole seconds (what a file or a variable can write). */
const MAX_EXACT_SECONDS = MAX_EXACT / 1000n;

/**
 * Multiplies and checks the result against Wasmtime's u64 range and the
 * exact-number range. A duration's result is in milliseconds, which Wasmtime
 * never computes (it keeps u64 seconds): one too large for this cache is said
 * to be above the 2^53-1 milliseconds limit, whatever a u64 would hold.
 */
export function scale(kind: UnitKind, input: string, value: bigint, factor: bigint): number {
  const result = value * factor;
  if (kind === 'duration' && result > MAX_EXACT) {
    throw new UnitParseError(
      kind,
      input,
      `the value is larger than ${Number.MAX_SAFE_INTEGER} milliseconds (2^53-1), the longest duration this cache can represent exactly; at most ${MAX_EXACT_SECONDS}s`,
    );
  }
  if (result > U64_MAX) {
    throw new UnitParseError(kind, input, 'the value overflows a 64-bit unsigned integer');
  }
  if (result > MAX_EXACT) {
    throw new UnitParseError(kind, input, `the value is larger than ${Number.MAX_SAFE_INTEGER}, the largest this cache can represent exactly`);
  }
  return Number(result);
}

/**
 * The value a formatter was given, when it is a whole number from 0 to 2^53-1.
 *
 * @param unit what the number counts, for the message (`'bytes'`), or `''`.
 * @throws TypeError naming the function and the value when it is not a number; RangeError when it is negative, a
 * fraction, not finite or above 2^53-1.
 */
export function checkedWhole(fn: string, unit: string, value: number): number {
  const of = unit === '' ? '' : ` of ${unit}`;
  if (typeof value !== 'number') throw new TypeError(`${fn} expects a number${of}, got ${typeof value} ${String(value)}`);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${fn} expects a whole number${of} from 0 to 2^53-1, got ${String(value)}`);
  }
  return value;
}
