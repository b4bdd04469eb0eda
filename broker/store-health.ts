// Watches every call into the broker's store, so a store that cannot write (a full disk, Redis down) is loud: the first
// failure is logged with its cause, later ones are counted, and readiness says "cannot store" until a probe write
// succeeds again.
//
// Why: aedes answers a failed store write by closing the publisher's connection (handlers/publish.js: the error goes
// to `done`, the client's error handler destroys the socket) and logs nothing; the edge then sees only a dropped
// connection and the broker still looked healthy.
import type { Logger } from '../contract/index.ts';
import type { AedesPersistenceLike } from './delivery-guards/ordered-persistence.ts';

export interface StoreFailure {
  operation: string;
  cause: string;
  /** Epoch ms of the first failure of this spell. */
  since: number;
  /** Failures in this spell, the first included. */
  count: number;
}

export interface StoreHealth {
  /** undefined while the store works. */
  failing(): StoreFailure | undefined;
}

export interface StoreHealthDeps {
  logger: Logger;
  onFailure(operation: string): void;
  /** While failing, how often a probe write checks whether the store works again. */
  probeIntervalMs?: number;
  /** Between two summary lines of a failure spell, so a flood of failures cannot fill the log. */
  summaryIntervalMs?: number;
  now?: () => number;
}

/** Methods whose rejection means the store failed. Streams (outgoingStream, ...) report through aedes' own errors. */
const WATCHED = new Set([
  'storeRetained', 'addSubscriptions', 'removeSubscriptions', 'cleanSubscriptions', 'outgoingEnqueue',
  'outgoingEnqueueCombi', 'outgoingUpdate', 'outgoingClearMessageId', 'incomingStorePacket', 'incomingDelPacket',
  'cleanIncoming', 'putWill', 'delWill', 'subscriptionsByClient', 'countOffline', 'subscriptionsByTopic',
  'incomingGetPacket', 'getWill',
]);

// The stores' answer for "nothing stored under that id" (aedes-persistence, -level, -redis): a miss, not a failure.
const MISS = 'no such packet';

// A retained message under the broker's own `$SYS/` (no client may publish there), written and removed again. Only
// the probe ends a failure spell, not any write that happens to succeed: on a full disk a small write can still fit
// in the last page of an open file (a delete, a message id record) while a bonk does not, and readiness would flap.
// 16 KiB is more than any page's tail and than a bonk.
const PROBE_TOPIC = '$SYS/bonker/store-probe';
const PROBE_BYTES = 16 * 1024;

export function watchStoreHealth<P extends AedesPersistenceLike>(inner: P, deps: StoreHealthDeps): { persistence: P; health: StoreHealth } {
  const { logger, onFailure, probeIntervalMs = 2_000, summaryIntervalMs = 60_000, now = Date.now } = deps;
  let failure: StoreFailure | undefined;
  let reported = 0;
  let lastSummary = 0;
  let probe: ReturnType<typeof setInterval> | undefined;

  const failed = (operation: string, error: unknown) => {
    const cause = error instanceof Error ? error.message : String(error);
    onFailure(operation);
    if (!failure) {
      failure = { operation, cause, since: now(), count: 1 };
      reported = 1;
      lastSummary = now();
      logger.error({ operation, err: cause }, 'the broker cannot store: publishes to persistent sessions are refused until it can');
      probe = setInterval(() => void probeOnce(), probeIntervalMs);
      probe.unref();
      return;
    }
    failure = { ...failure, operation, cause, count: failure.count + 1 };
    if (now() - lastSummary >= summaryIntervalMs) {
      logger.error({ operation, err: cause, failures: failure.count - reported }, 'the broker still cannot store');
      reported = failure.count;
      lastSummary = now();
    }
  };
  const recovered = () => {
    if (!failure) return;
    const { count, since } = failure;
    failure = undefined;
    clearInterval(probe);
    probe = undefined;
    logger.info({ failures: count, failingForMs: now() - since }, 'the broker can store again');
  };
  const probeOnce = async () => {
    const packet = { cmd: 'publish', topic: PROBE_TOPIC, qos: 0, retain: true, dup: false, brokerId: 'probe', brokerCounter: 0 };
    try {
      await inner.storeRetained({ ...packet, payload: Buffer.alloc(PROBE_BYTES, 'p') } as never);
      await inner.storeRetained({ ...packet, payload: Buffer.alloc(0) } as never);
      recovered();
    } catch (error) {
      failed('probe', error);
    }
  };

  const watched = (name: string, method: (...args: unknown[]) => Promise<unknown>) =>
    async function watchedCall(...args: unknown[]) {
      try {
        return await method.apply(inner, args);
      } catch (error) {
        if (!(error instanceof Error && error.message === MISS)) failed(name, error);
        throw error;
      }
    };
  const destroy = async () => {
    clearInterval(probe);
    await inner.destroy();
  };
  // A Proxy, because the stores are class instances whose methods live on the prototype; an absent method (aedes
  // feature-detects cleanIncoming) stays absent.
  const wrappers = new Map<PropertyKey, unknown>();
  const persistence = new Proxy(inner, {
    get(target, name) {
      if (name === 'destroy') return destroy;
      const value = Reflect.get(target, name, target) as unknown;
      if (typeof value !== 'function') return value;
      if (!wrappers.has(name)) {
        const key = String(name);
        const method = value as (...args: unknown[]) => Promise<unknown>;
        wrappers.set(name, WATCHED.has(key) ? watched(key, method) : method.bind(target));
      }
      return wrappers.get(name);
    },
  });
  return { persistence, health: { failing: () => failure } };
}
