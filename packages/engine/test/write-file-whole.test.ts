import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileWhole } from '../src/node/write-file-whole.js';
import { tempDir } from './helpers.js';

describe('writeFileWhole: a small file written whole or not at all', () => {
  it('replaces the file, and leaves no temporary file beside it', () => {
    const dir = tempDir('write-whole-');
    const file = join(dir, 'note.json');
    writeFileSync(file, 'old');
    writeFileWhole(file, '{"at":1}');
    expect(readFileSync(file, 'utf8')).toBe('{"at":1}');
    writeFileWhole(file, new Uint8Array([1, 2, 3]));
    expect([...readFileSync(file)]).toEqual([1, 2, 3]);
    expect(readdirSync(dir)).toEqual(['note.json']);
  });

  it('throws when the rename fails, and removes its temporary file', () => {
    const dir = tempDir('write-whole-');
    const target = join(dir, 'taken');
    mkdirSync(join(target, 'inside'), { recursive: true }); // a non-empty folder cannot be renamed over
    expect(() => writeFileWhole(target, 'data')).toThrow(expect.objectContaining({ code: expect.stringMatching(/^(EISDIR|ENOTEMPTY|EEXIST)$/) }));
    expect(readdirSync(dir)).toEqual(['taken']);
    expect(readdirSync(target)).toEqual(['inside']);
  });

  it('throws when the folder is missing, and creates nothing', () => {
    const dir = tempDir('write-whole-');
    expect(() => writeFileWhole(join(dir, 'missing', 'note.json'), 'data')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(readdirSync(dir)).toEqual([]);
  });
});
