// What the edge needs from a broker connection; mqtt.js implements it on Node, a workerd publisher in the Worker.
import type { Ack, BonkCommand } from '../contract/index.ts';

export interface BonkPublisher {
  /** Resolves only once the broker has stored every command (QoS 2 PUBREC/PUBCOMP); rejects on failure/timeout. */
  publish(device: string, commands: BonkCommand[]): Promise<void>;
  /**
   * Collects acks for these ids from `<P>/<device>/ack` until all arrived or timeoutMs passed.
   * Acks that arrive before the call are not seen: start waiting before publishing.
   */
  waitForAcks(device: string, ids: string[], timeoutMs: number): Promise<Ack[]>;
  /** False once the broker is known to be unreachable: the edge then fails fast with 503 instead of publishing. */
  isReady(): boolean;
  /** For /readyz: can the broker be reached now? A publisher without a standing connection connects to find out. */
  checkReady(): Promise<boolean>;
  close(): Promise<void>;
}
