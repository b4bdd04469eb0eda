// Bearer / basic credential check for the webhook routes, constant-time, runtime-neutral (no node:crypto).
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
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
  const expectedDigests = expected.map(digestOf);
  const challenge = challenges.join(', ');
  return async function checkCredential(c, next) {
    const given = digestOf(normaliseScheme(c.req.header('authorization') ?? ''));
    let ok = false;
    // Compare against every configured credential, without stopping early.
    for (const digest of expectedDigests) ok = equalDigests(digest, given) || ok;
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

/** Synchronous SHA-256: Web Crypto's digest is a thread-pool job per call on Node (42 µs against 2 µs). */
function digestOf(text: string): Uint8Array {
  return sha256(utf8ToBytes(text));
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
