// The store watcher's rules, on the real in-memory store behind a switch that makes its writes fail like a full disk
// (the real full disk, a tmpfs filled by the broker in its own process, is test/interop/full-disk.test.ts).
import { afterEach, expect, it } from 'vitest';
import memoryPersistence from 'aedes-persistence';
import { createRecordingLogger } from '../test/helpers/recording-logger.ts';
import { waitUntil } from '../test/helpers/wait.ts';
import type { AedesPersistenceLike } from './delivery-guards/ordered-persistence.ts';
import { watchStoreHealth } from './store-health.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** The memory store, whose writes throw ENOSPC while `full` is set. */
function switchableStore() {
  const store = (memoryPersistence as unknown as () => AedesPersistenceLike)();
  const state = { full: false };
  const enospc = () => Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
  const proxy = new Proxy(store, {
    get(target, name) {
      const value = Reflect.get(target, name, target) as unknown;
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => Promise<unknown>;
      if (name === 'storeRetained' || name === 'outgoingEnqueueCombi') {
        return async (...args: unknown[]) => {
          if (state.full) throw enospc();
          return method.apply(target, args);
        };
      }
      return method.bind(target);
    },
  });
  return { store: proxy, state };
}

const packet = (n: number) => ({ cmd: 'publish', topic: `t/${n}`, payload: Buffer.from('x'), qos: 1, retain: true, brokerId: 'b', brokerCounter: n });

it('logs the first failure with its cause, counts the rest, and recovers only when its probe write succeeds', async () => {
  const { store, state } = switchableStore();
  const logger = createRecordingLogger();
  const failures: string[] = [];
  let clock = 0;
  const { persistence, health } = watchStoreHealth(store, {
    logger, onFailure: (operation) => failures.push(operation), probeIntervalMs: 10, summaryIntervalMs: 1_000, now: () => clock,
  });
  cleanups.push(() => persistence.destroy());
  await persistence.storeRetained(packet(1) as never);
  expect(health.failing()).toBeUndefined();

  state.full = true;
  for (const n of [2, 3, 4]) await expect(persistence.storeRetained(packet(n) as never)).rejects.toThrow('ENOSPC');
  expect(failures).toEqual(['storeRetained', 'storeRetained', 'storeRetained']);
  expect(health.failing()).toMatchObject({ operation: 'storeRetained', cause: 'ENOSPC: no space left on device', count: 3 });
  expect(logger.entries.filter((line) => line.level === 'error')).toHaveLength(1);
  expect(logger.entries[0]).toMatchObject({ level: 'error', obj: { operation: 'storeRetained', err: 'ENOSPC: no space left on device' } });

  // A later failure past the summary interval writes one line with the count since the last one.
  clock = 2_000;
  await expect(persistence.storeRetained(packet(5) as never)).rejects.toThrow('ENOSPC');
  const summary = logger.entries.filter((line) => line.level === 'error').at(-1)!;
  expect(summary.msg).toBe('the broker still cannot store');
  // The failures since the first line: bonks 3, 4 and 5, and any probe that ran meanwhile.
  expect(summary.obj.failures).toBeGreaterThanOrEqual(3);

  // A read that succeeds proves nothing about writes; the probe's write does.
  await (persistence.subscriptionsByTopic as (pattern: string) => Promise<unknown>)('t/#');
  expect(health.failing()).toBeDefined();
  state.full = false;
  await waitUntil(logger.events, 'line', () => health.failing() === undefined, 2_000);
  expect(logger.entries.at(-1)).toMatchObject({ level: 'info', msg: 'the broker can store again', obj: { failures: expect.any(Number) } });
});

it('does not count a miss ("no such packet") as a failure', async () => {
  const { store } = switchableStore();
  const failures: string[] = [];
  const { persistence, health } = watchStoreHealth(store, { logger: createRecordingLogger(), onFailure: (o) => failures.push(o) });
  cleanups.push(() => persistence.destroy());
  await expect(
    (persistence.incomingGetPacket as (c: unknown, p: unknown) => Promise<unknown>)({ id: 'nobody' }, { messageId: 7 }),
  ).rejects.toThrow('no such packet');
  expect(failures).toEqual([]);
  expect(health.failing()).toBeUndefined();
});
