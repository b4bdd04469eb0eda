// Content-Encoding of a request body: which codings the edge takes, and decoding one without exceeding a size limit.
// Web-standard DecompressionStream only, so it runs the same on Node (20+) and in workerd.
import { readLimited } from './read-limited.ts';

/** What a sender may put in Content-Encoding; HTTP's `deflate` is the zlib format (RFC 9110 §8.4.1.2). */
export const SUPPORTED_CODINGS = ['gzip', 'deflate', 'identity'] as const;
export type BodyCoding = (typeof SUPPORTED_CODINGS)[number];

/**
 * Reads a Content-Encoding header (RFC 9110 §8.4): case-insensitive, `x-gzip` is gzip (§8.4.1.3), `identity` entries
 * change nothing. Only one real coding is taken: a stack such as `gzip, br` is refused as a whole rather than half
 * undone. Returns undefined for anything not supported.
 */
export function parseContentEncoding(header: string | undefined): BodyCoding | undefined {
  const codings = (header ?? '')
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity')
    .map((coding) => (coding === 'x-gzip' ? 'gzip' : coding));
  if (codings.length === 0) return 'identity';
  if (codings.length === 1 && (codings[0] === 'gzip' || codings[0] === 'deflate')) return codings[0];
  return undefined;
}

export type DecodeFailure = 'invalid' | 'too_large';

export class BodyDecodeError extends Error {
  constructor(readonly failure: DecodeFailure) {
    super(failure === 'invalid' ? 'not valid compressed data' : 'larger than the limit once decoded');
    this.name = 'BodyDecodeError';
  }
}

/** Compressed input is fed in slices this big, so one slice of a zip bomb inflates to at most ~1,000× of it. */
const INPUT_SLICE = 16 * 1024;

/**
 * Inflates `bytes` and stops as soon as the output passes `maxSize`: output is counted chunk by chunk and the stream is
 * cancelled there, so a bomb (1 MiB of gzip is 1 GiB of spaces) costs about maxSize of memory, never its full size.
 */
export async function decodeWithin(
  bytes: Uint8Array<ArrayBuffer>,
  coding: 'gzip' | 'deflate',
  maxSize: number,
): Promise<Uint8Array> {
  let offset = 0;
  // highWaterMark 0: the next slice is read only when the decompressor asks for it (backpressure from our reads).
  const source = new ReadableStream<BufferSource>(
    {
      pull(controller) {
        if (offset >= bytes.byteLength) return controller.close();
        controller.enqueue(bytes.subarray(offset, (offset += INPUT_SLICE)));
      },
    },
    { highWaterMark: 0 },
  );
  const inflated = await readLimited(source.pipeThrough(new DecompressionStream(coding)), maxSize).catch(() => {
    throw new BodyDecodeError('invalid');
  });
  if (inflated.over) throw new BodyDecodeError('too_large');
  return inflated.bytes;
}
