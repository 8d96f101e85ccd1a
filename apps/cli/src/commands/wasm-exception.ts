/** A `WebAssembly.Exception` (the exception-handling proposal's), as the CLI reads one. */
interface WasmException {
  /** Whether it was thrown with `tag`. */
  is(tag: object): boolean;
  /** The payload's value at `index`; a RangeError past the last one. */
  getArg(tag: object, index: number): unknown;
}

type Constructor<T> = abstract new (...args: never[]) => T;

/** `WebAssembly.Exception` and `WebAssembly.Tag` (Node 20 on; optional so that a V8 without them is no error). */
const api = (globalThis as unknown as { WebAssembly: { Exception?: Constructor<WasmException>; Tag?: Constructor<object> } }).WebAssembly;

/** Shown of a payload at most: an exception's payload is short, and a line is not the place for more. */
const MAX_VALUES = 8;

/** A payload value `getArg` could not give JavaScript (a v128). */
const UNREADABLE = Symbol('unreadable');

/** Whether `error` is a `WebAssembly.Exception`: what a wasm `throw` no `catch` caught leaves. */
export function isWasmException(error: unknown): error is WasmException {
  return api.Exception !== undefined && error instanceof api.Exception;
}

/**
 * An uncaught WebAssembly exception in words: "an uncaught WebAssembly
 * exception", then its tag's export name and its payload (`tag "oops",
 * payload 42, 7n`) when the instance exports the tag it was thrown with.
 * Reading them is safe: `is` and `getArg` run no wasm code. A tag the module
 * does not export cannot be named, nor its payload read.
 */
export function describeWasmException(exception: WasmException, exports: Readonly<Record<string, unknown>>): string {
  const Tag = api.Tag;
  const tagged = Tag === undefined ? undefined : Object.entries(exports).find(([, value]) => value instanceof Tag && exception.is(value));
  if (tagged === undefined) return 'an uncaught WebAssembly exception (its tag is not exported, so neither it nor its payload can be shown)';
  const [name, tag] = tagged as [string, object];
  return `an uncaught WebAssembly exception: tag ${JSON.stringify(name)}, ${payload(exception, tag)}`;
}

/** The payload's values: numbers, `123n` for an i64, and a reference only by kind. */
function payload(exception: WasmException, tag: object): string {
  const values: string[] = [];
  for (let index = 0; ; index += 1) {
    let value: unknown;
    try {
      value = exception.getArg(tag, index);
    } catch (error) {
      // Past the last value; any other error is a value JavaScript cannot hold (a v128).
      if (error instanceof RangeError) break;
      value = UNREADABLE;
    }
    if (index === MAX_VALUES) {
      values.push('…');
      break;
    }
    values.push(formatValue(value));
  }
  return values.length === 0 ? 'no payload' : `payload ${values.join(', ')}`;
}

function formatValue(value: unknown): string {
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null) return 'null';
  if (value === UNREADABLE) return '(a value JavaScript cannot hold)';
  return `(${typeof value === 'function' ? 'a function' : 'a reference'})`;
}
