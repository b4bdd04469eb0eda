// A publish that failed, or was not confirmed by BONKER_EDGE_PUBLISH_TIMEOUT_MS, as the 503 that names the failed step.
// Shared by the webhook and the manual bonk, for every publisher (they reject with PublishError, publisher.ts).
import { withTimeout } from '../../contract/index.ts';
import { EdgeHttpError } from './http-error.ts';
import { PublishError, type BonkPublisher, type PublishStep } from './publisher.ts';

/** Nothing is sent when the publisher already knows the broker is unreachable: 503 at once. */
export function ensureConnected(publisher: BonkPublisher): void {
  if (!publisher.isReady()) throw publishFailed(new PublishError('not_connected', publisher.unreadyReason?.() ?? ''));
}

/**
 * Waits for `publish` at most `timeoutMs`, then aborts the signal it was given. The deadline is the app's, the one for
 * every publisher: mqtt.js would keep waiting for a PUBREC that never comes. Any failure becomes a 503 whose message
 * and `step` say what went wrong.
 */
export async function storeWithin<T>(publish: (deadline: AbortSignal) => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = new AbortController();
  const missed = () => {
    const error = new PublishError('timeout', `no PUBREC within ${timeoutMs} ms`);
    deadline.abort(error);
    return error;
  };
  try {
    return await withTimeout(publish(deadline.signal), timeoutMs, missed);
  } catch (error) {
    throw publishFailed(asPublishError(error), timeoutMs);
  }
}

/** A publisher that rejects with something else still failed while publishing: the connection is what ended it. */
function asPublishError(error: unknown): PublishError {
  if (error instanceof PublishError) return error;
  return new PublishError('refused', error instanceof Error ? error.message : String(error));
}

/** Each 503 starts with what the caller needs to know about the bonks, then names the step. */
const WHAT_FAILED: Record<PublishStep, (timeoutMs: number) => string> = {
  not_connected: () => 'bonks not stored by the broker: not connected to the MQTT broker; nothing was published',
  timeout: (ms) =>
    `bonks not confirmed by the broker within ${ms} ms (BONKER_EDGE_PUBLISH_TIMEOUT_MS): it did not answer in time; ` +
    'they may still be stored, and a retry is deduplicated by id',
  refused: () =>
    'bonks not stored by the broker: it closed the connection during the publish instead of confirming it, as it ' +
    'does when it refuses a publish or cannot store it (e.g. its disk is full); see the broker log',
};

/** The PublishError as the app's answer; `timeoutMs` is the deadline a timeout missed. */
function publishFailed(error: PublishError, timeoutMs = 0): EdgeHttpError {
  const detail = error.message && error.step !== 'timeout' ? ` (${error.message})` : '';
  return new EdgeHttpError(503, 'publish_failed', `${WHAT_FAILED[error.step](timeoutMs)}${detail}`, {}, error.step);
}
