// Keeps the QoS 2 receive state of clean-session clients in memory: it cannot outlive their connection anyway.
//
// Why: for every QoS 2 PUBLISH, aedes 1.2.0 checks, stores, reads back and deletes an "incoming" record
// (lib/handlers/publish.js enqueuePublish, lib/handlers/pubrel.js): four LevelDB operations per bonk the edge
// publishes, about half of the broker's CPU under load (bench/RESULTS.md, figure 1). That record only lets the broker
// recognise a re-sent PUBLISH or PUBREL of the same flow. A clean session lasts as long as its network connection and
// its state must not be reused after it [MQTT-3.1.2-6]; aedes itself drops it when the connection ends (lib/client.js
// close → cleanIncoming). So for clean sessions (the edge, the CLI) the record is kept per connection in memory;
// persistent sessions keep theirs in the store, where a reconnect after a broker restart can still find it.
// The bonk itself is not in this record: aedes forwards it (and stores it for offline persistent sessions) before
// it answers PUBREC, whatever is done here.
import type { AedesPersistenceLike } from './ordered-persistence.ts';

interface SessionClient {
  clean?: boolean;
}

interface FlowPacket {
  messageId?: number;
}

/** The four persistence methods aedes uses for a QoS 2 flow it receives. */
export interface IncomingFlows {
  incomingStorePacket(client: SessionClient, packet: FlowPacket): Promise<unknown>;
  incomingGetPacket(client: SessionClient, packet: FlowPacket): Promise<unknown>;
  incomingDelPacket(client: SessionClient, packet: FlowPacket): Promise<unknown>;
  cleanIncoming(client: SessionClient): Promise<unknown>;
}

/**
 * Wraps `inner` so clean sessions' incoming QoS 2 records live in a map per connection. `inner` must be a plain object
 * of bound methods (as createOrderedPersistence returns), since its own properties are copied.
 */
export function keepCleanSessionIncomingInMemory<P extends AedesPersistenceLike>(inner: P): P & IncomingFlows {
  // Keyed by aedes' client object, which lives exactly as long as the connection.
  const flows = new WeakMap<object, Map<number, FlowPacket>>();
  const flowsOf = (client: object) => {
    let map = flows.get(client);
    if (!map) flows.set(client, (map = new Map()));
    return map;
  };
  const isClean = (client: SessionClient) => client.clean === true;
  const call = (method: string, ...args: unknown[]) => (inner[method] as (...a: unknown[]) => Promise<unknown>).apply(inner, args);
  return {
    ...inner,
    async incomingStorePacket(client: SessionClient, packet: FlowPacket) {
      if (!isClean(client)) return call('incomingStorePacket', client, packet);
      flowsOf(client).set(packet.messageId!, { ...packet });
    },
    async incomingGetPacket(client: SessionClient, packet: FlowPacket) {
      if (!isClean(client)) return call('incomingGetPacket', client, packet);
      const stored = flows.get(client)?.get(packet.messageId!);
      // Same contract as aedes-persistence: a missing flow rejects.
      if (!stored) throw new Error('no such packet');
      return stored;
    },
    async incomingDelPacket(client: SessionClient, packet: FlowPacket) {
      if (!isClean(client)) return call('incomingDelPacket', client, packet);
      if (!flows.get(client)?.delete(packet.messageId!)) throw new Error('no such packet');
    },
    async cleanIncoming(client: SessionClient) {
      flows.delete(client);
      // A client id used before with a persistent session may still have records in the store.
      if (typeof inner.cleanIncoming === 'function') await call('cleanIncoming', client);
    },
  };
}
