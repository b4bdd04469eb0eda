// The refusal log's rate limit: one line opens a window, the window's end logs a count, and every refusal is counted.
import { describe, expect, it } from 'vitest';
import { createRecordingLogger } from '../test/helpers/recording-logger.ts';
import { waitForEvent } from '../test/helpers/wait.ts';
import type { LimitKind } from './metrics.ts';
import { createLimitRefusals } from './limit-refusals.ts';

describe('createLimitRefusals', () => {
  it('logs the first refusal, then how many followed when the window ends, then the next one in full', async () => {
    const logger = createRecordingLogger();
    const counted: LimitKind[] = [];
    const refusals = createLimitRefusals({ logger, count: (limit) => counted.push(limit), windowMs: 50 });
    refusals.refused('connections', { remoteAddress: '192.0.2.1' });
    for (let i = 0; i < 1_000; i++) refusals.refused(i % 2 ? 'connections' : 'connect_timeout', {});
    expect(logger.entries).toEqual([
      { level: 'warn', msg: 'connection cut: over a broker limit', obj: { limit: 'connections', remoteAddress: '192.0.2.1' } },
    ]);
    const [summary] = await waitForEvent(logger.events, 'line');
    expect(summary).toEqual({
      level: 'warn', msg: 'more connections were cut for breaking a limit',
      obj: { notLogged: { connections: 500, connect_timeout: 500 }, windowMs: 50 },
    });
    refusals.refused('packet_size', { declaredBytes: 300_000 });
    expect(logger.entries.at(-1)?.obj).toEqual({ limit: 'packet_size', declaredBytes: 300_000 });
    expect(counted).toHaveLength(1_002);
    refusals.close();
    expect(logger.entries).toHaveLength(3); // nothing was held back in the last window
  });
});
