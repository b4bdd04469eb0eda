// HMAC-SHA256 request signature (Grafana's webhook "HMAC Signature"), checked with Web Crypto only (no node:crypto).
// Grafana signs the raw body, or `<unix seconds>:<body>` when a timestamp header is configured, and sends lower-case
// hex in the signature header (grafana/alerting http/hmac.go). The signature covers the body as sent: with a
// Content-Encoding, the compressed bytes, the way HTTP signatures cover the content as transmitted.
import type { MiddlewareHandler } from 'hono';
import type { EdgeHmac } from './config.ts';
import { EdgeHttpError } from './http-error.ts';
import { sentBody } from './request-body.ts';

/** How far a signed timestamp may be from the edge's clock: Grafana signs each attempt afresh, so retries pass. */
export const SIGNATURE_MAX_SKEW_S = 300;

/**
 * Runs after readBody(), so only a bounded body was read, and before it is decoded: a forged request costs no
 * decompression. It checks the bytes as sent, because a signature covers bytes and text decoding would alter them.
 */
export function createSignatureCheck(hmac: EdgeHmac | undefined, now: () => number): MiddlewareHandler | undefined {
  if (!hmac) return undefined;
  const key = crypto.subtle.importKey('raw', new TextEncoder().encode(hmac.secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  const headerList = hmac.headers.join(' or ');
  return async function checkSignature(c, next) {
    const given = hmac.headers.map((name) => c.req.header(name)).find((value) => value !== undefined);
    if (given === undefined) throw refused(`signature required in ${headerList} (HMAC-SHA256 of the body, hex)`);
    const body = sentBody(c);
    let signed: Uint8Array<ArrayBuffer> = body;
    if (hmac.timestampHeader) {
      const timestamp = c.req.header(hmac.timestampHeader) ?? '';
      const problem = timestampProblem(timestamp, now());
      if (problem) throw refused(`${hmac.timestampHeader}: ${problem}`);
      signed = concat(new TextEncoder().encode(`${timestamp}:`), body);
    }
    const expected = new Uint8Array(await crypto.subtle.sign('HMAC', await key, signed));
    if (!equalBytes(expected, fromHex(given.trim()))) throw refused('signature not accepted');
    await next();
  };
}

export async function signBody(secret: string, body: string | Uint8Array<ArrayBuffer>, timestamp?: string): Promise<string> {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  const signed = timestamp === undefined ? bytes : concat(new TextEncoder().encode(`${timestamp}:`), bytes);
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  return [...new Uint8Array(await crypto.subtle.sign('HMAC', key, signed))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function refused(message: string): EdgeHttpError {
  return new EdgeHttpError(401, 'unauthorized', message);
}

function timestampProblem(timestamp: string, nowMs: number): string | undefined {
  if (!/^\d{1,12}$/.test(timestamp)) return 'expected the Unix time in seconds the sender signed at';
  const skew = Math.abs(nowMs / 1000 - Number(timestamp));
  return skew > SIGNATURE_MAX_SKEW_S ? `expected a time within ${SIGNATURE_MAX_SKEW_S} s of now (stale or replayed request)` : undefined;
}

/** Undecodable hex becomes an empty array, which never matches a 32-byte digest. */
function fromHex(text: string): Uint8Array {
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(text) || text.length > 128) return new Uint8Array(0);
  const bytes = new Uint8Array(text.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/** Constant time for a given expected length: every byte is compared, no early exit. */
function equalBytes(expected: Uint8Array, given: Uint8Array): boolean {
  let diff = expected.length ^ given.length;
  for (let i = 0; i < expected.length; i++) diff |= expected[i]! ^ (given[i] ?? 0);
  return diff === 0;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
