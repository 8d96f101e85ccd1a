// `fs.promises` is read where it is used: loading node:fs/promises costs a process 1-2 ms, and the hook (which bundles
// the CommonJS build) reads its file synchronously. node:fs itself is taken with `nodeBuiltin`, not an ES `import`,
// whose namespace Node builds by reading every export (`fs.promises` on Node 24, and the streams: 2-3 ms).
import { ConfigFileAccessError, systemCodeOf, TomlSyntaxError } from '../errors/toml-errors.js';
import { nodeBuiltin } from '../node/node-builtin.js';

const fs = nodeBuiltin<typeof import('node:fs')>('node:fs');

/**
 * The largest configuration file read (1 MiB; a cache configuration is a few
 * hundred bytes). A larger file is refused with `ConfigFileAccessError`
 * (`systemCode` `EFBIG`) instead of being read into memory.
 */
export const MAX_CONFIG_FILE_BYTES = 1 << 20;

/**
 * Opened without blocking: a FIFO with no writer would otherwise block the
 * open (and with it the process: the hook reads its file synchronously). A
 * regular file reads the same either way. (0 where the platform has no such flag.)
 */
const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);

/** What a file that is not a regular one is, for the message. */
function kindOf(stats: import('node:fs').Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Why an opened file is not read, or undefined: only a regular file of at
 * most {@link MAX_CONFIG_FILE_BYTES} is (a device such as /dev/zero, or a FIFO,
 * could be read forever).
 */
function refusal(stats: import('node:fs').Stats): Error | undefined {
  return notRegularFile(stats) ?? (stats.size > MAX_CONFIG_FILE_BYTES ? tooLarge(`${stats.size} bytes`) : undefined);
}

/**
 * Why a file that is not a regular one is neither read nor replaced (`it is
 * a FIFO, not a regular file`; code EISDIR for a directory), or undefined
 * for a regular file.
 */
export function notRegularFile(stats: import('node:fs').Stats): Error | undefined {
  if (stats.isFile()) return undefined;
  const kind = kindOf(stats);
  return Object.assign(new Error(`it is ${kind}${kind.startsWith('not') ? '' : ', not a regular file'}`), stats.isDirectory() ? { code: 'EISDIR' } : {});
}

function tooLarge(size: string): Error {
  return Object.assign(new Error(`it is ${size}, more than a cache configuration file may be (${MAX_CONFIG_FILE_BYTES} bytes)`), { code: 'EFBIG' });
}

/**
 * A configuration file's text.
 *
 * @throws (rejects with) ConfigFileAccessError naming the file and the system's code (ENOENT, EACCES...; EISDIR for a
 * directory, EFBIG for a file over {@link MAX_CONFIG_FILE_BYTES}, none for another kind of file such as a FIFO or a
 * device), or TomlSyntaxError when the file is not UTF-8 (see {@link decodeConfigText}).
 */
export async function readConfigText(file: string): Promise<string> {
  let bytes: Uint8Array;
  try {
    const handle = await fs.promises.open(file, OPEN_FLAGS);
    try {
      const refused = refusal(await handle.stat());
      if (refused) throw refused;
      // At most one byte more than allowed: a file that grew past the limit since its size was read is refused too.
      const buffer = Buffer.allocUnsafe(MAX_CONFIG_FILE_BYTES + 1);
      let length = 0;
      for (let read = -1; read !== 0 && length < buffer.length; length += read) ({ bytesRead: read } = await handle.read(buffer, length, buffer.length - length, length));
      if (length > MAX_CONFIG_FILE_BYTES) throw tooLarge('still growing');
      bytes = buffer.subarray(0, length);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new ConfigFileAccessError(file, 'read', systemCodeOf(error), { cause: error });
  }
  return decodeConfigText(bytes, file);
}

/** The synchronous form of {@link readConfigText}. */
export function readConfigTextSync(file: string): string {
  let bytes: Uint8Array;
  try {
    const fd = fs.openSync(file, OPEN_FLAGS);
    try {
      const refused = refusal(fs.fstatSync(fd));
      if (refused) throw refused;
      const buffer = Buffer.allocUnsafe(MAX_CONFIG_FILE_BYTES + 1);
      let length = 0;
      for (let read = -1; read !== 0 && length < buffer.length; length += read) read = fs.readSync(fd, buffer, length, buffer.length - length, length);
      if (length > MAX_CONFIG_FILE_BYTES) throw tooLarge('still growing');
      bytes = buffer.subarray(0, length);
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    throw new ConfigFileAccessError(file, 'read', systemCodeOf(error), { cause: error });
  }
  return decodeConfigText(bytes, file);
}

/**
 * A file's bytes as text. TOML files are UTF-8 (and Wasmtime's `read_to_string`
 * refuses anything else), so bytes that are not valid UTF-8 are an error rather
 * than characters silently replaced by U+FFFD. A leading UTF-8 byte order mark
 * is accepted and dropped.
 *
 * @throws TomlSyntaxError (`ERR_CACHE_TOML_SYNTAX`) naming the file, the line and
 * column of the first bad byte, and its byte offset.
 */
export function decodeConfigText(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    const offset = firstInvalidUtf8Offset(bytes);
    let lineStart = 0;
    let line = 1;
    for (let i = 0; i < offset; i += 1) {
      if (bytes[i] === 0x0a) {
        line += 1;
        lineStart = i + 1;
      }
    }
    // The bytes before the bad one are valid UTF-8: count the characters, not the bytes, for the column.
    const before = new TextDecoder('utf-8', { ignoreBOM: line > 1 }).decode(bytes.subarray(lineStart, offset));
    const column = Array.from(before).length + 1;
    const byte = (bytes[offset] ?? 0).toString(16).toUpperCase().padStart(2, '0');
    throw new TomlSyntaxError(file, line, column, `not valid UTF-8 (byte 0x${byte} at byte offset ${offset}); a TOML file must be UTF-8`, { cause: error });
  }
}

/** The offset of the first byte that starts no valid UTF-8 sequence (RFC 3629: no overlongs, surrogates or code points above U+10FFFF). */
function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i] as number;
    let length: number;
    let min = 0x80;
    let max = 0xbf;
    if (lead < 0x80) {
      i += 1;
      continue;
    } else if (lead >= 0xc2 && lead <= 0xdf) {
      length = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3;
      if (lead === 0xe0) min = 0xa0;
      if (lead === 0xed) max = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4;
      if (lead === 0xf0) min = 0x90;
      if (lead === 0xf4) max = 0x8f;
    } else {
      return i;
    }
    for (let k = 1; k < length; k += 1) {
      const next = bytes[i + k];
      const low = k === 1 ? min : 0x80;
      const high = k === 1 ? max : 0xbf;
      if (next === undefined || next < low || next > high) return i;
    }
    i += length;
  }
  return bytes.length;
}
