import type { ParamType } from './wasm-signatures.js';

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

/** Whether `error` is a `WebAssembly.Exception`: what a wasm `throw` no `catch` caught leaves. */
export function isWasmException(error: unknown): error is WasmException {
  return api.Exception !== undefined && error instanceof api.Exception;
}

/**
 * An uncaught WebAssembly exception in words: "an uncaught WebAssembly
 * exception", then its tag's export name and its payload (`tag "oops",
 * payload 42, 7n`) when the instance exports the tag it was thrown with.
 * The payload is read only when its types are known from the module's bytes
 * (`tags`, see `exportedTagParams`) and hold no v128: `getArg` runs no wasm
 * code, but V8 11 (Node 20) aborts the process on any value of a tag that
 * holds a v128. A tag the module does not export cannot be named, nor its
 * payload read; nor any, without the instance's `exports` (an exception out
 * of its start section).
 */
export function describeWasmException(exception: WasmException, exports: Readonly<Record<string, unknown>> | undefined, tags: ReadonlyMap<string, readonly ParamType[]> | undefined): string {
  if (exports === undefined) return 'an uncaught WebAssembly exception (thrown before the instance existed, so its tag cannot be named)';
  const Tag = api.Tag;
  const tagged = Tag === undefined ? undefined : Object.entries(exports).find(([, value]) => value instanceof Tag && exception.is(value));
  if (tagged === undefined) return 'an uncaught WebAssembly exception (its tag is not exported, so neither it nor its payload can be shown)';
  const [name, tag] = tagged as [string, object];
  const types = tags?.get(name);
  let shown: string;
  if (types === undefined) shown = "its payload's types could not be read, so it is not shown";
  else if (types.includes('v128')) shown = 'its payload holds a v128, which JavaScript cannot read, so it is not shown';
  else shown = payload(exception, tag, types.length);
  return `an uncaught WebAssembly exception: tag ${JSON.stringify(name)}, ${shown}`;
}

/** The payload's `count` values: numbers, `123n` for an i64, and a reference only by kind. */
function payload(exception: WasmException, tag: object, count: number): string {
  if (count === 0) return 'no payload';
  const values = Array.from({ length: Math.min(count, MAX_VALUES) }, (_, index) => formatValue(exception.getArg(tag, index)));
  return `payload ${values.join(', ')}${count > MAX_VALUES ? ', ...' : ''}`;
}

function formatValue(value: unknown): string {
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null) return 'null';
  return `(${typeof value === 'function' ? 'a function' : 'a reference'})`;
}
