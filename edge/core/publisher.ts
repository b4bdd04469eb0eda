// What the edge needs from a broker connection; mqtt.js implements it on Node, a workerd publisher in the Worker.
import type { Context } from 'hono';
import type { Ack, BonkCommand } from '../../contract/index.ts';

export interface BonkPublisher {
  /**
   * Resolves only once the broker has stored every command (QoS 2 PUBREC/PUBCOMP). Rejects with a PublishError saying
   * which step failed. A publish that never settles is cut by the app's one deadline (publish-failure.ts), which
   * aborts `deadline`: the caller has its 503 by then, and a publisher holding a connection drops it, since a broker
   * gone silent would hold every later request too.
   */
  publish(device: string, commands: BonkCommand[], deadline?: AbortSignal): Promise<void>;
  /**
   * Collects acks for these ids from `<P>/<device>/ack` until all arrived or timeoutMs passed.
   * Acks that arrive before the call are not seen: start waiting before publishing.
   */
  waitForAcks(device: string, ids: string[], timeoutMs: number): Promise<Ack[]>;
  /** False once the broker is known to be unreachable: the edge then fails fast with 503 instead of publishing. */
  isReady(): boolean;
  /** While isReady() is false, what ended the last connection (e.g. "connect ECONNREFUSED ..."), for the 503. */
  unreadyReason?(): string | undefined;
  /** For /readyz: can the broker be reached now? A publisher without a standing connection connects to find out. */
  checkReady(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * The app's publisher: one for the whole process (Node, the Durable Object), or the request's own, found in its
 * bindings (a plain Worker, which may hold no I/O object across requests).
 */
export type PublisherSource = BonkPublisher | ((c: Context) => BonkPublisher);

export function publisherOf(source: PublisherSource, c: Context): BonkPublisher {
  return typeof source === 'function' ? source(c) : source;
}

/**
 * Where a publish failed. not_connected: no connection to publish on (nothing was sent). timeout: sent, but the
 * broker did not confirm storing it in time. refused: the broker ended the connection while the publish was in flight
 * instead of confirming it; MQTT 3.1.1 has no negative PUBREC, so that is how Aedes refuses a publish (ACL) or one it
 * cannot store (a full disk fails the write of a persistent subscriber's copy, and Aedes closes the connection).
 */
export const PUBLISH_STEPS = ['not_connected', 'timeout', 'refused'] as const;
export type PublishStep = (typeof PUBLISH_STEPS)[number];

/** What every publisher rejects with, so the 503 and the metric name the step, whichever runtime published. */
export class PublishError extends Error {
  constructor(
    readonly step: PublishStep,
    message: string,
  ) {
    super(message);
    this.name = 'PublishError';
  }
}
