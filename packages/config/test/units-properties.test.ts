import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  COUNT_UNITS,
  DURATION_UNITS,
  formatCount,
  formatDuration,
  formatPercent,
  formatSize,
  parseCount,
  parseDuration,
  parsePercent,
  parseSize,
  SIZE_UNITS,
  UnitParseError,
} from '../src/index.js';

const MAX = BigInt(Number.MAX_SAFE_INTEGER);
const whiteSpace = fc.constantFrom('', ' ', '  ', '\t', '\n', '\r\n', '\u00a0', '\u2003', '\u3000');

/** A number and unit written any valid way, with the value Wasmtime gives it. */
function validForm(units: Record<string, bigint>, unitRequired = false) {
  const names = Object.keys(units).filter((u) => !unitRequired || u !== '');
  return fc
    .record({
      unit: fc.constantFrom(...names),
      n: fc.bigInt({ min: 0n, max: 1n << 40n }),
      zeros: fc.nat({ max: 3 }),
      before: whiteSpace,
      between: whiteSpace,
      after: whiteSpace,
    })
    .filter(({ unit, n }) => n * (units[unit] as bigint) <= MAX)
    .map(({ unit, n, zeros, before, between, after }) => ({
      text: `${before}${'0'.repeat(zeros)}${n}${unit === '' ? '' : between}${unit}${after}`,
      value: Number(n * (units[unit] as bigint)),
    }));
}

/** Parsing must either succeed or throw the typed error: nothing else, never a hang. */
function onlyTypedErrors(parse: (text: string) => number) {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.stringMatching(/^[0-9 KMGTPikmgtp%sdh.\-+]{0,12}$/)), (text) => {
      try {
        const value = parse(text);
        expect(Number.isSafeInteger(value) && value >= 0).toBe(true);
      } catch (error) {
        expect(error).toBeInstanceOf(UnitParseError);
      }
    }),
    { numRuns: 3000 },
  );
}

describe('unit parsers, property-based', () => {
  it('every valid size form parses to its value, and formatting round-trips', () => {
    fc.assert(
      fc.property(validForm(SIZE_UNITS), ({ text, value }) => {
        expect(parseSize(text)).toBe(value);
        expect(parseSize(formatSize(value))).toBe(value);
      }),
      { numRuns: 2000 },
    );
  });

  it('every valid count form parses to its value, and formatting round-trips', () => {
    fc.assert(
      fc.property(validForm(COUNT_UNITS), ({ text, value }) => {
        expect(parseCount(text)).toBe(value);
        expect(parseCount(formatCount(value))).toBe(value);
      }),
      { numRuns: 2000 },
    );
  });

  it('every valid duration form parses to milliseconds, and formatting round-trips', () => {
    fc.assert(
      fc.property(validForm(DURATION_UNITS, true), ({ text, value }) => {
        expect(parseDuration(text)).toBe(value);
        expect(parseDuration(formatDuration(value))).toBe(value);
      }),
      { numRuns: 2000 },
    );
  });

  it('every percent 0..255 parses, and formatting round-trips', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), whiteSpace, whiteSpace, (n, a, b) => {
        expect(parsePercent(`${a}${n}${b}%${a}`)).toBe(n);
        expect(parsePercent(formatPercent(n))).toBe(n);
      }),
    );
  });

  it('formatting picks an exact unit: any integer round-trips through every formatter', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (n) => {
        expect(parseSize(formatSize(n))).toBe(n);
        expect(parseCount(formatCount(n))).toBe(n);
        const ms = n - (n % 1000);
        expect(parseDuration(formatDuration(ms))).toBe(ms);
      }),
      { numRuns: 2000 },
    );
  });

  it('random junk never throws anything but UnitParseError', () => {
    onlyTypedErrors(parseSize);
    onlyTypedErrors(parseCount);
    onlyTypedErrors(parseDuration);
    onlyTypedErrors(parsePercent);
  });

  it('lower-case units are always rejected (Wasmtime is case-sensitive)', () => {
    fc.assert(
      fc.property(fc.nat(), fc.constantFrom('k', 'ki', 'm', 'mi', 'g', 'gi', 't', 'p'), (n, unit) => {
        expect(() => parseSize(`${n}${unit}`)).toThrow(UnitParseError);
      }),
    );
  });
});
