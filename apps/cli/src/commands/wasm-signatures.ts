/**
 * A parameter's type as `run --invoke` needs to know it: a number type, a
 * vector, or any reference (funcref, externref, the GC proposal's types).
 */
export type ParamType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128' | 'ref';

/** Thrown inside the reader for bytes it does not know; never leaves this file. */
class UnknownEncoding extends Error {}

const NUMBER_TYPES: Readonly<Record<number, ParamType>> = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128' };
/** `(ref ht)` and `(ref null ht)`, each followed by a heap type. */
const REF_WITH_HEAP_TYPE = new Set([0x64, 0x63]);
/** The abbreviated reference types, exnref (0x69) to nullexnref (0x74): funcref, externref, anyref, eqref… */
const isShortRef = (byte: number): boolean => byte >= 0x69 && byte <= 0x74;
/** The packed storage types of struct and array fields (i8, i16). */
const PACKED = new Set([0x78, 0x77]);

/** Reads the binary format: bytes, LEB128 integers, vectors. */
class Reader {
  #at = 0;
  constructor(private readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.#at >= this.bytes.byteLength;
  }

  byte(): number {
    const byte = this.bytes[this.#at++];
    if (byte === undefined) throw new UnknownEncoding('past the end');
    return byte;
  }

  peek(): number | undefined {
    return this.bytes[this.#at];
  }

  u32(): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const byte = this.byte();
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
    throw new UnknownEncoding('LEB128 longer than 5 bytes');
  }

  /** Skips a signed LEB128 (a heap type, s33). */
  skipLeb(): void {
    while ((this.byte() & 0x80) !== 0);
  }

  vector<T>(item: () => T): T[] {
    return Array.from({ length: this.u32() }, item);
  }

  name(): string {
    const length = this.u32();
    const start = this.#at;
    this.#at += length;
    if (this.#at > this.bytes.byteLength) throw new UnknownEncoding('past the end');
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset + start, length).toString('utf8');
  }

  /** The next `length` bytes, as a reader of their own. */
  sub(length: number): Reader {
    const start = this.#at;
    this.#at += length;
    if (this.#at > this.bytes.byteLength) throw new UnknownEncoding('past the end');
    return new Reader(this.bytes.subarray(start, this.#at));
  }
}

function valueType(reader: Reader): ParamType {
  const byte = reader.byte();
  const number = NUMBER_TYPES[byte];
  if (number !== undefined) return number;
  if (isShortRef(byte)) return 'ref';
  if (REF_WITH_HEAP_TYPE.has(byte)) {
    reader.skipLeb();
    return 'ref';
  }
  throw new UnknownEncoding(`value type 0x${byte.toString(16)}`);
}

/** A struct or array field: its storage type and mutability. */
function skipField(reader: Reader): void {
  if (PACKED.has(reader.peek() ?? -1)) reader.byte();
  else valueType(reader);
  reader.byte();
}

/** A composite type: a function's parameters; undefined for a struct or an array (GC). */
function compositeType(reader: Reader): ParamType[] | undefined {
  const form = reader.byte();
  if (form === 0x60) {
    const params = reader.vector(() => valueType(reader));
    reader.vector(() => valueType(reader));
    return params;
  }
  if (form === 0x5f) reader.vector(() => skipField(reader));
  else if (form === 0x5e) skipField(reader);
  else throw new UnknownEncoding(`type form 0x${form.toString(16)}`);
  return undefined;
}

/** A sub type (`sub`, `sub final` with supertypes, or a bare composite type). */
function subType(reader: Reader): ParamType[] | undefined {
  const byte = reader.peek();
  if (byte === 0x50 || byte === 0x4f) {
    reader.byte();
    reader.vector(() => reader.u32());
  }
  return compositeType(reader);
}

/** A recursion group's types, or a lone type's. */
function recursionGroup(reader: Reader): Array<ParamType[] | undefined> {
  if (reader.peek() !== 0x4e) return [subType(reader)];
  reader.byte();
  return reader.vector(() => subType(reader));
}

/** Limits of a table or memory: flags (a maximum, shared, 64-bit, a page size), then LEB128 numbers. */
function skipLimits(reader: Reader): void {
  const flags = reader.byte();
  if (flags > 0x0f) throw new UnknownEncoding(`limits flags 0x${flags.toString(16)}`);
  reader.skipLeb();
  if ((flags & 0x01) !== 0) reader.skipLeb();
  if ((flags & 0x08) !== 0) reader.skipLeb();
}

/** Export and import kinds whose type is a function type: a function, and a tag (the exception-handling proposal's). */
const FUNCTION = 0x00;
const TAG = 0x04;

/** An import: its kind and, for a function or a tag, its type index (a table, memory or global: none, skipped). */
function importEntry(reader: Reader): { kind: number; type: number | undefined } {
  reader.name();
  reader.name();
  const kind = reader.byte();
  if (kind === FUNCTION) return { kind, type: reader.u32() };
  if (kind === TAG) {
    reader.byte();
    return { kind, type: reader.u32() };
  }
  if (kind === 0x01) {
    valueType(reader);
    skipLimits(reader);
  } else if (kind === 0x02) skipLimits(reader);
  else if (kind === 0x03) {
    valueType(reader);
    reader.byte();
  } else throw new UnknownEncoding(`import kind 0x${kind.toString(16)}`);
  return { kind, type: undefined };
}

/** The type section: every type index, in order (a recursion group holds several). */
function typeSection(reader: Reader): Array<ParamType[] | undefined> {
  return reader.vector(() => recursionGroup(reader)).flat();
}

/**
 * The parameter types of a module's exports of one kind (functions, tags),
 * by export name, read from its bytes (an export may be of an import: indices
 * count the imported ones first). Undefined when its bytes hold an encoding
 * this reader does not know (a later proposal's): the module compiled, so its
 * bytes are valid, and not knowing is only a less precise message.
 */
function exportedParams(bytes: Uint8Array, wanted: typeof FUNCTION | typeof TAG): Map<string, ParamType[]> | undefined {
  try {
    const reader = new Reader(bytes);
    reader.sub(8);
    let types: Array<ParamType[] | undefined> = [];
    // Each function's or tag's type index: the imported ones', then the module's own (the sections come in this order).
    let imports: Array<{ kind: number; type: number | undefined }> = [];
    let own: number[] = [];
    const exported = new Map<string, ParamType[]>();
    while (!reader.done) {
      const id = reader.byte();
      const section = reader.sub(reader.u32());
      if (id === 1) types = typeSection(section);
      else if (id === 2) imports = section.vector(() => importEntry(section));
      else if (id === 3 && wanted === FUNCTION) own = section.vector(() => section.u32());
      else if (id === 13 && wanted === TAG) {
        own = section.vector(() => {
          section.byte();
          return section.u32();
        });
      } else if (id === 7) {
        const indices = [...imports.filter((entry) => entry.kind === wanted).map((entry) => entry.type ?? -1), ...own];
        for (const { name, kind, index } of section.vector(() => ({ name: section.name(), kind: section.byte(), index: section.u32() }))) {
          if (kind !== wanted) continue;
          const params = types[indices[index] ?? -1];
          if (params === undefined) return undefined;
          exported.set(name, params);
        }
      }
    }
    return exported;
  } catch (error) {
    if (error instanceof UnknownEncoding) return undefined;
    throw error;
  }
}

/** The parameter types of a module's exported functions, by export name (see {@link exportedParams}); undefined when unknown. */
export function exportedFunctionParams(bytes: Uint8Array): Map<string, ParamType[]> | undefined {
  return exportedParams(bytes, FUNCTION);
}

/** The payload types of a module's exported tags, by export name (see {@link exportedParams}); undefined when unknown. */
export function exportedTagParams(bytes: Uint8Array): Map<string, ParamType[]> | undefined {
  return exportedParams(bytes, TAG);
}
