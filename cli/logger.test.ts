// The process logger masks secret-named fields at any depth and leaves every other field as it was.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger('info', 'test', destination as never) };
}

describe('process logger', () => {
  it('masks secret-named fields at any depth, including a whole config logged by mistake', () => {
    const { lines, logger } = capture();
    const config = { brokerUrl: 'mqtt://b', auth: { token: 'tok-123', basic: { user: 'am', password: 'pw-456' } } };
    logger.child({ module: 'edge' }).warn({ config, env: { BONKER_EDGE_HMAC_SECRET: 'hmac-789' }, list: [{ authorization: 'Bearer x' }] }, 'oops');
    expect(JSON.stringify(lines)).not.toMatch(/tok-123|pw-456|hmac-789|Bearer x/);
    expect(lines[0]).toMatchObject({
      module: 'edge',
      msg: 'oops',
      config: { brokerUrl: 'mqtt://b', auth: { token: '[redacted]', basic: { user: 'am', password: '[redacted]' } } },
      env: { BONKER_EDGE_HMAC_SECRET: '[redacted]' },
      list: [{ authorization: '[redacted]' }],
    });
    // The caller's object is not changed.
    expect(config.auth.token).toBe('tok-123');
  });

  it('keeps ordinary fields and serialises errors', () => {
    const { lines, logger } = capture();
    logger.info({ published: ['a', 'b'], coalesced: 0, err: new Error('boom') }, 'notification handled');
    expect(lines[0]).toMatchObject({ published: ['a', 'b'], coalesced: 0, err: { message: 'boom' }, msg: 'notification handled' });
  });
});
