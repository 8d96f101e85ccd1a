import { UnitParseError } from '../errors/unit-error.js';
import { checkedWhole, scale, splitNumberAndUnit } from './split.js';

/** SI multipliers Wasmtime accepts for counts (powers of 1000); case-sensitive. */
export const COUNT_UNITS = {
  '': 1n,
  K: 1000n,
  M: 1000n ** 2n,
  G: 1000n ** 3n,
  T: 1000n ** 4n,
  P: 1000n ** 5n,
} as const satisfies Record<string, bigint>;

/**
 * Parses a count the way Wasmtime does (`file-count-soft-limit`,
 * `worker-event-queue-size`, `optimized-compression-usage-counter-threshold`):
 * a whole number with an optional SI prefix K, M, G, T or P.
 *
 * @throws UnitParseError
 */
export function parseCount(input: string): number {
  const { value, unit } = splitNumberAndUnit('count', input);
  if (!Object.hasOwn(COUNT_UNITS, unit)) {
    throw new UnitParseError('count', input, `unknown prefix ${JSON.stringify(unit)}; use one of K, M, G, T, P or none`);
  }
  return scale('count', input, value, COUNT_UNITS[unit as keyof typeof COUNT_UNITS]);
}

/**
 * Writes a count with the largest SI prefix that divides it exactly: 65000 -> "65K".
 *
 * @throws TypeError when `count` is not a number; RangeError when it is not a whole number from 0 to 2^53-1.
 */
export function formatCount(count: number): string {
  const big = BigInt(checkedWhole('formatCount', '', count));
  if (big === 0n) return '0';
  for (const unit of ['P', 'T', 'G', 'M', 'K'] as const) {
    const factor = COUNT_UNITS[unit];
    if (big % factor === 0n) return `${big / factor}${unit}`;
  }
  return String(big);
}
