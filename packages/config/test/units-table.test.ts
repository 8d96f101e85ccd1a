import { describe, expect, it } from 'vitest';
import { formatCount, formatPercent, formatSize, parseCount, parseDuration, parsePercent, parseSize, UnitParseError } from '../src/index.js';

// Accepted and rejected forms, mirroring Wasmtime's deserializers in crates/cache/src/config.rs:
// trim, cut at the first non-numeric character, parse an unsigned integer, trim the unit, match it exactly.
const Ki = 1024;
const Mi = 1024 ** 2;
const Gi = 1024 ** 3;

const acceptedSizes: Array<[string, number]> = [
  ['0', 0],
  ['512', 512],
  ['1K', 1000],
  ['1Ki', Ki],
  ['2M', 2_000_000],
  ['512Mi', 512 * Mi],
  ['1G', 1e9],
  ['1Gi', Gi],
  ['3T', 3e12],
  ['1Ti', 1024 ** 4],
  ['2P', 2e15],
  ['  1Gi  ', Gi],
  ['1 Gi', Gi],
  ['1 \t Gi', Gi],
  ['\n1Mi\n', Mi],
  ['007K', 7000],
  ['\u00a01Ki\u3000', Ki], // Unicode White_Space is trimmed, as Rust's str::trim does
];

const rejectedSizes: string[] = [
  '',
  '   ',
  'Gi',
  '-1',
  '+1',
  '1.5Gi',
  '1,000',
  '1g',
  '1gi',
  '1GI',
  '1KB',
  '1 GiB',
  '1 bytes',
  '1Gi 2',
  '0x10',
  '1e3',
  '\ufeff1Ki', // U+FEFF is not White_Space in Rust
  '١٢', // Arabic-Indic digits are numeric to Rust but do not parse as u64
  '18446744073709551616', // u64::MAX + 1
  '16384Pi', // overflows u64 after multiplying
  '9007199254740992', // 2^53: fits Wasmtime's u64 but is not exact in JavaScript (documented limit)
];

describe('sizes (files-total-size-soft-limit)', () => {
  it.each(acceptedSizes)('accepts %j', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });
  it.each(rejectedSizes)('rejects %j with a UnitParseError', (text) => {
    expect(() => parseSize(text)).toThrow(UnitParseError);
  });
  it('rejects 8Pi (2^53) as beyond exact integers, naming the limit', () => {
    expect(() => parseSize('8Pi')).toThrow(/9007199254740991/);
  });
  it('accepts 7Pi, below the exact-integer limit', () => {
    expect(parseSize('7Pi')).toBe(7 * 1024 ** 5);
  });
});

describe('counts (file-count-soft-limit, worker-event-queue-size, usage threshold)', () => {
  it.each([
    ['65536', 65536],
    ['64K', 64_000],
    ['1M', 1e6],
    ['2G', 2e9],
    ['1T', 1e12],
    ['1P', 1e15],
    [' 16 ', 16],
    ['16 K', 16_000],
  ] as Array<[string, number]>)('accepts %j', (text, count) => {
    expect(parseCount(text)).toBe(count);
  });
  it.each(['64Ki', '64k', '1m', '-5', '1.5K', 'K', '10 thousand', '', '1KK'])('rejects %j', (text) => {
    expect(() => parseCount(text)).toThrow(UnitParseError);
  });
});

describe('durations (cleanup-interval, …)', () => {
  it.each([
    ['1s', 1000],
    ['90s', 90_000],
    ['30m', 1_800_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    [' 2 h ', 7_200_000],
    ['0s', 0],
  ] as Array<[string, number]>)('accepts %j', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
  it.each(['10', '10 min', '1H', '1D', '1ms', '1w', '1.5h', 'h', '-1s', '1 s s', '', '18446744073709551615d'])('rejects %j', (text) => {
    expect(() => parseDuration(text)).toThrow(UnitParseError);
  });
  it('says a unit is required when there is none', () => {
    expect(() => parseDuration('10')).toThrow(/unit is required/);
  });
  it('refuses a duration above 2^53-1 milliseconds for that limit, not as a u64 overflow (Wasmtime keeps u64 seconds and takes it)', () => {
    expect(() => parseDuration('20000000000000000s')).toThrow(
      new UnitParseError(
        'duration',
        '20000000000000000s',
        'the value is larger than 9007199254740991 milliseconds (2^53-1), the longest duration this cache can represent exactly; at most 9007199254740s',
      ),
    );
    expect(() => parseDuration('20000000000000000s')).not.toThrow(/64-bit/);
    expect(parseDuration('9007199254740s')).toBe(9_007_199_254_740_000);
    expect(() => parseDuration('9007199254741s')).toThrow(/2\^53-1/);
    // The number itself is still read as Wasmtime reads it, a u64.
    expect(() => parseDuration('18446744073709551616s')).toThrow(/the number is larger than 18446744073709551615/);
  });
});

describe('percents (…-limit-percent-if-deleting)', () => {
  it.each([
    ['70%', 70],
    ['0%', 0],
    ['100%', 100],
    [' 70 % ', 70],
    ['255%', 255], // parses as u8, as Wasmtime does; the <= 100 rule is validation's
  ] as Array<[string, number]>)('accepts %j', (text, percent) => {
    expect(parsePercent(text)).toBe(percent);
  });
  it.each(['70', '256%', '70 percent', '-1%', '7.5%', '%', '70%%'])('rejects %j', (text) => {
    expect(() => parsePercent(text)).toThrow(UnitParseError);
  });
});

describe('the error', () => {
  it('carries a stable code, the kind, the input and the reason', () => {
    try {
      parseSize('1 GB');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(UnitParseError);
      const e = error as UnitParseError;
      expect(e.code).toBe('ERR_CACHE_UNIT_INVALID');
      expect(e.kind).toBe('size');
      expect(e.input).toBe('1 GB');
      expect(e.message).toContain('"GB"');
    }
  });
});

describe('the formatters refuse what they cannot write', () => {
  it('throws a RangeError naming the function and the value for negatives, fractions, non-finite and unsafe numbers', () => {
    expect(() => formatSize(-1024)).toThrow(new RangeError('formatSize expects a whole number of bytes from 0 to 2^53-1, got -1024'));
    expect(() => formatSize(1.5)).toThrow(new RangeError('formatSize expects a whole number of bytes from 0 to 2^53-1, got 1.5'));
    expect(() => formatSize(Number.NaN)).toThrow(RangeError);
    expect(() => formatSize(2 ** 60)).toThrow(RangeError);
    expect(() => formatCount(-1)).toThrow(new RangeError('formatCount expects a whole number from 0 to 2^53-1, got -1'));
    expect(() => formatCount(0.5)).toThrow(RangeError);
    expect(() => formatPercent(-5)).toThrow(new RangeError('formatPercent expects a whole number of percent from 0 to 2^53-1, got -5'));
    expect(() => formatSize('1' as unknown as number)).toThrow(new TypeError('formatSize expects a number of bytes, got string 1'));
    expect([formatSize(0), formatSize(1024), formatCount(65000), formatPercent(70)]).toEqual(['0', '1Ki', '65K', '70%']);
  });
});

describe('a fraction is said as a fraction', () => {
  it.each([
    ['1.5Gi', parseSize],
    ['1.5K', parseCount],
    ['1.5h', parseDuration],
    ['7.5%', parsePercent],
  ] as const)('%j: "must be a whole number (no fraction)", not an unknown unit', (text, parse) => {
    expect(() => parse(text)).toThrow(/it must be a whole number \(no fraction\)/);
    expect(() => parse(text)).not.toThrow(/unknown unit/);
  });
});
