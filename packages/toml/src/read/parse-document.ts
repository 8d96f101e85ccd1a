import { parse, TomlError } from 'smol-toml';
import { TomlSyntaxError } from '../errors/toml-errors.js';

/**
 * Parses TOML text into its document (tables as objects). TOML integers are
 * bigints and TOML floats are numbers, so the two stay apart (`3` and `3.0`
 * are one JavaScript number): Wasmtime's integer settings refuse floats, and
 * an integer beyond 2^53 stays exact for the message that refuses it.
 *
 * @throws TomlSyntaxError naming the file, line and column when the text is not TOML.
 */
export function parseTomlDocument(text: string, file: string): Record<string, unknown> {
  try {
    return parse(text, { integersAsBigInt: true }) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof TomlError) {
      const reason = error.message.split('\n')[0]?.replace(/^Invalid TOML document: /, '') ?? error.message;
      throw new TomlSyntaxError(file, error.line, error.column, reason, { cause: error });
    }
    throw error;
  }
}
