import { describe, expect, it } from 'vitest';
import { CacheConfigError } from '@cache/config';
import { locateKeys, MAX_CONFIG_FILE_BYTES, parseCacheConfig } from '../src/index.js';

/** Where parsing a file with one bad `cleanup-interval` says the problem is. */
function reportedAt(text: string): string {
  try {
    parseCacheConfig(text, { file: 'x.toml' });
  } catch (error) {
    if (!(error instanceof CacheConfigError)) throw error;
    const origin = error.problems[0]?.origin;
    return origin?.kind === 'file' ? `${origin.file}:${origin.line}:${origin.column}` : 'nowhere';
  }
  throw new Error('expected a CacheConfigError');
}

describe('locateKeys', () => {
  it('finds keys under table headers, dotted and quoted keys, skipping multi-line strings', () => {
    const text = ['# c', '[cache]', '  directory = "/x"', 'note = """', 'fake = 1', '"""', '"quoted.key" = 1', '[ "other" . sub ]', 'a.b = 2'].join('\n');
    const positions = locateKeys(text);
    expect(positions.find(['cache'])).toEqual({ line: 2, column: 1 });
    expect(positions.find(['cache', 'directory'])).toEqual({ line: 3, column: 3 });
    expect(positions.find(['cache', 'fake'])).toEqual({ line: 2, column: 1 }); // inside a string: falls back to the table
    expect(positions.find(['cache', 'quoted.key'])).toEqual({ line: 7, column: 1 });
    expect(positions.find(['other', 'sub', 'a', 'b'])).toEqual({ line: 9, column: 1 });
    expect(positions.find(['missing'])).toBeUndefined();
  });

  it('is not misled by a triple quote inside a basic or literal string', () => {
    expect(reportedAt('[cache]\ndirectory = "/tmp/it\'\'\'s"\n\ncleanup-interval = "bogus"\n')).toBe('x.toml:4:1');
    expect(reportedAt('[cache]\ndirectory = \'/tmp/say """hi\'\n\ncleanup-interval = "bogus"\n')).toBe('x.toml:4:1');
    expect(reportedAt('[cache]\ndirectory = "/tmp/a\\"\\"\\"b"\ncleanup-interval = "bogus"\n')).toBe('x.toml:3:1');
  });

  it('is not misled by a triple quote or a key-like text in a comment', () => {
    expect(reportedAt('[cache]\ndirectory = "/tmp/x" # see """\n\n\ncleanup-interval = "bogus"\n')).toBe('x.toml:5:1');
    expect(reportedAt("[cache] # ''' here\n# cleanup-interval = \"1h\"\ncleanup-interval = \"bogus\"\n")).toBe('x.toml:3:1');
  });

  it('follows multi-line strings of both kinds, with escapes, closing quotes run together and delimiters of the other kind inside', () => {
    expect(reportedAt('[cache]\ndirectory = """\n/tmp/x"""\ncleanup-interval = "bogus"\n')).toBe('x.toml:4:1');
    expect(reportedAt('[cache]\ndirectory = """/tmp/\\"""x\n\'\'\'\ncleanup-interval = 1\n"""\ncleanup-interval = "bogus"\n')).toBe('x.toml:6:1');
    expect(reportedAt('[cache]\ndirectory = \'\'\'/tmp/x\n"""\ncleanup-interval = 1\n\'\'\'\ncleanup-interval = "bogus"\n')).toBe('x.toml:6:1');
    expect(reportedAt('[cache]\ndirectory = """/tmp/x""""\ncleanup-interval = "bogus"\n')).toBe('x.toml:3:1');
    expect(reportedAt('[cache]\ndirectory = """/tmp/\\\n   x"""\ncleanup-interval = "bogus"\n')).toBe('x.toml:4:1');
  });

  it('points at a dotted key below a setting, not at the table header', () => {
    expect(reportedAt('[cache]\ncleanup-interval.x = "bogus"\n')).toBe('x.toml:2:1');
    expect(reportedAt('\ncache.cleanup-interval = "bogus"\n')).toBe('x.toml:2:1');
  });

  it('points at keys inside inline tables, arrays and multi-line inline tables', () => {
    expect(reportedAt('cache = { directory = "/tmp/x", cleanup-interval = "bogus" }\n')).toBe('x.toml:1:33');
    expect(reportedAt('cache = {\n  directory = "/tmp/x", # a comment with """\n  cleanup-interval = "bogus"\n}\n')).toBe('x.toml:3:3');
    const positions = locateKeys('a = [ "]", { b = 1 }, # ]\n  2 ]\nc = 3\n');
    expect(positions.find(['c'])).toEqual({ line: 3, column: 1 });
  });

  it('decodes escapes in quoted keys and counts columns in characters', () => {
    const positions = locateKeys('[cache]\n"cleanup\\u002Dinterval" = "1h"\n"é" = 1\n  \'ü\'.x = 2\n');
    expect(positions.find(['cache', 'cleanup-interval'])).toEqual({ line: 2, column: 1 });
    expect(positions.find(['cache', 'ü', 'x'])).toEqual({ line: 4, column: 3 });
    expect(locateKeys('a = "é" ; b = 1').find(['a'])).toEqual({ line: 1, column: 1 });
  });

  it('never throws or hangs on text that is not TOML', () => {
    for (const text of ['a = {', 'a = [', 'a = """', "[x\n'", 'a = { = }', 'a = [ } ]', '= 1', '"open', 'a = "\\', 'a = { b = [ ', '[[a]]\nb = {c = {d = 1}}']) {
      expect(() => locateKeys(text).find(['a'])).not.toThrow();
    }
  });

  it('locates a dotted key of tens of thousands of parts in linear time: such a file is refused with the usual error', () => {
    // 40,000 parts (80 KB), and as many as fit the 1 MiB limit (a fatal out-of-memory when each ancestor's path was joined whole).
    const parts = Math.floor((MAX_CONFIG_FILE_BYTES - 64) / 2);
    for (const count of [40_000, parts]) {
      const text = `a${'.a'.repeat(count)} = 1\n[cache]\n`;
      expect(text.length).toBeLessThanOrEqual(MAX_CONFIG_FILE_BYTES);
      const error = refusal(text);
      expect(error.problems).toHaveLength(1);
      expect(error.problems[0]).toMatchObject({ setting: 'a', rule: expect.stringMatching(/^unknown key at the top level/), origin: { file: 'x.toml', line: 1, column: 1 } });
      expect(error.message).toMatch(/^ {2}- a = .* \(x\.toml:1:1\): unknown key at the top level/m);
      const positions = locateKeys(text);
      const deepest = Array.from({ length: count + 1 }, () => 'a');
      expect(positions.find(deepest)).toEqual({ line: 1, column: 1 });
      expect(positions.find([...deepest, 'b'])).toEqual({ line: 1, column: 1 });
    }
    // Below [cache] and below [wasm-cache] too.
    for (const [text, setting] of [
      [`[cache]\na${'.a'.repeat(40_000)} = 1\n`, 'a'],
      [`[wasm-cache]\na${'.a'.repeat(40_000)} = 1\n[cache]\n`, 'wasm-cache.a'],
    ] as const) {
      expect(refusal(text).problems[0]).toMatchObject({ setting, origin: { line: 2, column: 1 } });
    }
  });

  it('shows the table such a dotted key makes 16 levels deep, so that the message and JSON can write it', () => {
    const error = refusal(`a${'.a'.repeat(20_000)} = 1\n[cache]\n`);
    expect(error.message).toContain(`  - a = ${'{"a":'.repeat(16)}"…"${'}'.repeat(16)} (x.toml:1:1): unknown key at the top level`);
    expect(() => JSON.stringify(error.problems)).not.toThrow();
  });

  it('counts columns of many keys on one long line, carried on along the line', () => {
    // 20,000 keys on one 240 KB line: counting each key's column from the line's start was 2.4e9 steps (about 20 s).
    const keys = Array.from({ length: 20_000 }, (_, k) => `k${k} = 1`);
    const text = `x = { ${keys.join(', ')} }\n[cache]\ncleanup-interval = "bogus"\n`;
    const positions = locateKeys(text);
    expect(positions.find(['x', 'k0'])).toEqual({ line: 1, column: 7 });
    expect(positions.find(['x', 'k19999'])).toEqual({ line: 1, column: text.indexOf('k19999 ') + 1 });
    expect(positions.find(['cache', 'cleanup-interval'])).toEqual({ line: 3, column: 1 });
    // Columns in code points, carried on along the line: a surrogate pair is one.
    expect(locateKeys('x = { a = "😀", b = { c = 1, "😀" = 2 } }').find(['x', 'b', '😀'])).toEqual({ line: 1, column: 29 });
  });

  it('never overflows the stack on arrays or inline tables nested without end', () => {
    for (const text of ['a = ' + '['.repeat(200_000), 'a = ' + '{b='.repeat(200_000), 'a = ' + '[\n'.repeat(100_000) + ']'.repeat(100_000)]) {
      expect(() => locateKeys(text).find(['a'])).not.toThrow();
      expect(locateKeys(text).find(['a'])).toEqual({ line: 1, column: 1 });
    }
  });
});

/** The CacheConfigError parsing `text` gives. */
function refusal(text: string): CacheConfigError {
  try {
    parseCacheConfig(text, { file: 'x.toml' });
  } catch (error) {
    if (error instanceof CacheConfigError) return error;
    throw error;
  }
  throw new Error('expected a CacheConfigError');
}
