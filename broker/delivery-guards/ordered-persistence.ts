// Wraps an Aedes persistence so outgoing enqueues finish in publish order: the fix for bonks stranded by level.
//
// Why (aedes 1.2.0, aedes-persistence-level 9.2.0; upstream moscajs/aedes#955 and #994):
// - aedes.js `publish()` numbers every message (`new Packet(packet, this)` → `++broker.counter`) and runs
//   storeRetained → enqueueOffline → emitPacket. `enqueueOffline` (class DoEnqueues) awaits
//   `persistence.outgoingEnqueueCombi(subs, packet)` before `emitPacket` hands the message to the online client.
// - aedes-persistence-level asyncPersistence.js `outgoingEnqueue` is a LevelDB `put`; puts run on libuv's thread
//   pool and complete in any order. So with many publishes in flight, message 11 can reach emitPacket before 10.
// - lib/client.js `deliverQoS` → `getToForwardPacket` → `dedupe()` keeps, per client and broker id, the highest
//   brokerCounter seen and drops anything not above it. Message 10 is taken for a duplicate and never written to the
//   socket, yet it stays in the outgoing store — so it arrives only when the client reconnects (hours, for a bonk).
// The fix: let every write run at once, but resolve each enqueue's promise only after all earlier ones resolved,
// so emitPacket sees messages in counter order. A retained QoS>0 message passes through storeRetained (another
// write) first, so it reserves its place in line there. The in-memory persistence completes in order already; the
// wrapper costs it nothing but a few microtasks.
// The two races this cannot order are closed elsewhere: a QoS 0 publish overtaking a QoS>0 one (exact-dedupe.ts) and
// a reconnect replay racing live messages (replay-guard.ts).

export interface PacketLike {
  qos?: number;
  brokerId?: string;
  brokerCounter?: number;
}

/** The promise-returning persistence Aedes 1.x calls; methods we do not touch are passed through as they are. */
export interface AedesPersistenceLike {
  setup(broker: { id: string }): Promise<void>;
  storeRetained(packet: PacketLike): Promise<void>;
  outgoingEnqueue(sub: { clientId: string }, packet: PacketLike): Promise<void>;
  outgoingEnqueueCombi(subs: { clientId: string }[] | undefined, packet: PacketLike): Promise<unknown>;
  outgoingClearMessageId(client: unknown, packet: unknown): Promise<PacketLike | undefined>;
  destroy(): Promise<void>;
  [method: string]: unknown;
}

export interface OrderedPersistence extends AedesPersistenceLike {
  /** Messages enqueued for persistent sessions by this broker run and not yet acknowledged (see metrics.ts). */
  queuedMessages(): number;
}

const PASS_THROUGH = [
  'createRetainedStream', 'createRetainedStreamCombi', 'addSubscriptions', 'removeSubscriptions',
  'subscriptionsByClient', 'countOffline', 'subscriptionsByTopic', 'cleanSubscriptions', 'outgoingUpdate',
  'outgoingStream', 'incomingStorePacket', 'incomingGetPacket', 'incomingDelPacket', 'cleanIncoming', 'putWill',
  'getWill', 'delWill', 'streamWill', 'getClientList',
] as const;

type Fill = (work: Promise<unknown>) => Promise<void>;

/** `ordered: false` leaves the upstream behaviour, only so the no-strand test can show that it catches the bug. */
export function createOrderedPersistence(inner: AedesPersistenceLike, { ordered = true } = {}): OrderedPersistence {
  const line = createCompletionLine();
  const reserved = new WeakMap<object, Fill>();
  let brokerId: string | undefined;
  let queued = 0;
  const placeFor = (packet: PacketLike): Fill => {
    const fill = reserved.get(packet) ?? (ordered ? line.reserve() : (work) => work.then(noop));
    reserved.delete(packet);
    return fill;
  };

  const wrapper: OrderedPersistence = {
    ...passThrough(inner),
    // Aedes refuses a persistence whose setup is not an AsyncFunction (aedes.js listen()).
    setup: async (broker) => {
      brokerId = broker.id;
      await inner.setup(broker);
    },
    storeRetained(packet) {
      if (ordered && (packet.qos ?? 0) > 0) reserved.set(packet, line.reserve());
      const stored = inner.storeRetained(packet);
      // On failure aedes stops the publish before enqueueOffline, so the reserved place must be given back.
      stored.catch(() => reserved.get(packet) && void placeFor(packet)(Promise.resolve()));
      return stored;
    },
    async outgoingEnqueueCombi(subs, packet) {
      await placeFor(packet)(inner.outgoingEnqueueCombi(subs, packet));
      queued += subs?.length ?? 0;
    },
    async outgoingEnqueue(sub, packet) {
      await placeFor(packet)(inner.outgoingEnqueue(sub, packet));
      queued += 1;
    },
    async outgoingClearMessageId(client, packet) {
      // aedes' deliverQoS calls this for a packet it decided not to write (lib/client.js, the dedupe/authorizeForward
      // refusal branch), before any message id was given. aedes-persistence (memory) would then remove the first
      // stored message whose id is also undefined: the oldest unsent one. Nothing sent, nothing to clear.
      if ((packet as { messageId?: unknown }).messageId == null) return undefined;
      const cleared = await inner.outgoingClearMessageId(client, packet);
      // Messages inherited from an earlier run carry that run's broker id and were never counted here.
      if (cleared && cleared.brokerId === brokerId && queued > 0) queued -= 1;
      return cleared;
    },
    destroy: () => inner.destroy(),
    queuedMessages: () => queued,
  };
  return wrapper;
}

/** Places in line: each place's promise settles like its own work, but never before the place ahead of it. */
function createCompletionLine(): { reserve(): Fill } {
  let tail: Promise<void> = Promise.resolve();
  return {
    reserve() {
      const ahead = tail;
      let fill!: (work: Promise<unknown>) => void;
      const work = new Promise<void>((resolve, reject) => {
        fill = (w) => void w.then(() => resolve(), reject);
      });
      const inTurn = work.then(
        async () => ahead,
        async (error: unknown) => {
          await ahead;
          throw error;
        },
      );
      tail = inTurn.catch(noop);
      return (w) => {
        fill(w);
        return inTurn;
      };
    },
  };
}

function passThrough(inner: AedesPersistenceLike): Record<string, unknown> {
  const methods: Record<string, unknown> = {};
  for (const name of PASS_THROUGH) {
    const method = inner[name];
    // cleanIncoming is feature-detected by aedes, so an absent method must stay absent.
    if (typeof method === 'function') methods[name] = method.bind(inner);
  }
  return methods;
}

function noop(): void {}
