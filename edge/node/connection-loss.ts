// Publishes in flight on the edge's mqtt.js connection: failed as `refused` when the connection drops under them, and
// what ended the last connection, so a not_connected 503 can say why.
import type { MqttClient } from 'mqtt';
import { PublishError } from '../core/publisher.ts';

export interface ConnectionLoss {
  /** The publish, failing as `refused` if the connection closes before it settles. */
  track(publish: Promise<void>): Promise<void>;
  /** mqtt.js 'error': kept as the detail of the next loss. */
  error(message: string): void;
  /** mqtt.js 'close'. */
  closed(): void;
  /** Connected and subscribed: ready to publish. */
  connected(): void;
  /** What ended the last connection (or why none could be opened), while there is none. */
  reason(): string | undefined;
}

/**
 * mqtt.js keeps a QoS 2 publish across a lost connection and sends it again after reconnecting, so its promise does
 * not settle when the broker drops the connection mid-publish; Aedes does exactly that to refuse a publish, or one it
 * cannot store (a full disk). So a close fails every publish in flight and removes it from mqtt.js's store: resent,
 * a refused bonk would be refused again on every reconnect, and the connection would flap under every later request.
 * The edge answered 503 for it; Alertmanager's retry publishes it again, with the same id.
 */
export function createConnectionLoss(client: MqttClient): ConnectionLoss {
  const failing = new Set<(error: PublishError) => void>();
  let lastError: string | undefined;
  let lost: string | undefined;
  return {
    track(publish) {
      return new Promise<void>((resolve, reject) => {
        failing.add(reject);
        publish.then(resolve, reject).finally(() => failing.delete(reject));
      });
    },
    error(message) {
      lastError = message;
    },
    closed() {
      const how = lastError ? `ended (${lastError})` : 'was closed by the broker';
      lost = `the last connection ${how}${failing.size ? ' during a publish' : ''}`;
      for (const fail of [...failing]) fail(new PublishError('refused', lastError ?? ''));
      lastError = undefined;
      failing.clear();
      for (const id of Object.keys(client.outgoing)) client.removeOutgoingMessage(Number(id));
    },
    connected() {
      lost = undefined;
      lastError = undefined;
    },
    reason: () => lastError ?? lost,
  };
}
