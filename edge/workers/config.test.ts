// The Worker's settings and its console logger: runtime-neutral code, tested in Node.
import { describe, expect, it } from 'vitest';
import { createConsoleLogger } from './console-logger.ts';
import { loadWorkerConfig } from './config.ts';

describe('loadWorkerConfig', () => {
  it('demands a credential unless told the edge is local, since a Worker is public', () => {
    expect(() => loadWorkerConfig({})).toThrow(/BONKER_EDGE_TOKEN: a credential is required/);
    expect(loadWorkerConfig({ BONKER_EDGE_TOKEN: 't' }).edge.auth.token).toBe('t');
    expect(loadWorkerConfig({ BONKER_EDGE_HOST: '127.0.0.1' }).mode).toBe('per-request');
  });

  it('reports every problem at once, including a broker URL the Worker cannot use', () => {
    expect(() =>
      loadWorkerConfig({ BONKER_EDGE_TOKEN: 't', BONKER_BROKER_URL: 'wss://b.example/mqtt', BONKER_LOG_LEVEL: 'loud' }),
    ).toThrow(/BONKER_LOG_LEVEL: expected one of[\s\S]*BONKER_BROKER_URL: the Worker connects over TCP only/);
  });

  it('ignores bindings that are not strings (Durable Objects, KV)', () => {
    const config = loadWorkerConfig({ BONKER_EDGE_TOKEN: 't', BONKER_BROKER_URL: 'mqtts://b.example', SOME_KV: {} });
    expect(config.broker).toEqual({ hostname: 'b.example', port: 8883, tls: true });
  });
});

describe('createConsoleLogger', () => {
  it('writes JSON lines at or above its level, with bindings, and masks credential-like fields', () => {
    const lines: string[] = [];
    const logger = createConsoleLogger('info', { module: 'edge' }, (line) => lines.push(line)).child({ part: 'x' });
    logger.debug('hidden');
    logger.warn({ password: 'hunter2', err: new Error('boom') }, 'careful');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 40, module: 'edge', part: 'x', password: '[redacted]', err: { message: 'boom' }, msg: 'careful' });
    expect(lines[0]).not.toContain('hunter2');
  });
});
