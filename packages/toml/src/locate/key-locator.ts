/** A 1-based position in a text. */
export interface TextPosition {
  line: number;
  column: number;
}

/** Where each key and table header of a TOML text stands, by dotted path (`cache.directory`). */
export interface KeyPositions {
  /** The position of a key (`cache.cleanup-interval`) or table header (`cache`). */
  find(path: readonly string[]): TextPosition | undefined;
}

const BARE_KEY = /^[A-Za-z0-9_-]+/;

/** Reads a dotted key (`a."b.c".d`) from the start of `text`; returns its parts and the length consumed. */
function readKeyPath(text: string): { parts: string[]; length: number } | undefined {
  const parts: string[] = [];
  let i = 0;
  for (;;) {
    while (text[i] === ' ' || text[i] === '\t') i += 1;
    const rest = text.slice(i);
    const bare = BARE_KEY.exec(rest);
    if (bare) {
      parts.push(bare[0]);
      i += bare[0].length;
    } else if (rest[0] === '"' || rest[0] === "'") {
      const quote = rest[0];
      let j = 1;
      let value = '';
      while (j < rest.length && rest[j] !== quote) {
        if (quote === '"' && rest[j] === '\\' && j + 1 < rest.length) {
          value += rest[j + 1];
          j += 2;
        } else {
          value += rest[j];
          j += 1;
        }
      }
      if (j >= rest.length) return undefined;
      parts.push(value);
      i += j + 1;
    } else {
      return undefined;
    }
    while (text[i] === ' ' || text[i] === '\t') i += 1;
    if (text[i] !== '.') return { parts, length: i };
    i += 1;
  }
}

/**
 * Finds where keys stand in a TOML text, for error messages that point at a
 * line and column. smol-toml parses values but does not report positions; this
 * scanner only follows table headers, `key =` lines and multi-line strings,
 * which is all it needs. Keys inside inline tables are reported at their
 * enclosing key.
 */
export function locateKeys(text: string): KeyPositions {
  const positions = new Map<string, TextPosition>();
  const lines = text.split(/\r?\n/);
  let table: string[] = [];
  let openMultiline: '"""' | "'''" | undefined;

  lines.forEach((raw, index) => {
    const lineNumber = index + 1;
    if (openMultiline) {
      if (raw.includes(openMultiline)) openMultiline = undefined;
      return;
    }
    const indent = raw.length - raw.trimStart().length;
    const line = raw.trimStart();
    if (line === '' || line.startsWith('#')) return;
    if (line.startsWith('[')) {
      const isArray = line.startsWith('[[');
      const header = readKeyPath(line.slice(isArray ? 2 : 1));
      if (header) {
        table = header.parts;
        const key = table.join('\u0000');
        if (!positions.has(key)) positions.set(key, { line: lineNumber, column: indent + 1 });
      }
      return;
    }
    const key = readKeyPath(line);
    if (!key || line[key.length] !== '=') return;
    const path = [...table, ...key.parts].join('\u0000');
    if (!positions.has(path)) positions.set(path, { line: lineNumber, column: indent + 1 });
    const value = line.slice(key.length + 1);
    for (const delimiter of ['"""', "'''"] as const) {
      const count = value.split(delimiter).length - 1;
      if (count % 2 === 1) openMultiline = delimiter;
    }
  });

  return {
    find(path) {
      for (let n = path.length; n > 0; n -= 1) {
        const found = positions.get(path.slice(0, n).join('\u0000'));
        if (found) return found;
      }
      return undefined;
    },
  };
}
