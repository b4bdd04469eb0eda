// Drops the will a reconnecting client left on a broker that died, so it is never published over its live status.
//
// Why (aedes 1.2.0 + aedes-persistence-redis 11.2.2): the redis store keys a will by broker id and client id
// (`will:<brokerId>:<clientId>`, asyncPersistence.js putWill). When broker B is SIGKILLed and the device reconnects to
// A, A stores `will:A:<device>` beside the old `will:B:<device>`. Once B misses three heartbeats, aedes.js
// `_clearWills` on A publishes B's wills — the device's retained `offline` — although the device is online on A.
// (aedes-persistence-level keys wills by client id alone, so a reconnect overwrites the old one there.)
import type { Aedes } from 'aedes';
import type { Logger } from '../contract/index.ts';

interface WillStore {
  streamWill(brokers?: Record<string, number>): AsyncIterable<{ clientId?: string; brokerId?: string }>;
  delWill(client: { id: string; brokerId: string }): Promise<unknown>;
}

export function dropStaleWills(aedes: Aedes, store: WillStore, logger: Logger): void {
  aedes.on('client', (client) => {
    drop(aedes.id, client.id, store).catch((error: unknown) =>
      logger.warn({ clientId: client.id, err: (error as Error).message }, 'could not drop stale wills'),
    );
  });
}

async function drop(ownId: string, clientId: string, store: WillStore): Promise<void> {
  // streamWill(brokers) yields the wills of every broker not listed: here, all but our own.
  for await (const will of store.streamWill({ [ownId]: Date.now() })) {
    if (will.clientId === clientId && will.brokerId && will.brokerId !== ownId) {
      await store.delWill({ id: clientId, brokerId: will.brokerId });
    }
  }
}
