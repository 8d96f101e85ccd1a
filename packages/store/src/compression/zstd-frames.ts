/** First four bytes of a zstd frame, read little-endian. */
const ZSTD_MAGIC = 0xfd2fb528;
/** Skippable frames: `0x184D2A50` to `0x184D2A5F`, read little-endian (a mask of the low four bits). */
const SKIPPABLE_MAGIC = 0x184d2a50;
/** The largest a block decompresses to: zstd's `ZSTD_BLOCKSIZE_MAX` (128 KiB), less when the window is smaller. */
export const ZSTD_BLOCK_MAX = 128 * 1024;

/** What the frame and block headers of a zstd payload say about its decompressed size, without decompressing it. */
export interface ZstdFrameScan {
  /**
   * The most bytes decoding the payload can produce before the decoder fails:
   * the exact size of its raw and RLE blocks, plus the largest a compressed
   * block may decompress to (its frame's window, at most
   * {@link ZSTD_BLOCK_MAX}) for each compressed block. A decoder checks a
   * frame's declared content size only at the frame's end, so this, not that
   * declared size, is what a decoder working through a damaged payload may
   * hold.
   */
  readonly bound: number;
  /** The sum of the content sizes the frames declare; undefined when a frame declares none (zstd's streaming encoders write none). */
  readonly declared: number | undefined;
  /** The content sizes of the frames that declare one, summed. */
  readonly declaredSoFar: number;
}

/**
 * Reads the frame and block headers of `data` (one or more zstd frames, as
 * in RFC 8878), without decompressing or allocating: what
 * {@link ZstdFrameScan} describes, or why `data` is not a whole zstd payload
 * (cut short, a reserved block type, a block larger than allowed, trailing
 * bytes that are no frame).
 */
export function scanZstdFrames(data: Uint8Array): ZstdFrameScan | string {
  const view = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let pos = 0;
  let bound = 0;
  let declaredSoFar = 0;
  let allDeclared = true;
  if (view.byteLength === 0) return 'no zstd frame';
  while (pos < view.byteLength) {
    if (pos + 4 > view.byteLength) return 'zstd frame cut short';
    const magic = view.readUInt32LE(pos);
    if ((magic & 0xfffffff0) >>> 0 === SKIPPABLE_MAGIC) {
      if (pos + 8 > view.byteLength) return 'zstd skippable frame cut short';
      pos += 8 + view.readUInt32LE(pos + 4);
      if (pos > view.byteLength) return 'zstd skippable frame cut short';
      continue;
    }
    if (magic !== ZSTD_MAGIC) return 'not a zstd frame';
    const frame = scanFrame(view, pos + 4);
    if (typeof frame === 'string') return frame;
    bound += frame.bound;
    if (frame.contentSize === undefined) allDeclared = false;
    else declaredSoFar += frame.contentSize;
    pos = frame.end;
  }
  return { bound, declared: allDeclared ? declaredSoFar : undefined, declaredSoFar };
}

/** One frame from its header descriptor at `pos` (just after the magic number). */
function scanFrame(view: Buffer, start: number): { bound: number; contentSize: number | undefined; end: number } | string {
  if (start + 1 > view.byteLength) return 'zstd frame header cut short';
  const descriptor = view.readUInt8(start);
  if ((descriptor & 0x08) !== 0) return 'zstd frame header has its reserved bit set';
  const contentSizeFlag = descriptor >> 6;
  const singleSegment = (descriptor & 0x20) !== 0;
  const hasChecksum = (descriptor & 0x04) !== 0;
  const dictionaryIdBytes = [0, 1, 2, 4][descriptor & 0x03] ?? 0;
  const contentSizeBytes = contentSizeFlag === 0 ? (singleSegment ? 1 : 0) : ([0, 2, 4, 8][contentSizeFlag] ?? 0);
  let pos = start + 1;
  const headerEnd = pos + (singleSegment ? 0 : 1) + dictionaryIdBytes + contentSizeBytes;
  if (headerEnd > view.byteLength) return 'zstd frame header cut short';
  let windowSize = 0;
  if (!singleSegment) {
    const windowDescriptor = view.readUInt8(pos);
    pos += 1;
    const base = 2 ** (10 + (windowDescriptor >> 3));
    windowSize = base + (base / 8) * (windowDescriptor & 0x07);
  }
  pos += dictionaryIdBytes;
  let contentSize: number | undefined;
  if (contentSizeBytes === 1) contentSize = view.readUInt8(pos);
  else if (contentSizeBytes === 2) contentSize = view.readUInt16LE(pos) + 256;
  else if (contentSizeBytes === 4) contentSize = view.readUInt32LE(pos);
  else if (contentSizeBytes === 8) {
    const size = view.readBigUInt64LE(pos);
    if (size > BigInt(Number.MAX_SAFE_INTEGER)) return 'zstd frame content size out of range';
    contentSize = Number(size);
  }
  pos = headerEnd;
  // A single-segment frame's window is its content.
  if (singleSegment) windowSize = contentSize ?? 0;
  const blockMax = Math.min(windowSize, ZSTD_BLOCK_MAX);
  let bound = 0;
  for (;;) {
    if (pos + 3 > view.byteLength) return 'zstd block header cut short';
    const blockHeader = view.readUIntLE(pos, 3);
    pos += 3;
    const last = (blockHeader & 1) === 1;
    const type = (blockHeader >> 1) & 3;
    const size = blockHeader >>> 3;
    if (type === 3) return 'zstd block of the reserved type';
    // As the decoder: a raw or RLE block larger than a block may be, or a compressed block stored in more than 128 KiB.
    if (size > (type === 2 ? ZSTD_BLOCK_MAX : blockMax)) return `zstd block of ${size} bytes in a frame whose blocks hold at most ${blockMax}`;
    // Raw: `size` bytes stored; RLE: one byte repeated `size` times; compressed: `size` bytes stored, up to `blockMax` out.
    pos += type === 1 ? 1 : size;
    bound += type === 2 ? blockMax : size;
    if (pos > view.byteLength) return 'zstd block cut short';
    if (last) break;
  }
  if (hasChecksum) pos += 4;
  if (pos > view.byteLength) return 'zstd frame checksum cut short';
  return { bound, contentSize, end: pos };
}
