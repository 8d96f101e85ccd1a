/** The stable `code` of an error (ours: `ERR_CACHE_...`; Node's: `ENOENT`, `ERR_...`), if it has one. */
export function stableCode(error: Error): string | undefined {
  const code: unknown = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(code) ? code : undefined;
}

/**
 * `message` with its stable code: ` (CODE)` at the end of its first line
 * (before a closing colon, which a list of problems follows), unless the
 * message says the code already.
 */
export function withCode(message: string, code: string): string {
  if (message.includes(code)) return message;
  const end = message.indexOf('\n');
  const first = end === -1 ? message : message.slice(0, end);
  const rest = end === -1 ? '' : message.slice(end);
  return first.endsWith(':') ? `${first.slice(0, -1)} (${code}):${rest}` : `${first} (${code})${rest}`;
}
