// Reading a body stream without holding more than a limit of it: the request body as it arrives, an inflated body,
// the part of a body a Worker hands its Durable Object.

export interface LimitedRead {
  /** What was read, cut to `max + 1` bytes: enough to tell that the limit was passed, never a whole oversized body. */
  bytes: Uint8Array<ArrayBuffer>;
  /** More than `max` bytes came; the stream was cancelled there. */
  over: boolean;
}

/** Reads `stream` to its end, or until it has passed `max` bytes. A failed read rejects as the stream did. */
export async function readLimited(stream: ReadableStream<Uint8Array>, max: number): Promise<LimitedRead> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size <= max) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  const over = size > max;
  // Not awaited: the answer (a 413) need not wait for the sender or the decompressor to wind down.
  if (over) void reader.cancel().catch(() => undefined);
  const bytes = new Uint8Array(Math.min(size, max + 1));
  let at = 0;
  for (const chunk of chunks) {
    const part = chunk.subarray(0, bytes.byteLength - at);
    bytes.set(part, at);
    at += part.byteLength;
  }
  return { bytes, over };
}
