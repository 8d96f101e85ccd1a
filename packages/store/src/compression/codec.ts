/** Identifiers of payload encodings, as written in an entry's header. */
export const CODEC_NONE = 0;
/** zstd frame. */
export const CODEC_ZSTD = 1;

/** A compression codec: async so large payloads do not block the event loop where the binding allows. */
export interface Codec {
  /** The header identifier ({@link CODEC_ZSTD}). */
  readonly id: number;
  /** Where the implementation comes from, for diagnostics: `'node:zlib'`, `'@mongodb-js/zstd'`. */
  readonly implementation: string;
  /** Compresses at `level`. */
  compress(data: Uint8Array, level: number): Promise<Uint8Array>;
  /**
   * Decompresses a payload whose content is `size` bytes (as the entry's
   * header says). Bounded by `size`: it rejects, without producing it, output
   * much larger than `size` (a damaged or forged payload, a decompression
   * bomb), so what it allocates stays in proportion to `size`. The caller
   * still checks the length of what it returns.
   */
  decompress(data: Uint8Array, size: number): Promise<Uint8Array>;
}
