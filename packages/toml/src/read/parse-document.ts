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
      throw new TomlSyntaxError(file, error.line, error.column, withRedefinedName(reason, text, error.line), { cause: error });
    }
    throw error;
  }
}

/** A table header (`[cache]`, `[[x]]`) or the key before a line's `=` (bare, dotted or quoted). */
const DEFINED_NAME = /^\s*(?:(\[\[?[^\]]*\]\]?)|((?:"(?:[^"\\]|\\.)*"|'[^']*'|[^=#"'])+?)\s*=)/;

/**
 * The parser's "trying to redefine an already defined table or value" names
 * neither: the key or table on the line it points at is put first
 * (`directory: trying to redefine ...`), so the message says what is defined
 * twice as well as where.
 */
function withRedefinedName(reason: string, text: string, line: number): string {
  if (!reason.startsWith('trying to redefine')) return reason;
  const match = DEFINED_NAME.exec(text.split(/\r?\n/)[line - 1] ?? '');
  const name = (match?.[1] ?? match?.[2])?.trim();
  return name ? `${name}: ${reason}` : reason;
}
