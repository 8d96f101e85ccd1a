/**
 * Small WebAssembly modules written as bytes (no `wat` here), for `run`'s
 * tests: functions of each value type, and functions that trap.
 */

import { name as text, section, unsignedLeb, vector } from '@cache/wasm-fixtures';

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
