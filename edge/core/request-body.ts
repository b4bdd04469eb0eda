// The request body, read once within a size limit: Content-Encoding checked before reading, the bytes as sent kept for
// the signature, the decoded text handed to the handlers. Every route that takes a body goes through readBody().
import type { Context, MiddlewareHandler } from 'hono';
import { BodyDecodeError, decodeWithin, parseContentEncoding, type BodyCoding } from './body-decoding.ts';
import { ClientAbortedError, EdgeHttpError, printable } from './http-error.ts';
import { readLimited } from './read-limited.ts';

export interface BodyLimit {
  /** Largest body in bytes, as sent and again once decoded. */
  maxSize: number;
  /** Names the limit in the 413, e.g. BONKER_EDGE_BODY_LIMIT. */
  name: string;
}

interface ReadBody {
  sent: Uint8Array<ArrayBuffer>;
  coding: BodyCoding;
  limit: BodyLimit;
}

declare module 'hono' {
  interface ContextVariableMap {
    requestBody: ReadBody;
  }
}

/** Without fatal: invalid UTF-8 becomes U+FFFD and the JSON parser says what is wrong. */
const utf8 = new TextDecoder();

/**
 * 415 for a Content-Encoding the edge cannot undo, 413 above `maxSize` (from Content-Length when there is one, else
 * counted as it arrives), then the whole body is read and kept. A read that fails is the client going away.
 */
export function readBody(limit: BodyLimit): MiddlewareHandler {
  return async function readRequestBody(c, next) {
    const header = c.req.header('content-encoding');
    const coding = parseContentEncoding(header);
    if (!coding) {
      // RFC 9110 §15.5.16: a 415 about a content coding says in Accept-Encoding which ones would do.
      throw new EdgeHttpError(
        415,
        'unsupported_encoding',
        `content encoding "${printable(header ?? '', 40)}" is not supported; ` +
          'expected gzip, deflate or identity (one coding)',
        { 'accept-encoding': 'gzip, deflate' },
      );
    }
    c.set('requestBody', { sent: await readSent(c, limit), coding, limit });
    await next();
  };
}

/** The body exactly as sent (still encoded): what a signature covers. */
export function sentBody(c: Context): Uint8Array<ArrayBuffer> {
  return bodyOf(c).sent;
}

/** The body decoded from its Content-Encoding, as UTF-8 text; 413 if decoding passes the limit, 400 if it fails. */
export async function bodyText(c: Context): Promise<string> {
  const { sent, coding, limit } = bodyOf(c);
  if (coding === 'identity') return utf8.decode(sent);
  try {
    return utf8.decode(await decodeWithin(sent, coding, limit.maxSize));
  } catch (error) {
    if (!(error instanceof BodyDecodeError)) throw error;
    if (error.failure === 'too_large') throw tooLarge(limit, coding);
    throw new EdgeHttpError(400, 'bad_encoding', `request body is not valid ${coding} (Content-Encoding: ${coding})`);
  }
}

function bodyOf(c: Context): ReadBody {
  const body = c.get('requestBody');
  if (!body) throw new Error('readBody() must run before the body is used');
  return body;
}

async function readSent(c: Context, limit: BodyLimit): Promise<Uint8Array<ArrayBuffer>> {
  const length = c.req.header('content-length');
  const framed = length !== undefined && c.req.header('transfer-encoding') === undefined;
  if (framed && Number(length) > limit.maxSize) throw tooLarge(limit);
  try {
    // With a Content-Length, @hono/node-server reads the bytes straight from Node's request; `c.req.raw.body` would
    // make it build a web Request and a stream per request (about 15 % of the edge's CPU under load).
    if (framed) return new Uint8Array(await c.req.arrayBuffer());
    return await readCounted(c.req.raw.body, limit);
  } catch (error) {
    if (error instanceof EdgeHttpError) throw error;
    throw new ClientAbortedError(printable(error instanceof Error ? error.message : String(error), 80));
  }
}

/** A body without a length (chunked): counted as it arrives and refused as soon as it passes the limit. */
async function readCounted(
  body: ReadableStream<Uint8Array> | null,
  limit: BodyLimit,
): Promise<Uint8Array<ArrayBuffer>> {
  if (!body) return new Uint8Array(0);
  const read = await readLimited(body, limit.maxSize);
  if (read.over) throw tooLarge(limit);
  return read.bytes;
}

/**
 * `Connection: close` when the body as sent is too large: the server would otherwise read (and discard) the rest of
 * it to reach the next request. A body too large once decoded has been read in full already.
 */
function tooLarge(limit: BodyLimit, decodedFrom?: BodyCoding): EdgeHttpError {
  const decoded = decodedFrom ? ` once decoded from ${decodedFrom}` : '';
  const headers: Record<string, string> = decodedFrom ? {} : { connection: 'close' };
  const message = `request body is larger than ${limit.maxSize} bytes (${limit.name})${decoded}`;
  return new EdgeHttpError(413, 'too_large', message, headers);
}
