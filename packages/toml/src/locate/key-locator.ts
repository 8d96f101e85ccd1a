import { PathTrie, type PathNode } from './path-trie.js';

/** A 1-based position in a text. */
export interface TextPosition {
  line: number;
  column: number;
}

/** Where each key and table header of a TOML text stands, by dotted path (`cache.directory`). */
export interface KeyPositions {
  /**
   * The position of a key (`cache.cleanup-interval`) or table header
   * (`cache`); for a path that was never written, that of its nearest
   * ancestor that was.
   */
  find(path: readonly string[]): TextPosition | undefined;
}

const BARE_KEY_CHAR = /[A-Za-z0-9_-]/;

/** The escapes of a TOML basic string, by the character after the backslash. */
const ESCAPES: Readonly<Record<string, string>> = { b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', e: '\u001b', '"': '"', '\\': '\\' };

/** Hex digits after `\x`, `\u` and `\U`. */
const HEX_ESCAPE_LENGTH: Readonly<Record<string, number>> = { x: 2, u: 4, U: 8 };

/**
 * Arrays and inline tables nested deeper than this are not followed, so that
 * no text makes the scanner's recursion overflow the stack (smol-toml refuses
 * documents nested deeper than this too).
 */
const MAX_NESTING = 1_000;

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/**
 * A lexical scanner of TOML text: it follows strings of all four kinds (with
 * escapes), comments, arrays and inline tables, so that nothing inside a
 * string or comment is mistaken for a key or a delimiter. It records where
 * each key path is first written. Input that is not TOML never makes it loop
 * or throw; positions found in it are best effort.
 */
class Scanner {
  /** The paths written. */
  readonly paths = new PathTrie();
  /** The text of each key's bare value (a number, boolean or date), as first written. */
  readonly literals = new Map<PathNode, string>();
  #i = 0;
  #line = 1;
  #lineStart = 0;
  /** The column count is carried on along a line: up to `#countedTo` the line has `#counted` code points. */
  #countedTo = 0;
  #counted = 0;
  /** Arrays and inline tables open at the cursor. */
  #nesting = 0;

  constructor(private readonly text: string) {}

  scan(): void {
    let table = this.paths.root;
    while (this.#i < this.text.length) {
      this.#skipBlanks();
      const char = this.text[this.#i];
      if (char === undefined) break;
      if (char === '\n' || char === '\r' || char === '#') {
        this.#skipToNextLine();
        continue;
      }
      const position = this.#position();
      if (char === '[') {
        this.#advance(this.text.startsWith('[[', this.#i) ? 2 : 1);
        this.#skipBlanks();
        const header = this.#readKey();
        if (header) {
          table = this.paths.root;
          for (const part of header) table = this.paths.child(table, part);
          this.paths.record(table, position);
        }
        this.#skipToNextLine();
        continue;
      }
      this.#scanKeyValue(table, position);
      this.#skipToNextLine();
    }
  }

  /**
   * A `key = value` at the cursor, under `table` (a table's node): the key,
   * and each table its dotted parts create, is recorded where not yet
   * recorded, and the value scanned. False when it is not one (no key, or no
   * `=` after it), with the cursor after what was read.
   */
  #scanKeyValue(table: PathNode, position: TextPosition): boolean {
    const key = this.#readKey();
    this.#skipBlanks();
    if (!key || this.text[this.#i] !== '=') return false;
    this.#advance(1);
    let node = table;
    for (const part of key) {
      node = this.paths.child(node, part);
      this.paths.record(node, position);
    }
    this.#skipBlanks();
    const start = this.#i;
    const bare = !'"\'{['.includes(this.text[start] ?? '"');
    this.#scanValue(node);
    if (bare && !this.literals.has(node)) this.literals.set(node, this.text.slice(start, this.#i).trimEnd());
    return true;
  }

  /**
   * The cursor's line and column (in code points, as `Array.from` counts
   * them: a surrogate pair is one, a lone surrogate one). The count goes on
   * from the last one taken on the same line, so that many keys on one long
   * line (an inline table) cost the line's length once, not once per key.
   */
  #position(): TextPosition {
    if (this.#countedTo < this.#lineStart) {
      this.#countedTo = this.#lineStart;
      this.#counted = 0;
    }
    for (let j = this.#countedTo; j < this.#i; j += 1) {
      // The low half of a surrogate pair is counted with its high half.
      const pairEnd = j > this.#lineStart && isLowSurrogate(this.text.charCodeAt(j)) && isHighSurrogate(this.text.charCodeAt(j - 1));
      if (!pairEnd) this.#counted += 1;
    }
    this.#countedTo = Math.max(this.#countedTo, this.#i);
    return { line: this.#line, column: this.#counted + 1 };
  }

  #advance(count: number): void {
    for (let k = 0; k < count && this.#i < this.text.length; k += 1) {
      if (this.text[this.#i] === '\n') {
        this.#line += 1;
        this.#lineStart = this.#i + 1;
      }
      this.#i += 1;
    }
  }

  #skipBlanks(): void {
    while (this.text[this.#i] === ' ' || this.text[this.#i] === '\t') this.#i += 1;
  }

  /** Skips white space, newlines and comments (between the elements of an array or inline table). */
  #skipBlanksAndComments(): void {
    for (;;) {
      const char = this.text[this.#i];
      if (char === ' ' || char === '\t' || char === '\r' || char === '\n') this.#advance(1);
      else if (char === '#') this.#skipComment();
      else return;
    }
  }

  #skipComment(): void {
    while (this.#i < this.text.length && this.text[this.#i] !== '\n') this.#i += 1;
  }

  /** Skips the rest of the line (white space, a comment, or what a bad line holds) and its newline. */
  #skipToNextLine(): void {
    this.#skipComment();
    this.#advance(1);
  }

  /** Reads a dotted key (`a."b.c".d`); undefined when there is none here. */
  #readKey(): string[] | undefined {
    const parts: string[] = [];
    for (;;) {
      this.#skipBlanks();
      const char = this.text[this.#i];
      if (char === '"' || char === "'") {
        const part = this.#readSingleLineString(char);
        if (part === undefined) return undefined;
        parts.push(part);
      } else {
        const start = this.#i;
        while (this.#i < this.text.length && BARE_KEY_CHAR.test(this.text[this.#i] as string)) this.#i += 1;
        if (this.#i === start) return undefined;
        parts.push(this.text.slice(start, this.#i));
      }
      this.#skipBlanks();
      if (this.text[this.#i] !== '.') return parts;
      this.#i += 1;
    }
  }

  /** Reads a basic (`"..."`, with escapes) or literal (`'...'`) string on one line; undefined when it is not closed there. */
  #readSingleLineString(quote: '"' | "'"): string | undefined {
    let value = '';
    this.#i += 1;
    while (this.#i < this.text.length) {
      const char = this.text[this.#i] as string;
      if (char === '\n') return undefined;
      if (char === quote) {
        this.#i += 1;
        return value;
      }
      if (quote === '"' && char === '\\') {
        value += this.#readEscape();
        continue;
      }
      value += char;
      this.#i += 1;
    }
    return undefined;
  }

  /** Reads the escape at a backslash and returns the text it stands for. */
  #readEscape(): string {
    const letter = this.text[this.#i + 1] ?? '';
    const hex = HEX_ESCAPE_LENGTH[letter];
    if (hex !== undefined) {
      const digits = this.text.slice(this.#i + 2, this.#i + 2 + hex);
      this.#i += 2 + digits.length;
      const code = Number.parseInt(digits, 16);
      return /^[0-9A-Fa-f]+$/.test(digits) && code <= 0x10ffff ? String.fromCodePoint(code) : '';
    }
    this.#i += 2;
    return ESCAPES[letter] ?? letter;
  }

  /** Skips a multi-line string (`"""` with escapes, or `'''`) from its opening delimiter. */
  #skipMultilineString(delimiter: '"""' | "'''"): void {
    this.#advance(3);
    while (this.#i < this.text.length) {
      if (delimiter === '"""' && this.text[this.#i] === '\\') {
        this.#advance(2);
      } else if (this.text.startsWith(delimiter, this.#i)) {
        this.#advance(3);
        // Up to two quotes right before the closing delimiter belong to the string: `"""a""""` is `a"`.
        for (let extra = 0; extra < 2 && this.text[this.#i] === delimiter[0]; extra += 1) this.#advance(1);
        return;
      } else {
        this.#advance(1);
      }
    }
  }

  /** Skips one value, recording the keys of inline tables (under `node`, the key's). */
  #scanValue(node: PathNode): void {
    const char = this.text[this.#i];
    if (this.text.startsWith('"""', this.#i)) this.#skipMultilineString('"""');
    else if (this.text.startsWith("'''", this.#i)) this.#skipMultilineString("'''");
    else if (char === '"' || char === "'") this.#readSingleLineString(char);
    else if ((char === '{' || char === '[') && this.#nesting >= MAX_NESTING) {
      // Deeper than any parser takes: give up on this value rather than recurse without end.
      this.#skipComment();
    } else if (char === '{' || char === '[') {
      this.#nesting += 1;
      if (char === '{') this.#scanInlineTable(node);
      else this.#scanArray(node);
      this.#nesting -= 1;
    } else {
      // A number, boolean or date: up to what ends a value.
      while (this.#i < this.text.length && !',]}#\r\n'.includes(this.text[this.#i] as string)) this.#i += 1;
    }
  }

  /**
   * Moves to the next item of an inline table or array (past blanks,
   * comments and commas); false at its end: its `close` (moved past) or the
   * end of the text.
   */
  #atNextItem(close: '}' | ']'): boolean {
    for (;;) {
      this.#skipBlanksAndComments();
      const char = this.text[this.#i];
      if (char === undefined) return false;
      if (char === close) {
        this.#advance(1);
        return false;
      }
      if (char !== ',') return true;
      this.#advance(1);
    }
  }

  #scanInlineTable(node: PathNode): void {
    this.#advance(1);
    while (this.#atNextItem('}')) {
      if (!this.#scanKeyValue(node, this.#position())) {
        // Not TOML: give up on this table rather than guess.
        this.#skipComment();
        return;
      }
    }
  }

  #scanArray(node: PathNode): void {
    this.#advance(1);
    while (this.#atNextItem(']')) {
      const before = this.#i;
      this.#scanValue(node);
      // Not TOML (a stray `}`): give up on this array rather than loop.
      if (this.#i === before) {
        this.#skipComment();
        return;
      }
    }
  }
}

/**
 * Finds where keys stand in a TOML text, for error messages that point at a
 * line and column. smol-toml parses values but does not report positions;
 * this scans the text lexically (strings of every kind, escapes, comments,
 * arrays and inline tables) and records where each table header and key is
 * first written, keys inside inline tables included. A dotted key
 * (`a.b = 1`) also stands for the tables it creates (`a`). Time and memory
 * are linear in the text's length, however many parts a dotted key has and
 * however many keys share a line.
 */
export function locateKeys(text: string): KeyPositions {
  const { find } = locateKeysAndLiterals(text);
  return { find };
}

/** {@link KeyPositions} with the text of the values written. */
export interface KeyPositionsAndLiterals extends KeyPositions {
  /**
   * The text of the bare value (a number, boolean or date) written for
   * `path` (`3.0`, `1e1`, `inf`), as written; undefined for a string, array
   * or table, or a path not written.
   */
  literal(path: readonly string[]): string | undefined;
}

/** {@link locateKeys}, with the text of each key's bare value: for messages that show a value as the file wrote it. */
export function locateKeysAndLiterals(text: string): KeyPositionsAndLiterals {
  const scanner = new Scanner(text);
  scanner.scan();
  const { paths, literals } = scanner;
  return {
    find: (path) => paths.find(path),
    literal(path) {
      const node = paths.nodeOf(path);
      return node === undefined ? undefined : literals.get(node);
    },
  };
}
