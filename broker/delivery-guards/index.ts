// The broker's delivery guards, in one place: five patches around Aedes 1.2 that keep every bonk the broker
// acknowledged deliverable live, each explained in its own file and each leaning on Aedes internals of that version:
// - ordered-persistence.ts: enqueues stored in publish order, so no acknowledged message is stranded;
// - write-behind-update.ts: the outgoing-state update after a delivery does not hold up the next delivery;
// - clean-session-incoming.ts: QoS 2 receive state of clean-session clients in memory, as MQTT 3.1.1 allows;
// - exact-dedupe.ts and replay-guard.ts: no duplicate and no lost message across reconnects and overtaking QoS 0.
// startBroker wires them through guardPersistence and deliveryHooks, after checkAedesVersion.
import type { Readable } from 'node:stream';
import type { Client, ConnectPacket } from 'aedes';
import type { Logger } from '../../contract/index.ts';
import type { AuthHooks } from '../auth-hooks.ts';
import { keepCleanSessionIncomingInMemory } from './clean-session-incoming.ts';
import { installExactDedupe, type DedupableClient } from './exact-dedupe.ts';
import { createOrderedPersistence, type AedesPersistenceLike, type OrderedPersistence } from './ordered-persistence.ts';
import { createReplayGuard, type ReplayClient } from './replay-guard.ts';
import { writeOutgoingUpdatesBehind } from './write-behind-update.ts';

/** The Aedes release every guard was checked against (docs/aedes-2-evaluation.md shows how to check another). */
export const GUARDED_AEDES_VERSION = '1.2.0';

/** Refuses to run the guards on another Aedes: their hooks would silently patch internals that may have changed. */
export function checkAedesVersion(aedes: object): void {
  const running = (aedes as { version?: unknown }).version;
  if (running === GUARDED_AEDES_VERSION) return;
  throw new Error(
    `the broker's delivery guards (broker/delivery-guards/) were written for aedes ${GUARDED_AEDES_VERSION}, but aedes ` +
      `${String(running ?? 'of an unknown version')} is running: install aedes ${GUARDED_AEDES_VERSION}, or check each guard ` +
      'against the new version (docs/aedes-2-evaluation.md) and then change GUARDED_AEDES_VERSION',
  );
}

/** The store as the guards wrap it: ordered enqueues, write-behind updates, clean-session QoS 2 state in memory. */
export function guardPersistence(store: AedesPersistenceLike, log: Logger, options: { ordered: boolean }) {
  return keepCleanSessionIncomingInMemory(writeOutgoingUpdatesBehind(createOrderedPersistence(store, options), log));
}

/**
 * The persistence and hooks that keep every acknowledged bonk deliverable live: ordered enqueues
 * (ordered-persistence.ts), an exact duplicate check (exact-dedupe.ts) and the reconnect replay guard (replay-guard.ts).
 * Aedes has one preConnect, so the auth hooks' look at the CONNECT packet runs in it too.
 */
export function deliveryHooks(
  persistence: OrderedPersistence,
  guarded: boolean,
  forwarded: () => void,
  inspectConnect: AuthHooks['inspectConnect'],
) {
  type PreConnect = (client: Client, packet: ConnectPacket, done: (error: Error | null, ok: boolean) => void) => void;
  if (!guarded) {
    const preConnect: PreConnect = (client, packet, done) => (inspectConnect(client, packet), done(null, true));
    return { persistence, preConnect, authorizeForward: <T>(_client: unknown, packet: T) => (forwarded(), packet) };
  }
  const replay = createReplayGuard();
  const outgoingStream = persistence.outgoingStream as (client: object) => Readable;
  const preConnect: PreConnect = (client, packet, done) => {
    inspectConnect(client, packet);
    installExactDedupe(client as unknown as DedupableClient);
    replay.connecting(client, packet);
    done(null, true);
  };
  return {
    persistence: { ...persistence, outgoingStream: (client: ReplayClient) => replay.replay(client, outgoingStream(client)) },
    preConnect,
    authorizeForward<T extends object>(client: object, packet: T) {
      if (!replay.mayForward(client, packet)) return null;
      forwarded();
      return packet;
    },
  };
}

