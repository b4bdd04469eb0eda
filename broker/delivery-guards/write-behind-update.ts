// Lets aedes write a stored message to its subscriber while the message id is being recorded, instead of after.
//
// Why (aedes 1.2.0, aedes-persistence-level 9.2.0): before writing a QoS 1/2 message to a persistent session, aedes
// awaits `persistence.outgoingUpdate` (lib/client.js deliverQoS, handlers/connect.js emptyQueue, handlers/pubrec.js).
// In level that is a get, a del and two puts, one after the other: four thread-pool round trips on every bonk's way to
// the device, about half of the alert-to-strike p50 and most of its p99 (bench/RESULTS.md, figure 2).
// The record only maps the message id to the stored message, so that the subscriber's PUBACK / PUBCOMP can clear it.
// So here outgoingUpdate resolves at once and runs behind; clearing an id waits for that id's update, and a
// reconnect's replay (outgoingStream) waits for all of the client's. Nothing about durability changes: the message was
// stored by outgoingEnqueue before aedes got here. A broker killed before the record is written re-sends the message
// at the next connection, exactly as one killed before the PUBACK would; the device deduplicates by bonk id.
// An update that fails (the message was cleared meanwhile) is logged; aedes would have dropped the connection instead.
import { Readable } from 'node:stream';
import type { Logger } from '../../contract/index.ts';
import type { AedesPersistenceLike } from './ordered-persistence.ts';

interface Client {
  id: string;
}

interface Identified {
  messageId?: number;
}

export function writeOutgoingUpdatesBehind<P extends AedesPersistenceLike>(inner: P, logger: Logger): P {
  // client id → message id → the update still running for it (chained, so updates of one id stay in order)
  const pending = new Map<string, Map<number | undefined, Promise<void>>>();
  const pendingOf = (client: Client) => {
    let ids = pending.get(client.id);
    if (!ids) pending.set(client.id, (ids = new Map()));
    return ids;
  };
  const settled = (client: Client, messageId?: number) => pending.get(client.id)?.get(messageId) ?? Promise.resolve();
  const allSettled = async (client: Client) => {
    await Promise.all([...(pending.get(client.id)?.values() ?? [])]);
  };
  return {
    ...inner,
    async outgoingUpdate(client: Client, packet: Identified) {
      const ids = pendingOf(client);
      const update = settled(client, packet.messageId)
        .then(() => (inner.outgoingUpdate as (c: Client, p: Identified) => Promise<unknown>)(client, packet))
        .then(
          () => {},
          (error: Error) => logger.warn({ clientId: client.id, messageId: packet.messageId, err: error.message }, 'recording a sent message id failed'),
        )
        .finally(() => {
          if (ids.get(packet.messageId) === update) ids.delete(packet.messageId);
          if (ids.size === 0 && pending.get(client.id) === ids) pending.delete(client.id);
        });
      ids.set(packet.messageId, update);
    },
    async outgoingClearMessageId(client: Client, packet: Identified) {
      await settled(client, packet.messageId);
      return inner.outgoingClearMessageId(client, packet);
    },
    // A graceful stop writes what is pending first, so the next start does not replay messages already acknowledged.
    async destroy() {
      await Promise.all([...pending.values()].flatMap((ids) => [...ids.values()]));
      return inner.destroy();
    },
    outgoingStream(client: Client) {
      const stream = inner.outgoingStream as (client: Client) => AsyncIterable<unknown>;
      return Readable.from(
        (async function* () {
          await allSettled(client);
          yield* stream(client);
        })(),
      );
    },
  };
}
