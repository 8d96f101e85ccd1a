import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigFileAccessError, decodeConfigText, loadCacheConfig, loadCacheConfigSync, MAX_CONFIG_FILE_BYTES, readConfigText, readConfigTextSync, TomlSyntaxError } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'toml-text-'));

function write(name: string, ...parts: Array<string | number[]>): string {
  const file = join(dir, name);
  writeFileSync(file, Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : Buffer.from(part)))));
  return file;
}

async function rejection(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('reading a configuration file as UTF-8', () => {
  it('refuses a file that is not UTF-8 (Latin-1 here), naming the file, line, column and byte offset, instead of replacing the byte by U+FFFD', async () => {
    // "[cache]\n" is 8 bytes, 'directory = "/tmp/caf' 21 more: the 0xE9 is at offset 29, line 2, column 22.
    const file = write('latin1.toml', '[cache]\ndirectory = "/tmp/caf', [0xe9], '"\n');
    for (const error of [await rejection(() => readConfigText(file)), thrown(() => readConfigTextSync(file)), await rejection(() => loadCacheConfig(file)), thrown(() => loadCacheConfigSync(file))]) {
      expect(error).toBeInstanceOf(TomlSyntaxError);
      const syntax = error as TomlSyntaxError;
      expect(syntax.code).toBe('ERR_CACHE_TOML_SYNTAX');
      expect([syntax.file, syntax.line, syntax.column]).toEqual([file, 2, 22]);
      expect(syntax.message).toBe(`${file}:2:22: invalid TOML: not valid UTF-8 (byte 0xE9 at byte offset 29); a TOML file must be UTF-8`);
    }
  });

  it('counts characters, not bytes, for the column, and finds overlong forms, surrogates and truncated sequences', () => {
    const cases: Array<[number[], number, number]> = [
      [[0x61, 0xc3, 0xa9, 0xff], 1, 3], // 'a', 'é', then 0xFF: line 1, offset 3 (column 3)
      [[0xc0, 0x80], 1, 0], // overlong NUL
      [[0xed, 0xa0, 0x80], 1, 0], // a UTF-16 surrogate
      [[0xf4, 0x90, 0x80, 0x80], 1, 0], // above U+10FFFF
      [[0x61, 0x0a, 0x62, 0xe2, 0x82], 2, 3], // truncated at the end, on line 2
    ];
    for (const [bytes, line, offset] of cases) {
      const error = thrown(() => decodeConfigText(Uint8Array.from(bytes), 'x.toml')) as TomlSyntaxError;
      expect(error).toBeInstanceOf(TomlSyntaxError);
      expect(error.line).toBe(line);
      expect(error.reason).toContain(`at byte offset ${offset})`);
    }
    expect((thrown(() => decodeConfigText(Uint8Array.from([0x61, 0xc3, 0xa9, 0xff]), 'x.toml')) as TomlSyntaxError).column).toBe(3);
  });

  it('accepts a UTF-8 byte order mark and real UTF-8 text', async () => {
    const file = write('bom.toml', [0xef, 0xbb, 0xbf], '[cache]\ndirectory = "/tmp/café"\ncleanup-interval = "30m"\n');
    const config = await loadCacheConfig(file);
    expect(config.directory).toBe('/tmp/café');
    expect(config.cleanupInterval).toBe(1_800_000);
    expect(loadCacheConfigSync(file).directory).toBe('/tmp/café');
  });
});

describe('reading only a regular file of a bounded size', () => {
  // A FIFO with no writer blocked the open, and /dev/zero was read until the process ran out of memory: the hook reads
  // its file synchronously, so either stopped the application that named it.
  const fifo = join(dir, 'fifo.toml');
  execFileSync('mkfifo', [fifo]);

  const cases: Array<[string, string, string | undefined, RegExp]> = [
    ['a FIFO (no writer)', fifo, undefined, /it is a FIFO, not a regular file/],
    ['a character device that never ends (/dev/zero)', '/dev/zero', undefined, /it is a character device, not a regular file/],
    ['a directory', dir, 'EISDIR', /it is a directory, not a regular file/],
    ['a file over the limit', write('huge.toml', `# ${'x'.repeat(MAX_CONFIG_FILE_BYTES)}\n[cache]\n`), 'EFBIG', new RegExp(`it is ${MAX_CONFIG_FILE_BYTES + 11} bytes, more than a cache configuration file may be \\(${MAX_CONFIG_FILE_BYTES} bytes\\)`)],
  ];

  it.each(cases)('%s is refused at once with ConfigFileAccessError, sync and async', async (_name, file, systemCode, message) => {
    for (const error of [await rejection(() => readConfigText(file)), thrown(() => readConfigTextSync(file)), await rejection(() => loadCacheConfig(file)), thrown(() => loadCacheConfigSync(file))]) {
      expect(error).toBeInstanceOf(ConfigFileAccessError);
      expect(error).toMatchObject({ code: 'ERR_CACHE_CONFIG_FILE_ACCESS', file, systemCode });
      expect((error as Error).message).toMatch(new RegExp(`^Cannot read cache configuration file ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: `));
      expect((error as Error).message).toMatch(message);
    }
  });

  it('a file of exactly the limit is read whole', async () => {
    const body = '[cache]\ndirectory = "/tmp/limit"\n';
    const file = write('limit.toml', body, `#${'y'.repeat(MAX_CONFIG_FILE_BYTES - body.length - 2)}\n`);
    const text = readConfigTextSync(file);
    expect(Buffer.byteLength(text)).toBe(MAX_CONFIG_FILE_BYTES);
    expect(await readConfigText(file)).toBe(text);
    expect(loadCacheConfigSync(file).directory).toBe('/tmp/limit');
  });
});
