// Password hashes for the users file: scrypt from node:crypto in a self-describing string, checked in constant time.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const SCHEME = 'scrypt';
const DEFAULT_COST = { N: 16_384, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
// Upper bounds on what a hash string may ask for, so a bad file cannot make one login eat the machine.
const MAX_N = 1 << 20;
const MAX_R = 32;
const MAX_P = 16;

/** `scrypt$N=16384,r=8,p=1$<salt base64>$<key base64>`: the parameters travel with the hash. */
const HASH_PATTERN = /^scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

export async function hashPassword(plain: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(plain, salt, KEY_BYTES, DEFAULT_COST);
  const { N, r, p } = DEFAULT_COST;
  return `${SCHEME}$N=${N},r=${r},p=${p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(plain: string, hash: string): Promise<boolean> {
  const parsed = parsePasswordHash(hash);
  if (!parsed) return false;
  const key = await derive(plain, parsed.salt, parsed.key.length, parsed);
  return timingSafeEqual(key, parsed.key);
}

/** True when `value` is a hash this module wrote (so a plain-text password in the users file can be refused). */
export function isPasswordHash(value: string): boolean {
  return parsePasswordHash(value) !== undefined;
}

function parsePasswordHash(hash: string): ParsedHash | undefined {
  const match = HASH_PATTERN.exec(hash);
  if (!match) return undefined;
  const [N, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const isPowerOfTwo = N > 1 && (N & (N - 1)) === 0;
  if (!isPowerOfTwo || N > MAX_N || r < 1 || r > MAX_R || p < 1 || p > MAX_P) return undefined;
  const salt = Buffer.from(match[4]!, 'base64');
  const key = Buffer.from(match[5]!, 'base64');
  if (salt.length < 8 || key.length < 16) return undefined;
  return { N, r, p, salt, key };
}

function derive(plain: string, salt: Buffer, length: number, cost: { N: number; r: number; p: number }): Promise<Buffer> {
  // scrypt needs 128 * N * r bytes; node's default cap (32 MiB) would refuse the larger costs we accept.
  const maxmem = 256 * cost.N * cost.r;
  return new Promise((resolve, reject) => {
    scrypt(plain, salt, length, { ...cost, maxmem }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}
