// Content-Encoding parsing and bounded decoding, on Node's web-standard streams (the same API workerd has).
import { deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BodyDecodeError, decodeWithin, parseContentEncoding } from './body-decoding.ts';

const MB = 1024 * 1024;
const bytes = (buffer: Buffer): Uint8Array<ArrayBuffer> => Uint8Array.from(buffer);

describe('parseContentEncoding', () => {
  it.each([
    [undefined, 'identity'],
    ['', 'identity'],
    ['identity', 'identity'],
    ['gzip', 'gzip'],
    [' GZip ', 'gzip'],
    ['x-gzip', 'gzip'],
    ['deflate', 'deflate'],
    ['identity, gzip', 'gzip'],
    ['br', undefined],
    ['zstd', undefined],
    ['compress', undefined],
    ['gzip, br', undefined],
    ['gzip, gzip', undefined],
    ['deflate-raw', undefined],
  ])('%j → %s', (header, coding) => expect(parseContentEncoding(header)).toBe(coding));
});

describe('decodeWithin', () => {
  it('inflates gzip and deflate (zlib) bodies', async () => {
    const text = JSON.stringify({ alerts: [] });
    const decode = async (data: Buffer, coding: 'gzip' | 'deflate') => new TextDecoder().decode(await decodeWithin(bytes(data), coding, 1_000));
    expect(await decode(gzipSync(text), 'gzip')).toBe(text);
    expect(await decode(deflateSync(text), 'deflate')).toBe(text);
  });

  it.each([
    ['plain text as gzip', Buffer.from('{"alerts":[]}'), 'gzip'],
    ['truncated gzip', gzipSync('{"alerts":[]}').subarray(0, 12), 'gzip'],
    ['gzip as deflate', gzipSync('{}'), 'deflate'],
    ['an empty body as gzip', Buffer.alloc(0), 'gzip'],
  ] as const)('refuses %s as invalid', async (_, data, coding) => {
    await expect(decodeWithin(bytes(data), coding, 1_000)).rejects.toMatchObject({ failure: 'invalid' });
  });

  it('stops a bomb at the limit: 1 MiB of gzip that would be 1 GiB costs about the limit in memory', async () => {
    // 16 gzip members of 64 MiB of spaces each: one valid gzip body, made 16 times faster than compressing 1 GiB.
    const bomb = bytes(Buffer.concat(Array<Buffer>(16).fill(gzipSync(Buffer.alloc(64 * MB, 0x20), { level: 9 }))));
    expect(bomb.byteLength).toBeLessThan(1.1 * MB);
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 1);
    const error = await decodeWithin(bomb, 'gzip', MB).catch((e: unknown) => e);
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    expect(error).toBeInstanceOf(BodyDecodeError);
    expect((error as BodyDecodeError).failure).toBe('too_large');
    // Inflating it would cost 1 GiB; 64 MiB leaves room for the collector's timing.
    expect(peak - before).toBeLessThan(64 * MB);
  }, 30_000);

  it('accepts a body exactly at the limit and refuses one byte more', async () => {
    const exact = bytes(gzipSync(Buffer.alloc(1_000, 0x61)));
    expect((await decodeWithin(exact, 'gzip', 1_000)).byteLength).toBe(1_000);
    await expect(decodeWithin(exact, 'gzip', 999)).rejects.toMatchObject({ failure: 'too_large' });
  });
});
