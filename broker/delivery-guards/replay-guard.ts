// Keeps a reconnecting persistent session's stored-queue replay and its live messages from delivering one bonk twice.
//
// Why (aedes 1.2.0, aedes-persistence-level 9.2.0): lib/handlers/connect.js runs restoreSubs (live delivery starts:
// the client's subscriptions are back on the emitter) and only later emptyQueue, which replays
// `persistence.outgoingStream(client)` — a LevelDB snapshot taken when the stream first reads. A message enqueued in
// between is in both: the live path (lib/client.js deliverQoS) and the replay (emptyQueue → emptyQueueFilter) each
// call `outgoingUpdate` and write it. Once the client acknowledges one copy (outgoingClearMessageId deletes the
// record), the other's `outgoingUpdate` throws "no such packet" (#updateWithBrokerData); aedes turns that into a
// client error and drops the connection, stranding whatever was in flight until the next reconnect.
// Measured by delivery-races.test.ts with this guard off: 2–3 of 2,000 stranded per run, plus a dropped connection.
// (aedes' high-water-mark dedupe is not involved: the replay never calls it. See exact-dedupe.ts for the one that is.)
//
// The fix: from preConnect until its replay ends, a clean:false connection gets no live QoS>0 message; each refused
// one is kept and replayed after the stored ones (it is stored: enqueueOffline runs before emitPacket). Afterwards a
// live message the replay already sent is refused. The replay ends in the same synchronous step that finds nothing
// left to send, so no message can fall between "deferred" and "forwarded live".
//
// Relies on these aedes internals (re-check on upgrade):
// - preConnect runs before restoreSubs; `client` is one object per connection.
// - authorizeForward is called by getToForwardPacket (live; the packet has `messageId: undefined` because
//   aedes-packet clears it for QoS>0) and by emptyQueueFilter (replay; a QoSPacket that already has a numeric
//   messageId). A falsy return skips the write; for a live packet aedes then calls outgoingClearMessageId with that
//   undefined messageId (ordered-persistence.ts ignores it).
// - emptyQueue turns each streamed object into `new QoSPacket(data, client)`, so yielding a live packet replays it.
// - `client.subscriptions` maps each filter the connection holds to `{ qos }` (lib/client.js, handlers/subscribe.js).
//
// Also: emptyQueue writes a stored message at the QoS it was published with, where live delivery (deliverQoS)
// lowers it to the subscription's. So a QoS 1 subscriber (the device) gets replayed bonks at QoS 2 — against
// MQTT 3.1.1 section 3.8.4 and [MQTT-3.3.5-1] — and deferring live messages into the replay would spread that. So we
// lower them too.
// (It matters beyond taste: aedes-persistence (memory) outgoingUpdate matches a stored PUBREL by its undefined
// brokerId, so two PUBRECs in one read renumber the first PUBREL and that QoS 2 message never completes.)
//
// And: a stored PUBLISH that already has a message id was sent before and not acknowledged, so this is a re-delivery,
// which MUST carry DUP 1 [MQTT-3.3.1-1]; aedes replays it with the stored `dup: false` (aedes-packet copies it).
import { Readable } from 'node:stream';
import { filterCovers } from '../acl.ts';

export interface ReplayPacket {
  cmd?: string;
  dup?: boolean;
  topic?: string;
  qos?: number;
  brokerId?: string | null;
  brokerCounter?: number;
  messageId?: number;
}

export interface ReplayGuard {
  /** aedes preConnect: a clean:false connection starts out replaying. */
  connecting(client: object, packet: { clean?: boolean }): void;
  /** aedes authorizeForward: false means "not now" (deferred into the replay) or "already sent by the replay". */
  mayForward(client: object, packet: ReplayPacket): boolean;
  /** Wraps persistence.outgoingStream: the stored queue, then the live messages deferred meanwhile. */
  replay(client: ReplayClient, stored: Readable): Readable;
}

/** What the replay reads of an aedes Client: its subscriptions, to lower each message to the granted QoS. */
export interface ReplayClient {
  subscriptions?: Record<string, { qos?: number }>;
}

interface SessionState {
  replaying: boolean;
  deferred: Map<string, ReplayPacket>;
  // Kept for the connection's life (memory ~ its queue length): a live copy may be emitted after the replay ended.
  replayed: Set<string>;
}

const keyOf = (packet: ReplayPacket): string => `${packet.brokerId}:${packet.brokerCounter}`;

export function createReplayGuard(): ReplayGuard {
  const sessions = new WeakMap<object, SessionState>();
  return {
    connecting(client, packet) {
      if (packet.clean === false) sessions.set(client, { replaying: true, deferred: new Map(), replayed: new Set() });
    },
    mayForward(client, packet) {
      const session = sessions.get(client);
      // QoS 0 is never stored, so never replayed; a packet with a message id is the replay's own.
      if (!session || !packet.brokerId || !packet.qos || packet.messageId !== undefined) return true;
      const key = keyOf(packet);
      if (session.replaying) {
        session.deferred.set(key, packet);
        return false;
      }
      return !session.replayed.has(key);
    },
    replay(client, stored) {
      const session = sessions.get(client);
      return session ? Readable.from(storedThenDeferred(session, stored, (p) => atGrantedQoS(p, client))) : stored;
    },
  };
}

async function* storedThenDeferred(
  session: SessionState,
  stored: Readable,
  lower: (packet: ReplayPacket) => ReplayPacket,
): AsyncGenerator<ReplayPacket> {
  try {
    for await (const packet of stored as AsyncIterable<ReplayPacket>) {
      session.replayed.add(keyOf(packet));
      yield lower(asRedelivery(packet));
    }
    // Messages keep being deferred while we yield, so take them one at a time until none is left.
    for (let next = firstOf(session.deferred); next; next = firstOf(session.deferred)) {
      const [key, packet] = next;
      session.deferred.delete(key);
      if (session.replayed.has(key)) continue;
      session.replayed.add(key);
      yield lower(packet);
    }
  } finally {
    // Runs in the same step as the empty check above (or when the connection's stream is torn down).
    session.replaying = false;
    session.deferred.clear();
  }
}

/** A stored PUBLISH sent before (it has a message id) goes out again with DUP 1; one never sent keeps DUP 0. */
function asRedelivery(packet: ReplayPacket): ReplayPacket {
  const isPublish = packet.cmd === undefined || packet.cmd === 'publish';
  return isPublish && typeof packet.messageId === 'number' && !packet.dup ? { ...packet, dup: true } : packet;
}

/** A copy at the highest QoS the client's matching subscriptions granted (the memory store yields its own objects). */
function atGrantedQoS(packet: ReplayPacket, client: ReplayClient): ReplayPacket {
  const { topic, qos = 0 } = packet;
  if (topic === undefined || qos === 0) return packet;
  const granted = Object.entries(client.subscriptions ?? {})
    .filter(([filter]) => filterCovers(filter, topic))
    .map(([, sub]) => sub.qos ?? 0);
  // No matching subscription left (unsubscribed meanwhile): aedes' own replay sends it as stored; so do we.
  if (granted.length === 0 || Math.max(...granted) >= qos) return packet;
  return { ...packet, qos: Math.max(...granted) };
}

function firstOf<K, V>(map: Map<K, V>): [K, V] | undefined {
  return map.entries().next().value;
}
