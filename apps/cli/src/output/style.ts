import { createColors } from 'picocolors';

/**
 * Colour for one stream: on only for a TTY, never with NO_COLOR (any value),
 * always with FORCE_COLOR (other than "0").
 */
export function colorsFor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env) {
  const forced = env['FORCE_COLOR'] !== undefined && env['FORCE_COLOR'] !== '0';
  const enabled = env['NO_COLOR'] === undefined && (forced || stream.isTTY === true);
  return createColors(enabled);
}

/** Colours for standard output and standard error. */
export const out = colorsFor(process.stdout);
export const err = colorsFor(process.stderr);

/** 1536 -> "1.5 KiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** 1234.5 -> "1.23 s", 12.3 -> "12.3 ms". */
export function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
}

/** Lays rows out in aligned columns (the first row is the header). */
export function table(rows: readonly (readonly string[])[]): string {
  const strip = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, '');
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => strip(row[column] ?? '').length))) ?? [];
  return rows
    .map((row) => row.map((cell, column) => cell + ' '.repeat((widths[column] ?? 0) - strip(cell).length)).join('  ').trimEnd())
    .join('\n');
}
