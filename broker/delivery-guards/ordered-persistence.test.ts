// The ordering wrapper on its own: enqueues settle in publish order however their writes complete.
import { describe, expect, it } from 'vitest';
import { createOrderedPersistence, type AedesPersistenceLike, type PacketLike } from './ordered-persistence.ts';
import { openPersistence } from '../persistence.ts';

/** A persistence whose writes finish only when the test says so: the out-of-order completion LevelDB shows. */
function manualPersistence() {
  const pending = new Map<PacketLike, { resolve(): void; reject(error: Error): void }>();
  const write = (packet: PacketLike) => new Promise<void>((resolve, reject) => pending.set(packet, { resolve, reject }));
  const inner = {
    setup: async () => {},
    storeRetained: write,
    outgoingEnqueue: (_sub: unknown, packet: PacketLike) => write(packet),
    outgoingEnqueueCombi: (_subs: unknown, packet: PacketLike) => write(packet),
    outgoingClearMessageId: async () => undefined,
    destroy: async () => {},
  } as AedesPersistenceLike;
  return { inner, finish: (packet: PacketLike) => pending.get(packet)!.resolve(), fail: (packet: PacketLike) => pending.get(packet)!.reject(new Error('disk full')) };
}

const sub = [{ clientId: 'tux' }];
const settleOrder = (entries: [string, Promise<unknown>][]) => {
  const order: string[] = [];
  return { order, all: Promise.allSettled(entries.map(([name, p]) => p.then(() => order.push(name), () => order.push(`${name}!`)))) };
};

describe('createOrderedPersistence', () => {
  it('settles enqueues in call order when the writes complete backwards', async () => {
    const { inner, finish } = manualPersistence();
    const persistence = createOrderedPersistence(inner);
    const [a, b, c] = [{ qos: 1 }, { qos: 1 }, { qos: 1 }];
    const run = settleOrder([['a', persistence.outgoingEnqueueCombi(sub, a)], ['b', persistence.outgoingEnqueueCombi(sub, b)], ['c', persistence.outgoingEnqueue(sub[0]!, c)]]);
    finish(c);
    finish(b);
    finish(a);
    await run.all;
    expect(run.order).toEqual(['a', 'b', 'c']);
    expect(persistence.queuedMessages()).toBe(3);
  });

  it('keeps a retained message\'s place from storeRetained on, and gives it back if storing fails', async () => {
    const { inner, finish, fail } = manualPersistence();
    const persistence = createOrderedPersistence(inner);
    const [retained, failing, plain] = [{ qos: 1, retain: true }, { qos: 2 }, { qos: 1 }];
    const stored = persistence.storeRetained(retained);
    void persistence.storeRetained(failing).catch(() => {});
    const plainDone = persistence.outgoingEnqueueCombi(sub, plain);
    finish(plain);
    fail(failing);
    finish(retained);
    await stored;
    const run = settleOrder([['plain', plainDone], ['retained', persistence.outgoingEnqueueCombi(sub, retained)]]);
    finish(retained);
    await run.all;
    expect(run.order).toEqual(['retained', 'plain']);
  });

  it('passes a failed write on, without holding up the ones behind it', async () => {
    const { inner, finish, fail } = manualPersistence();
    const persistence = createOrderedPersistence(inner);
    const [a, b] = [{ qos: 1 }, { qos: 1 }];
    const run = settleOrder([['a', persistence.outgoingEnqueueCombi(sub, a)], ['b', persistence.outgoingEnqueueCombi(sub, b)]]);
    finish(b);
    fail(a);
    await run.all;
    expect(run.order).toEqual(['a!', 'b']);
  });

  it('clears nothing for a message aedes refused before giving it an id (memory would drop the oldest unsent one)', async () => {
    const persistence = createOrderedPersistence(await openPersistence({ kind: 'memory' }));
    const client = { id: 'tux' };
    const queued = { cmd: 'publish', topic: 'bonker/tux/bonk', payload: Buffer.from('bonk-1'), qos: 1, brokerId: 'b', brokerCounter: 1 };
    await persistence.outgoingEnqueue({ clientId: 'tux' }, queued);
    expect(await persistence.outgoingClearMessageId(client, { ...queued, brokerCounter: 2, messageId: undefined })).toBeUndefined();
    const stream = (persistence.outgoingStream as (c: object) => AsyncIterable<PacketLike>)(client);
    const left: PacketLike[] = [];
    for await (const packet of stream) left.push(packet);
    expect(left.map((packet) => packet.brokerCounter)).toEqual([1]);
    await persistence.destroy();
  });
});
