// Bearer / basic credential check for the webhook routes, constant-time with Web Crypto only (no node:crypto).
import type { MiddlewareHandler } from 'hono';
import type { EdgeAuth } from './config.ts';
import { EdgeHttpError } from './http-error.ts';

const REALM = 'oom-bonker';

/**
 * Returns undefined when no credential is configured (loopback-only edges; config.ts refuses this elsewhere).
 * Accepts either configured credential. Both sides are hashed with SHA-256 and the digests compared in full, so the
 * time taken does not depend on how much of a guess was right, nor on its length.
 */
export function createAuthCheck(auth: EdgeAuth): MiddlewareHandler | undefined {
  const expected: string[] = [];
  const challenges: string[] = [];
  if (auth.token !== undefined) {
    expected.push(`Bearer ${auth.token}`);
    challenges.push(`Bearer realm="${REALM}"`);
  }
  if (auth.basic) {
    expected.push(`Basic ${base64Utf8(`${auth.basic.user}:${auth.basic.password}`)}`);
    challenges.push(`Basic realm="${REALM}", charset="UTF-8"`);
  }
  if (expected.length === 0) return undefined;
  const expectedDigests = Promise.all(expected.map(sha256));
  const challenge = challenges.join(', ');
  return async function checkCredential(c, next) {
    const given = await sha256(normaliseScheme(c.req.header('authorization') ?? ''));
    let ok = false;
    // Compare against every configured credential, without stopping early.
    for (const digest of await expectedDigests) ok = equalDigests(digest, given) || ok;
    if (!ok) {
      const message = c.req.header('authorization') ? 'credential not accepted' : 'credential required';
      throw new EdgeHttpError(401, 'unauthorized', message, { 'WWW-Authenticate': challenge });
    }
    await next();
  };
}

/** Auth schemes are case-insensitive (RFC 9110 §11.1); the credential itself is compared exactly. */
function normaliseScheme(header: string): string {
  const match = /^(\S+)\s+(.*)$/.exec(header.trim());
  if (!match) return header;
  const scheme = match[1]!.toLowerCase();
  const canonical = scheme === 'bearer' ? 'Bearer' : scheme === 'basic' ? 'Basic' : match[1]!;
  return `${canonical} ${match[2]}`;
}

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
}

function equalDigests(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ (b[i] ?? 0);
  return diff === 0;
}

function base64Utf8(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}
