/**
 * The names of the floats that have no digits, as wasmtime reads an f32 or
 * f64 argument (Rust's `str::parse::<f64>`): `inf`, `infinity` and `nan`, in
 * any case, with an optional `+` or `-`. JavaScript's `Infinity`,
 * `-Infinity` and `NaN` are among them.
 */
const FLOAT_NAME = /^([+-]?)(inf|infinity|nan)$/i;

/** The value `text` names (Infinity, -Infinity or NaN) when it is one of the {@link FLOAT_NAME} spellings; undefined for any other text. */
export function namedFloat(text: string): number | undefined {
  const match = FLOAT_NAME.exec(text);
  if (!match) return undefined;
  if (match[2]?.toLowerCase() === 'nan') return Number.NaN;
  return match[1] === '-' ? -Infinity : Infinity;
}
