// A BonkPublisher fake for HTTP tests: records what was published and plays one scripted broker/device behaviour.
import type { Ack, BonkCommand } from '../../contract/index.ts';
import { PublishError, type BonkPublisher } from '../../edge/core/publisher.ts';

/**
 * stores: the broker stores every bonk; no device answers.  acks: stored, and the device acks each one ('done').
 * fails: the broker refuses (drops the connection during the publish).  hangs: no answer ever.  not-ready: not
 * connected.
 */
export type PublisherBehaviour = 'stores' | 'acks' | 'fails' | 'hangs' | 'not-ready';

export interface RecordingPublisher extends BonkPublisher {
  published: { device: string; command: BonkCommand }[];
}

interface Waiter {
  device: string;
  ids: Set<string>;
  acks: Ack[];
  finish(): void;
}

export function createRecordingPublisher(behaviour: PublisherBehaviour = 'stores'): RecordingPublisher {
  const published: RecordingPublisher['published'] = [];
  const waiters = new Set<Waiter>();
  const hanging: (() => void)[] = [];
  return {
    published,
    isReady: () => behaviour !== 'not-ready',
    checkReady: async () => behaviour !== 'not-ready',
    async publish(device, commands) {
      if (behaviour === 'not-ready') throw new PublishError('not_connected', 'no connection');
      if (behaviour === 'fails') throw new PublishError('refused', 'the broker closed the connection');
      if (behaviour === 'hangs') return new Promise<void>((resolve) => hanging.push(resolve));
      for (const command of commands) published.push({ device, command });
      if (behaviour === 'acks') for (const command of commands) answer(waiters, device, command);
    },
    waitForAcks(device, ids, timeoutMs) {
      return new Promise((resolve) => {
        const waiter: Waiter = {
          device,
          ids: new Set(ids),
          acks: [],
          finish() {
            clearTimeout(timer);
            waiters.delete(waiter);
            resolve(waiter.acks);
          },
        };
        const timer = setTimeout(() => waiter.finish(), timeoutMs);
        waiters.add(waiter);
      });
    },
    async close() {
      for (const waiter of [...waiters]) waiter.finish();
      // Settle hung publishes so nothing outlives the test.
      for (const resolve of hanging.splice(0)) resolve();
    },
  };
}

function answer(waiters: Set<Waiter>, device: string, command: BonkCommand): void {
  const ack: Ack = {
    id: command.id,
    result: 'done',
    bonks: command.count,
    startedAt: command.at,
    finishedAt: command.at,
    reason: command.reason,
    labels: command.labels,
  };
  for (const waiter of [...waiters]) {
    if (waiter.device !== device || !waiter.ids.delete(command.id)) continue;
    waiter.acks.push(ack);
    if (waiter.ids.size === 0) waiter.finish();
  }
}
