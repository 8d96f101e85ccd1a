/**
 * Small WebAssembly modules written as bytes (no `wat` here), for `run`'s
 * tests: functions of each value type, and functions that trap.
 */

import { name as text, section, signedLeb, unsignedLeb, vector } from '@cache/wasm-fixtures';

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

const I32 = 0x7f;
const I64 = 0x7e;
const F64 = 0x7c;

/** A function: its parameter and result types, and its body's instructions (no locals). */
interface Func {
  name: string;
  params: number[];
  results: number[];
  code: number[];
}

const f64 = (value: number): number[] => [0x44, ...new Uint8Array(new Float64Array([value]).buffer)];

/**
 * The functions of {@link invokeModule}, in index order:
 * - `div(i32, i32) -> i32`: `i32.div_s` (traps: "divide by zero");
 * - `id64(i64) -> i64`: its argument;
 * - `half(f64) -> f64`: its argument times 0.5;
 * - `add64(i32, i64) -> i64`: the sum (the i64 second);
 * - `boom()`: `unreachable`;
 * - `load(i32) -> i32`: the i32 at that address of its one-page memory (traps: "memory access out of bounds");
 * - `recurse()`: calls itself for ever (V8 throws a RangeError, not a trap).
 */
const FUNCTIONS: Func[] = [
  { name: 'div', params: [I32, I32], results: [I32], code: [0x20, 0, 0x20, 1, 0x6d] },
  { name: 'id64', params: [I64], results: [I64], code: [0x20, 0] },
  { name: 'half', params: [F64], results: [F64], code: [0x20, 0, ...f64(0.5), 0xa2] },
  { name: 'add64', params: [I32, I64], results: [I64], code: [0x20, 0, 0xac, 0x20, 1, 0x7c] },
  { name: 'boom', params: [], results: [], code: [0x00] },
  { name: 'load', params: [I32], results: [I32], code: [0x20, 0, 0x28, 2, 0] },
  { name: 'recurse', params: [], results: [], code: [0x10, 6] },
];

/** A module without imports exporting the functions listed at {@link FUNCTIONS}. */
export function invokeModule(): Uint8Array {
  return new Uint8Array([
    ...HEADER,
    ...section(1, vector(FUNCTIONS.map((f) => [0x60, ...vector(f.params.map((t) => [t])), ...vector(f.results.map((t) => [t]))]))),
    ...section(3, vector(FUNCTIONS.map((_, index) => unsignedLeb(index)))),
    ...section(5, vector([[0x00, 1]])),
    ...section(7, vector(FUNCTIONS.map((f, index) => [...text(f.name), 0x00, ...unsignedLeb(index)]))),
    ...section(10, vector(FUNCTIONS.map((f) => {
      const body = [0x00, ...f.code, 0x0b];
      return [...unsignedLeb(body.length), ...body];
    }))),
  ]);
}

/** A WASI command (it imports `wasi_snapshot_preview1.proc_exit`, exports `memory`) whose `_start` is `unreachable`. */
export function trappingWasiCommand(): Uint8Array {
  return new Uint8Array([
    ...HEADER,
    ...section(1, vector([[0x60, 1, I32, 0], [0x60, 0, 0]])),
    ...section(2, vector([[...text('wasi_snapshot_preview1'), ...text('proc_exit'), 0x00, 0]])),
    ...section(3, vector([[1]])),
    ...section(5, vector([[0x00, 1]])),
    ...section(7, vector([[...text('memory'), 0x02, 0], [...text('_start'), 0x00, 1]])),
    ...section(10, vector([[3, 0x00, 0x00, 0x0b]])),
  ]);
}

/** `i32.const value`. */
function i32Const(value: number): number[] {
  return [0x41, ...signedLeb(value)];
}

/** A function body: no locals, the instructions, `end`; with its size first, as the code section holds it. */
function body(code: number[]): number[] {
  const bytes = [0x00, ...code, 0x0b];
  return [...unsignedLeb(bytes.length), ...bytes];
}

