// Matches acks arriving on `<P>/+/ack` to the requests waiting for them; shared by the Node and workerd publishers.
import { parseAck, type Ack, type Logger, type Topics } from '../../contract/index.ts';

export interface AckWait {
  /** The acks that arrived, once all did or the timeout passed. */
  result: Promise<Ack[]>;
  /** Stops waiting now and resolves `result` with what arrived so far. */
  done(): void;
}

export interface AckWaiters {
  wait(device: string, ids: string[], timeoutMs: number): AckWait;
  /** Feed every message received on an ack topic; others are ignored. */
  dispatch(topic: string, payload: Uint8Array): void;
  /** Ends every wait (on close). */
  endAll(): void;
}

interface Waiter {
  device: string;
  missing: Set<string>;
  acks: Ack[];
  done(): void;
}

export function createAckWaiters(topics: Topics, logger: Logger): AckWaiters {
  const waiters = new Set<Waiter>();
  return {
    wait(device, ids, timeoutMs) {
      let resolve!: (acks: Ack[]) => void;
      const result = new Promise<Ack[]>((r) => (resolve = r));
      const waiter: Waiter = {
        device,
        missing: new Set(ids),
        acks: [],
        done() {
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(waiter.acks);
        },
      };
      const timer = setTimeout(() => waiter.done(), timeoutMs);
      if (waiter.missing.size === 0) waiter.done();
      else waiters.add(waiter);
      return { result, done: () => waiter.done() };
    },
    dispatch(topic, payload) {
      const where = topics.parse(topic);
      if (where?.kind !== 'ack') return;
      const ack = parseAck(payload);
      if (!ack) return logger.debug({ topic }, 'ignoring an ack that does not match the contract');
      for (const waiter of [...waiters]) {
        if (waiter.device !== where.device || !waiter.missing.delete(ack.id)) continue;
        waiter.acks.push(ack);
        if (waiter.missing.size === 0) waiter.done();
      }
    },
    endAll() {
      for (const waiter of [...waiters]) waiter.done();
    },
  };
}
