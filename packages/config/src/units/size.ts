import { UnitParseError } from '../errors/unit-error.js';
import { checkedWhole, scale, splitNumberAndUnit } from './split.js';

/** Byte multipliers Wasmtime accepts for sizes; case-sensitive. */
export const SIZE_UNITS = {
  '': 1n,
  K: 1000n,
  Ki: 1n << 10n,
  M: 1000n ** 2n,
  Mi: 1n << 20n,
  G: 1000n ** 3n,
  Gi: 1n << 30n,
  T: 1000n ** 4n,
  Ti: 1n << 40n,
  P: 1000n ** 5n,
  Pi: 1n << 50n,
} as const satisfies Record<string, bigint>;

/** A size unit suffix. */
export type SizeUnit = keyof typeof SIZE_UNITS;

/**
 * Parses a size the way Wasmtime does (`files-total-size-soft-limit`):
 * a whole number, optionally followed by K, Ki, M, Mi, G, Gi, T, Ti, P or Pi,
 * with white space allowed around and between them. Returns bytes.
 *
 * @throws UnitParseError
 */
export function parseSize(input: string): number {
  const { value, unit } = splitNumberAndUnit('size', input);
  if (!Object.hasOwn(SIZE_UNITS, unit)) {
    throw new UnitParseError('size', input, `unknown unit ${JSON.stringify(unit)}; use one of K, Ki, M, Mi, G, Gi, T, Ti, P, Pi or none (bytes)`);
  }
  return scale('size', input, value, SIZE_UNITS[unit as SizeUnit]);
}

/**
 * Writes bytes with the largest unit that divides them exactly, binary first: 1048576 -> "1Mi".
 *
 * @throws TypeError when `bytes` is not a number; RangeError when it is not a whole number from 0 to 2^53-1.
 */
export function formatSize(bytes: number): string {
  const big = BigInt(checkedWhole('formatSize', 'bytes', bytes));
  if (big === 0n) return '0';
  for (const unit of ['Pi', 'P', 'Ti', 'T', 'Gi', 'G', 'Mi', 'M', 'Ki', 'K'] as const) {
    const factor = SIZE_UNITS[unit];
    if (big % factor === 0n) return `${big / factor}${unit}`;
  }
  return String(big);
}
