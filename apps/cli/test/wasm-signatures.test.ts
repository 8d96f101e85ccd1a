import { buildWasmModule } from '@cache/wasm-fixtures';
import { describe, expect, it } from 'vitest';
import { exportedFunctionParams } from '../src/commands/wasm-signatures.js';
import { invokeModule, wasiModule } from './small-modules.js';

const section = (id: number, bytes: number[]): number[] => [id, bytes.length, ...bytes];
const text = (s: string): number[] => [s.length, ...Buffer.from(s)];
const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/**
 * The GC proposal's types (a recursion group of a struct and an array), a
 * `(ref null 0)` parameter, externref and funcref, and a v128: valid where
 * V8 has wasm GC (Node 22 on).
 */
function typedModule(typeForm = 0x5f): Uint8Array {
  return new Uint8Array([
    ...HEADER,
    ...section(1, [
      4,
      0x4e, 2, 0x50, 0x00, typeForm, 1, 0x7f, 0x01, 0x5e, 0x78, 0x01, // rec (sub (struct (mut i32))) (array (mut i8))
      0x60, 2, 0x63, 0x00, 0x7e, 0, // (func (param (ref null 0) i64))
      0x60, 3, 0x7f, 0x6f, 0x70, 1, 0x7f, // (func (param i32 externref funcref) (result i32))
      0x60, 1, 0x7b, 0, // (func (param v128))
    ]),
    ...section(3, [3, 2, 3, 4]),
    ...section(5, [1, 0x00, 1]),
    ...section(7, [4, ...text('gc'), 0x00, 0, ...text('refs'), 0x00, 1, ...text('vec'), 0x00, 2, ...text('memory'), 0x02, 0]),
    ...section(10, [3, 2, 0x00, 0x0b, 4, 0x00, 0x41, 0x00, 0x0b, 2, 0x00, 0x0b]),
  ]);
}

describe('exportedFunctionParams: the parameter types run --invoke checks arguments against', () => {
  it('reads number, vector and reference types, past recursion groups, structs and arrays', () => {
    expect(exportedFunctionParams(typedModule())).toEqual(
      new Map([
        ['gc', ['ref', 'i64']],
        ['refs', ['i32', 'ref', 'ref']],
        ['vec', ['v128']],
      ]),
    );
    const wasm = (globalThis as unknown as { WebAssembly: { validate(bytes: Uint8Array): boolean } }).WebAssembly;
    if (Number(process.versions.node.split('.')[0]) >= 22) expect(wasm.validate(typedModule())).toBe(true);
  });

  it('reads the modules run is tested with', () => {
    expect(exportedFunctionParams(invokeModule())?.get('add64')).toEqual(['i32', 'i64']);
    expect(exportedFunctionParams(invokeModule())?.get('boom')).toEqual([]);
    expect(exportedFunctionParams(buildWasmModule({ functions: 3 }))).toEqual(new Map([['run', ['i32']], ['f0', ['i32']]]));
  });

  it('counts imported functions first, past imported tables, memories, globals and tags (a WASI module\'s exports)', () => {
    const importing = new Uint8Array([
      ...HEADER,
      ...section(1, [3, 0x60, 0, 0, 0x60, 1, 0x7e, 0, 0x60, 2, 0x7c, 0x7f, 0]), // () ; (i64) ; (f64, i32)
      ...section(2, [
        5,
        ...text('env'), ...text('t'), 0x01, 0x70, 0x00, 1, // table funcref, min 1
        ...text('env'), ...text('m'), 0x02, 0x01, 1, 2, // memory, min 1 max 2
        ...text('env'), ...text('g'), 0x03, 0x7f, 0x00, // global i32, immutable
        ...text('env'), ...text('e'), 0x04, 0x00, 0, // tag of type 0
        ...text('env'), ...text('f'), 0x00, 1, // function 0: (i64)
      ]),
      ...section(3, [1, 2]), // function 1: (f64, i32)
      ...section(7, [2, ...text('imported'), 0x00, 0, ...text('own'), 0x00, 1]),
      ...section(10, [1, 2, 0x00, 0x0b]),
    ]);
    const wasm = (globalThis as unknown as { WebAssembly: { validate(bytes: Uint8Array): boolean } }).WebAssembly;
    expect(wasm.validate(importing)).toBe(true);
    expect(exportedFunctionParams(importing)).toEqual(new Map([['imported', ['i64']], ['own', ['f64', 'i32']]]));
    expect(exportedFunctionParams(wasiModule('reactor'))?.get('wide')).toEqual(['i64']);
    expect(exportedFunctionParams(wasiModule('command'))?.get('get')).toEqual(['i32']);
  });

  it('gives nothing for an encoding it does not know', () => {
    expect(exportedFunctionParams(typedModule(0x5d))).toBeUndefined();
    const unknownImport = new Uint8Array([...HEADER, ...section(1, [1, 0x60, 0, 0]), ...section(2, [1, ...text('env'), ...text('f'), 0x7f, 0])]);
    expect(exportedFunctionParams(unknownImport)).toBeUndefined();
  });
});
