// Replaces aedes' "highest counter seen" duplicate check with an exact one, so a QoS 0 publish cannot strand a bonk.
//
// Why (aedes 1.2.0):
// - lib/client.js `dedupe(client, packet)`, called by `getToForwardPacket` in both `deliver0` and `deliverQoS`, keeps
//   `client.duplicates[brokerId]` = the highest `brokerCounter` delivered and drops every packet not above it.
// - aedes.js `publish()` numbers a QoS 0 message like any other (aedes-packet: `++broker.counter`) but runs
//   `publishFuncsSimple` (no `enqueueOffline`), so it reaches `emitPacket` at once, while an earlier QoS 1/2 message
//   to the same persistent subscriber still waits for its LevelDB enqueue. The QoS 0 one raises the mark; the QoS 2
//   one then counts as a duplicate and is never written, yet stays stored: it arrives at the next reconnect.
//   Measured by delivery-races.test.ts with this module off: 143–396 of 2,000 QoS 2 bonks stranded.
// Ordering QoS 0 behind pending disk writes would fix it too, but delays QoS 0 and misses other reorderings. So we
// keep the check (it is needed: overlapping subscriptions hand one packet to a client once per matching filter,
// [MQTT-3.3.5-1]) but make it exact: drop a counter only if this connection was already handed that same counter.
//
// Relies on these aedes internals (re-check on upgrade):
// - `client.deliverQoS` / `client.deliver0` are own properties set in the Client constructor; addSubs
//   (lib/handlers/subscribe.js) captures them when a subscription is added, and deliverQoS calls `that.deliver0`
//   for a QoS 0 packet. Replacing them in preConnect (handlers/connect.js, before any subscription) is early enough.
// - `dedupe()` forwards iff `(client.duplicates[brokerId] || 0) < brokerCounter`, synchronously inside deliver*,
//   so setting `duplicates[brokerId]` just before the call decides its verdict.
// - aedes.js resets `duplicates[brokerId]` when another broker is born; our window below is short enough not to care.

interface DedupedPacket {
  qos?: number;
  brokerId?: string | null;
  brokerCounter?: number;
}

type Deliver = (packet: DedupedPacket, done: () => void) => void;

/** The parts of an aedes Client this module touches. */
export interface DedupableClient {
  deliverQoS: Deliver;
  deliver0: Deliver;
  duplicates: Record<string, number>;
}

/** How many recent counters per broker a connection remembers; the copies of one packet arrive in the same emit. */
export const DEDUPE_WINDOW = 4096;

/** Call from aedes' preConnect, before the client has subscriptions. */
export function installExactDedupe(client: DedupableClient, window = DEDUPE_WINDOW): void {
  const seen = new Map<string, Set<number>>();
  const decide = (packet: DedupedPacket): void => {
    const { brokerId, brokerCounter } = packet;
    // aedes forwards packets without a broker id unconditionally (retained messages sent on SUBSCRIBE).
    if (!brokerId || brokerCounter === undefined) return;
    let counters = seen.get(brokerId);
    if (!counters) seen.set(brokerId, (counters = new Set()));
    const repeated = counters.has(brokerCounter);
    if (!repeated) {
      counters.add(brokerCounter);
      // A Set iterates in insertion order: the first entry is the oldest delivery.
      if (counters.size > window) counters.delete(counters.values().next().value!);
    }
    client.duplicates[brokerId] = repeated ? brokerCounter : brokerCounter - 1;
  };
  const deliverQoS = client.deliverQoS;
  const deliver0 = client.deliver0;
  client.deliverQoS = (packet, done) => {
    // deliverQoS hands a QoS 0 packet on to client.deliver0, which is wrapped too: decide only once.
    if ((packet.qos ?? 0) > 0) decide(packet);
    deliverQoS(packet, done);
  };
  client.deliver0 = (packet, done) => {
    decide(packet);
    deliver0(packet, done);
  };
}
