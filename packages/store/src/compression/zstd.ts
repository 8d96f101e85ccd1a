import { createRequire } from 'node:module';
import { CODEC_ZSTD, type Codec } from './codec.js';
import { nodeZlib } from '../node/node-builtin.js';
import { CompressedDataError } from '../errors/store-error.js';
import { scanZstdFrames, ZSTD_BLOCK_MAX } from './zstd-frames.js';

type ZlibCallback = (error: Error | null, result: Buffer) => void;
type ZlibZstd = {
  zstdCompress(data: Uint8Array, options: { params: Record<number, number> }, callback: ZlibCallback): void;
  zstdDecompress(data: Uint8Array, options: { maxOutputLength?: number }, callback: ZlibCallback): void;
  constants: Record<string, number>;
};
type MongoZstd = {
  compress(data: Buffer, level?: number): Promise<Buffer>;
  decompress(data: Buffer): Promise<Buffer>;
};

function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function fromZlib(): Codec | undefined {
  const candidate = nodeZlib() as unknown as Partial<ZlibZstd>;
  if (typeof candidate.zstdCompress !== 'function' || typeof candidate.zstdDecompress !== 'function' || !candidate.constants) return undefined;
  const z = candidate as ZlibZstd;
  const levelParam = z.constants['ZSTD_c_compressionLevel'];
  if (levelParam === undefined) return undefined;
  return {
    id: CODEC_ZSTD,
    implementation: 'node:zlib',
    compress: (data, level) =>
      new Promise((resolve, reject) => {
        z.zstdCompress(data, { params: { [levelParam]: level } }, (error, result) => (error ? reject(error) : resolve(result)));
      }),
    // node:zlib stops decoding as soon as the output passes `size` (ERR_BUFFER_TOO_LARGE): refused as the other
    // codec refuses such a payload, with the same error.
    decompress: (data, size) =>
      new Promise((resolve, reject) => {
        z.zstdDecompress(data, { maxOutputLength: Math.max(1, size) }, (error, result) => {
          if (!error) resolve(result);
          else if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') reject(new CompressedDataError(`zstd payload decompresses to more than the ${size} bytes it holds`));
          else reject(error);
        });
      }),
  };
}

function fromMongo(): Codec | undefined {
  // The package's index.js drops the level argument; its `bindings.js` entry
  // (the napi-rs loader) takes it. Both run on libuv's thread pool.
  const require = createRequire(import.meta.url);
  const binding = require('@mongodb-js/zstd/bindings.js') as MongoZstd;
  if (typeof binding.compress !== 'function' || typeof binding.decompress !== 'function') return undefined;
  return {
    id: CODEC_ZSTD,
    implementation: '@mongodb-js/zstd',
    compress: (data, level) => binding.compress(asBuffer(data), level),
    decompress: async (data, size) => {
      // The binding decodes the whole payload, however large, before returning: bound it by its headers first.
      const buffer = asBuffer(data);
      checkZstdBound(buffer, size);
      const result = await binding.decompress(buffer);
      if (result.byteLength > size) throw new CompressedDataError(`zstd payload decompressed to ${result.byteLength} bytes, more than the ${size} it holds`);
      return result;
    },
  };
}

/**
 * How much more than its content a zstd payload may decompress to, by its
 * block headers ({@link scanZstdFrames}), and still be decompressed by a
 * codec that cannot stop at a length (`@mongodb-js/zstd`): at most this
 * times the content, plus one block. The scan counts every compressed block
 * as a whole block, and high levels split blocks: V8 artifacts zstd wrote at
 * levels 19 to 21 measure 3.4 to 6.3 times their content, by zstd 1.5.7
 * (node:zlib) and by @mongodb-js/zstd alike. A payload past this bound is
 * not decompressed (it may still be zstd's own), nor taken for damage.
 */
export const ZSTD_BOUND_FACTOR = 16;

/**
 * Refuses a zstd payload said to hold `size` bytes when its headers say
 * otherwise: not whole frames, or frames that declare another content size
 * (damage); or blocks that could decompress to more than
 * {@link ZSTD_BOUND_FACTOR} times `size`, plus one block (not decompressed,
 * not damage). @throws CompressedDataError
 */
function checkZstdBound(data: Uint8Array, size: number): void {
  const scan = scanZstdFrames(data);
  if (typeof scan === 'string') throw new CompressedDataError(scan);
  if (scan.declared !== undefined ? scan.declared !== size : scan.declaredSoFar > size) {
    throw new CompressedDataError(`zstd frames declare ${scan.declared ?? `at least ${scan.declaredSoFar}`} bytes, the payload holds ${size}`);
  }
  const limit = ZSTD_BOUND_FACTOR * size + ZSTD_BLOCK_MAX;
  if (scan.bound > limit) throw new CompressedDataError(`zstd blocks could decompress to ${scan.bound} bytes, far more than the ${size} the payload holds`, false);
}

let loaded: { codec: Codec | undefined; error: string | undefined } | undefined;

/**
 * The zstd codec: `node:zlib` when it has zstd (Node 22.15+, 24), else the
 * prebuilt `@mongodb-js/zstd` binding, else `undefined` with the reason (the
 * store then writes entries uncompressed and says so once).
 */
export function loadZstd(): { codec: Codec | undefined; error: string | undefined } {
  if (loaded) return loaded;
  try {
    const codec = fromZlib() ?? fromMongo();
    loaded = { codec, error: codec ? undefined : 'no zstd implementation found' };
  } catch (error) {
    loaded = { codec: undefined, error: error instanceof Error ? error.message : String(error) };
  }
  return loaded;
}
