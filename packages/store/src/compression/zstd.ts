import { createRequire } from 'node:module';
import { CODEC_ZSTD, type Codec } from './codec.js';
import { nodeZlib } from '../node/node-builtin.js';

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
    decompress: (data, size) =>
      new Promise((resolve, reject) => {
        z.zstdDecompress(data, { maxOutputLength: Math.max(1, size) }, (error, result) => (error ? reject(error) : resolve(result)));
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
    decompress: async (data) => binding.decompress(asBuffer(data)),
  };
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
