import { describe, expect, it } from 'vitest';
import { BadHeaderError, readSerializedHeader, sameHeader, SERIALIZED_HEADER_SIZE } from '../src/index.js';

/** Header bytes written by hand; these are only parsed, never given to V8. */
function header(words: [number, number, number, number], extra = 0): Uint8Array {
  const bytes = new Uint8Array(SERIALIZED_HEADER_SIZE + extra);
  const view = new DataView(bytes.buffer);
  words.forEach((word, index) => view.setUint32(index * 4, word, true));
  return bytes;
}

describe('readSerializedHeader', () => {
  it('reads the four little-endian words and their hex form', () => {
    const parsed = readSerializedHeader(header([0xc0de05cc, 0x00e4c20b, 0x2fff, 0x50462153], 8));
    expect(parsed).toEqual({
      magic: 0xc0de05cc,
      versionHash: 0x00e4c20b,
      cpuFeatures: 0x2fff,
      flagHash: 0x50462153,
      hex: 'cc05dec00bc2e400ff2f000053214650',
    });
  });

  it('honours the view offset of a subarray', () => {
    const bytes = new Uint8Array(40);
    bytes.set(header([0xc0de0628, 1, 2, 3]), 7);
    expect(readSerializedHeader(bytes.subarray(7)).flagHash).toBe(3);
  });

  it('rejects short input and a wrong magic with ERR_CACHE_V8_BAD_HEADER', () => {
    expect(() => readSerializedHeader(new Uint8Array(0))).toThrow(BadHeaderError);
    expect(() => readSerializedHeader(new Uint8Array(15))).toThrow(/fewer than the 16-byte header/);
    try {
      readSerializedHeader(header([0x12345678, 0, 0, 0]));
      expect.fail('no error');
    } catch (error) {
      expect(error).toMatchObject({ code: 'ERR_CACHE_V8_BAD_HEADER', name: 'BadHeaderError' });
    }
  });

  it('rejects a non-Uint8Array with ERR_CACHE_V8_INVALID_ARGUMENT', () => {
    expect(() => readSerializedHeader('abc' as unknown as Uint8Array)).toThrow(
      expect.objectContaining({ code: 'ERR_CACHE_V8_INVALID_ARGUMENT' }),
    );
  });

  it('compares headers', () => {
    const a = readSerializedHeader(header([0xc0de05cc, 1, 2, 3]));
    expect(sameHeader(a, readSerializedHeader(header([0xc0de05cc, 1, 2, 3])))).toBe(true);
    expect(sameHeader(a, readSerializedHeader(header([0xc0de05cc, 1, 2, 4])))).toBe(false);
  });
});
