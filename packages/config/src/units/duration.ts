import { UnitParseError } from '../errors/unit-error.js';
import { scale, splitNumberAndUnit } from './split.js';

/** Milliseconds per duration unit Wasmtime accepts; a unit is required. */
export const DURATION_UNITS = {
  s: 1000n,
  m: 60n * 1000n,
  h: 60n * 60n * 1000n,
  d: 24n * 60n * 60n * 1000n,
} as const satisfies Record<string, bigint>;

/**
 * Parses a duration the way Wasmtime does (`cleanup-interval`, ...): a whole
 * number followed by s, m, h or d. Returns milliseconds.
 *
 * @throws UnitParseError
 */
export function parseDuration(input: string): number {
  const { value, unit } = splitNumberAndUnit('duration', input);
  if (unit === '') {
    throw new UnitParseError('duration', input, 'a unit is required: s, m, h or d');
  }
  if (!Object.hasOwn(DURATION_UNITS, unit)) {
    throw new UnitParseError('duration', input, `unknown unit ${JSON.stringify(unit)}; use s, m, h or d`);
  }
  return scale('duration', input, value, DURATION_UNITS[unit as keyof typeof DURATION_UNITS]);
}

/** True when a duration in milliseconds can be written in Wasmtime's format (whole seconds). */
export function isWholeSeconds(milliseconds: number): boolean {
  return Number.isSafeInteger(milliseconds) && milliseconds >= 0 && milliseconds % 1000 === 0;
}

/**
 * Writes milliseconds with the largest unit that divides them exactly:
 * 3600000 -> "1h". Wasmtime's format has no unit below seconds.
 *
 * @throws RangeError when the duration is not a whole number of seconds.
 */
export function formatDuration(milliseconds: number): string {
  if (!isWholeSeconds(milliseconds)) {
    throw new RangeError(`${milliseconds} ms is not a whole number of seconds, which is the finest unit the file format has`);
  }
  const big = BigInt(milliseconds);
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const factor = DURATION_UNITS[unit];
    if (big % factor === 0n) return `${big / factor}${unit}`;
  }
  return `${big / 1000n}s`;
}