/** `fd_write(1, …)` of `length` bytes at `address` (function 0), through an iovec at 0; the result dropped. */
function write(address: number, length: number): number[] {
  return [
    ...i32Const(0), ...i32Const(address), 0x36, 2, 0, // iovec.buf
    ...i32Const(4), ...i32Const(length), 0x36, 2, 0, // iovec.buf_len
    ...i32Const(1), ...i32Const(0), ...i32Const(1), ...i32Const(8), 0x10, 0, 0x1a, // fd_write(1, iovec, 1, &written); drop
  ];
}

/**
 * A WASI module (imports `wasi_snapshot_preview1.fd_write` and `proc_exit`,
 * exports `memory`): a command, whose entry is `_start`, or a reactor, whose
 * entry is `_initialize`. The entry prints "<entry> ran" and sets a global to
 * 100; the other exports:
 * - `get(i32) -> i32`: the global plus its argument (so 105 for 5 after the entry ran, 5 without it);
 * - `say()`: prints "hello" through `fd_write` (node:wasi must have the memory);
 * - `quit(i32)`: `proc_exit` with its argument;
 * - `wide(i64) -> i64`: its argument.
 */
export function wasiModule(kind: 'command' | 'reactor'): Uint8Array {
  const entry = kind === 'command' ? '_start' : '_initialize';
  const ran = `${entry} ran\n`;
  const hello = 'hello\n';
  const types = [
    [0x60, ...vector([[I32], [I32], [I32], [I32]]), ...vector([[I32]])], // 0: fd_write
    [0x60, ...vector([[I32]]), 0], // 1: proc_exit, quit
    [0x60, 0, 0], // 2: entry, say
    [0x60, ...vector([[I32]]), ...vector([[I32]])], // 3: get
    [0x60, ...vector([[I64]]), ...vector([[I64]])], // 4: wide
  ];
  // Functions 0 and 1 are the imports.
  const own: Array<{ name: string; type: number; code: number[] }> = [
    { name: entry, type: 2, code: [...write(16, ran.length), ...i32Const(100), 0x24, 0] },
    { name: 'get', type: 3, code: [0x23, 0, 0x20, 0, 0x6a] },
    { name: 'say', type: 2, code: write(48, hello.length) },
    { name: 'quit', type: 1, code: [0x20, 0, 0x10, 1] },
    { name: 'wide', type: 4, code: [0x20, 0] },
  ];
  const data = (address: number, message: string): number[] => [0x00, ...i32Const(address), 0x0b, ...text(message)];
  return new Uint8Array([
    ...HEADER,
    ...section(1, vector(types)),
    ...section(2, vector([
      [...text('wasi_snapshot_preview1'), ...text('fd_write'), 0x00, 0],
      [...text('wasi_snapshot_preview1'), ...text('proc_exit'), 0x00, 1],
    ])),
    ...section(3, vector(own.map((f) => [f.type]))),
    ...section(5, vector([[0x00, 1]])),
    ...section(6, vector([[I32, 0x01, ...i32Const(0), 0x0b]])),
    ...section(7, vector([[...text('memory'), 0x02, 0], ...own.map((f, index) => [...text(f.name), 0x00, ...unsignedLeb(index + 2)])])),
    ...section(10, vector(own.map((f) => body(f.code)))),
    ...section(11, vector([data(16, ran), data(48, hello)])),
  ]);
}

/**
 * A module without imports whose `_start` is `unreachable`, and which
 * exports `seven() -> i32` (7), and `_initialize`, which sets a global that
 * `initialized() -> i32` returns (100 once `_initialize` ran, else 0).
 */
