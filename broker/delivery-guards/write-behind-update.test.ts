// Recording a sent message id behind the write: a PUBACK's clear and a reconnect's replay still see it recorded.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createRecordingLogger } from '../../test/helpers/recording-logger.ts';
import type { AedesPersistenceLike } from './ordered-persistence.ts';
import { writeOutgoingUpdatesBehind } from './write-behind-update.ts';

/** A store whose updates finish only when the test says so, recording the order of what it was asked. */
function heldStore() {
  const calls: string[] = [];
  const held: { finish(error?: Error): void }[] = [];
  const store = {
    outgoingUpdate: (_client: unknown, packet: { messageId: number }) =>
      new Promise<void>((resolve, reject) => {
        calls.push(`update ${packet.messageId} started`);
        held.push({ finish: (error) => (calls.push(`update ${packet.messageId} done`), error ? reject(error) : resolve()) });
      }),
    outgoingClearMessageId: async (_client: unknown, packet: { messageId: number }) => {
      calls.push(`clear ${packet.messageId}`);
      return packet;
    },
    destroy: async () => void calls.push('destroy'),
    outgoingStream: () => {
      calls.push('stream');
      return Readable.from([{ messageId: 9 }]);
    },
  } as unknown as AedesPersistenceLike;
  return { store, calls, held };
}

const tux = { id: 'tux' };
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('write-behind outgoingUpdate', () => {
  it('resolves the update at once, and clears the id only after its update finished', async () => {
    const { store, calls, held } = heldStore();
    const persistence = writeOutgoingUpdatesBehind(store, createRecordingLogger());
    await (persistence.outgoingUpdate as (c: object, p: object) => Promise<void>)(tux, { messageId: 1 });
    const cleared = persistence.outgoingClearMessageId(tux, { messageId: 1 });
    await flush();
    expect(calls).toEqual(['update 1 started']);
    held[0]!.finish();
    await cleared;
    expect(calls).toEqual(['update 1 started', 'update 1 done', 'clear 1']);
  });

  it('keeps updates of one id in order and does not hold other ids back', async () => {
    const { store, calls, held } = heldStore();
    const persistence = writeOutgoingUpdatesBehind(store, createRecordingLogger());
    const update = persistence.outgoingUpdate as (c: object, p: object) => Promise<void>;
    await update(tux, { messageId: 1 });
    await update(tux, { messageId: 1 });
    await persistence.outgoingClearMessageId(tux, { messageId: 2 });
    await flush();
    expect(calls).toEqual(['update 1 started', 'clear 2']);
    held[0]!.finish();
    await flush();
    expect(calls).toEqual(['update 1 started', 'clear 2', 'update 1 done', 'update 1 started']);
  });

  it('replays a session only after its pending updates, and logs a failed update instead of throwing', async () => {
    const { store, calls, held } = heldStore();
    const logger = createRecordingLogger();
    const persistence = writeOutgoingUpdatesBehind(store, logger);
    await (persistence.outgoingUpdate as (c: object, p: object) => Promise<void>)(tux, { messageId: 3 });
    const replayed: unknown[] = [];
    const reading = (async () => {
      for await (const packet of (persistence.outgoingStream as (c: object) => Readable)(tux)) replayed.push(packet);
    })();
    await flush();
    expect(calls).toEqual(['update 3 started']);
    held[0]!.finish(new Error('no such packet'));
    await reading;
    expect(calls).toEqual(['update 3 started', 'update 3 done', 'stream']);
    expect(replayed).toEqual([{ messageId: 9 }]);
    expect(logger.entries.find((e) => e.level === 'warn')?.obj).toMatchObject({ clientId: 'tux', messageId: 3, err: 'no such packet' });
  });

  it('closes the store only after the pending updates are written', async () => {
    const { store, calls, held } = heldStore();
    const persistence = writeOutgoingUpdatesBehind(store, createRecordingLogger());
    await (persistence.outgoingUpdate as (c: object, p: object) => Promise<void>)(tux, { messageId: 4 });
    const destroyed = persistence.destroy();
    await flush();
    expect(calls).toEqual(['update 4 started']);
    held[0]!.finish();
    await destroyed;
    expect(calls).toEqual(['update 4 started', 'update 4 done', 'destroy']);
  });
});
