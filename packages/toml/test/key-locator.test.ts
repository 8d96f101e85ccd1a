import { describe, expect, it } from 'vitest';
import { locateKeys } from '../src/index.js';

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
});