export function trappingStartModule(): Uint8Array {
  const functions = [
    { name: '_start', type: 0, code: [0x00] },
    { name: 'seven', type: 1, code: i32Const(7) },
    { name: '_initialize', type: 0, code: [...i32Const(100), 0x24, 0] },
    { name: 'initialized', type: 1, code: [0x23, 0] },
  ];
  return new Uint8Array([
    ...HEADER,
    ...section(1, vector([[0x60, 0, 0], [0x60, 0, ...vector([[I32]])]])),
    ...section(3, vector(functions.map((f) => [f.type]))),
    ...section(6, vector([[I32, 0x01, ...i32Const(0), 0x0b]])),
    ...section(7, vector(functions.map((f, index) => [...text(f.name), 0x00, ...unsignedLeb(index)]))),
    ...section(10, vector(functions.map((f) => body(f.code)))),
  ]);
}

/**
 * A module without imports that throws WebAssembly exceptions (the
 * exception-handling proposal's `throw`): `throws()`, also exported as
 * `_start`, throws tag `oops` (exported) with the payload (42, 7n);
 * `anonymous()` throws a tag the module does not export.
 */
export function throwingModule(): Uint8Array {
  return new Uint8Array([
    ...HEADER,
    ...section(1, vector([[0x60, 0, 0], [0x60, ...vector([[I32], [I64]]), 0]])),
    ...section(3, vector([[0], [0]])),
    ...section(13, vector([[0x00, 1], [0x00, 0]])),
    ...section(7, vector([
      [...text('throws'), 0x00, 0],
      [...text('_start'), 0x00, 0],
      [...text('anonymous'), 0x00, 1],
      [...text('oops'), 0x04, 0],
    ])),
    ...section(10, vector([body([...i32Const(42), 0x42, 7, 0x08, 0]), body([0x08, 1])])),
  ]);
}

/** A module importing `wasi_snapshot_preview1.proc_exit` and `wasi_snapshot_preview1.no_such_call`, which node:wasi does not have. */
export function unknownWasiImport(): Uint8Array {
  return new Uint8Array([
    ...HEADER,
    ...section(1, vector([[0x60, 1, I32, 0]])),
    ...section(2, vector([
      [...text('wasi_snapshot_preview1'), ...text('proc_exit'), 0x00, 0],
      [...text('wasi_snapshot_preview1'), ...text('no_such_call'), 0x00, 0],
    ])),
    ...section(5, vector([[0x00, 1]])),
    ...section(7, vector([[...text('memory'), 0x02, 0]])),
  ]);
}

/** Value types by name, for {@link built}. */
export const T = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b } as const;

/** What {@link built} makes: types as [params, results]; imported functions; own functions; exports as [name, kind, index]. */
export interface ModuleSpec {
  types: Array<[number[], number[]]>;
  imports?: Array<[module: string, name: string, type: number]>;
  funcs: Array<{ type: number; code: number[] }>;
  memory?: boolean;
  /** Each tag's type index. */
  tags?: number[];
  exports: Array<[name: string, kind: number, index: number]>;
  start?: number;
}

/** `i32.const value`, for {@link built}'s function bodies. */
export const constI32 = (value: number): number[] => [0x41, ...signedLeb(value)];

/** A module from a {@link ModuleSpec}: functions import first, then the module's own (no locals). */
export function built(spec: ModuleSpec): Uint8Array {
  return new Uint8Array([
    ...HEADER,
    ...section(1, vector(spec.types.map(([params, results]) => [0x60, ...vector(params.map((t) => [t])), ...vector(results.map((t) => [t]))]))),
    ...(spec.imports ? section(2, vector(spec.imports.map(([module, field, type]) => [...text(module), ...text(field), 0x00, ...unsignedLeb(type)]))) : []),
    ...section(3, vector(spec.funcs.map((f) => unsignedLeb(f.type)))),
    ...(spec.memory ? section(5, vector([[0x00, 1]])) : []),
    ...(spec.tags ? section(13, vector(spec.tags.map((type) => [0x00, ...unsignedLeb(type)]))) : []),
    ...section(7, vector(spec.exports.map(([name, kind, index]) => [...text(name), kind, ...unsignedLeb(index)]))),
    ...(spec.start === undefined ? [] : section(8, unsignedLeb(spec.start))),
    ...section(10, vector(spec.funcs.map((f) => body(f.code)))),
  ]);
}
