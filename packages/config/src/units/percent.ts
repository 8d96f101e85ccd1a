import { UnitParseError } from '../errors/unit-error.js';
import { checkedWhole, splitNumberAndUnit } from './split.js';

/**
 * Parses a percent the way Wasmtime does (`...-limit-percent-if-deleting`): a
 * whole number from 0 to 255 followed by `%`. Wasmtime reads it as a u8; the
 * at-most-100 rule is checked by validation, as Wasmtime does.
 *
 * @throws UnitParseError
 */
export function parsePercent(input: string): number {
  const { value, unit } = splitNumberAndUnit('percent', input);
  if (unit !== '%') {
    throw new UnitParseError('percent', input, unit === '' ? 'the % sign is required' : `unknown unit ${JSON.stringify(unit)}; only % is allowed`);
  }
  // Wasmtime reads the number as a u8; what it cannot hold is refused here in the words of the rule that matters.
  if (value > 255n) throw new UnitParseError('percent', input, 'must be at most 100%');
  return Number(value);
}

/**
 * Writes a percent: 70 -> "70%".
 *
 * @throws TypeError when `percent` is not a number; RangeError when it is not a whole number from 0 to 2^53-1.
 */
export function formatPercent(percent: number): string {
  return `${checkedWhole('formatPercent', 'percent', percent)}%`;
}
