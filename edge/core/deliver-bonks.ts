// The one delivery path of the edge: alert bonks and manual bonks are published the same way — refused at once when
// the broker is known to be unreachable, listened for before publishing, stored within BONKER_EDGE_PUBLISH_TIMEOUT_MS
// (503 naming the failed step otherwise), re-sent alerts answered from the repeat memory, and counted.
import type { Context } from 'hono';
import { deviceIdSchema, type Ack, type BonkCommand, type Logger } from '../../contract/index.ts';
import type { EdgeConfig } from './config.ts';
import { EdgeHttpError } from './http-error.ts';
import type { EdgeMetrics } from './metrics.ts';
import { ensureConnected, storeWithin } from './publish-failure.ts';
import { publisherOf, type BonkPublisher, type PublisherSource } from './publisher.ts';
import { createStoredBonks } from './stored-bonks.ts';
import { byDevice, type PlannedBonk } from './to-bonks.ts';

export interface DeliveryDeps {
  config: EdgeConfig;
  publisher: PublisherSource;
  logger: Logger;
  metrics: EdgeMetrics;
  now: () => number;
}

/** Stored-bonk ids remembered per edge (about 100 bytes each). */
const REMEMBERED_BONKS = 10_000;

export interface Delivered {
  published: string[];
  /** How many of `published` were stored before (a re-sent alert) and not sent again; absent when none. */
  repeated?: number;
  acks?: Ack[];
  pending?: string[];
}

export type Deliver = (c: Context, plan: { bonks: PlannedBonk[] }, waitForAcks: boolean) => Promise<Delivered>;

export function createDelivery({ config, publisher: source, metrics, logger, now }: DeliveryDeps): Deliver {
  const perRequest = typeof source === 'function';
  // The repeat memory lives as long as the app. With a publisher per request, a repeat does not wait for a store still
  // in flight: that promise belongs to another request, which workerd does not wake this one for.
  const stored = createStoredBonks({ windowMs: config.repeatWindowMs, max: REMEMBERED_BONKS, now, shareInFlight: !perRequest });
  // ?wait=ack publishes every time: the device's `duplicate` ack is the answer the caller waits for.
  const store = (publisher: BonkPublisher, device: string, commands: BonkCommand[], wait: boolean, deadline: AbortSignal) =>
    wait
      ? publisher.publish(device, commands, deadline).then(() => 0)
      : stored.store(device, commands, (fresh) => publisher.publish(device, fresh, deadline));
  return async function deliver(c, plan, waitForAcks) {
    const published = plan.bonks.map((bonk) => bonk.command.id);
    if (published.length === 0) return waitForAcks ? { published, acks: [], pending: [] } : { published };
    const publisher = publisherOf(source, c);
    ensureConnected(publisher);
    const groups = byDevice(plan.bonks);
    // Listen before publishing: a fast device can ack before the broker's PUBCOMP reaches us.
    const acks = waitForAcks ? collectAcks(publisher, groups, config.ackTimeoutMs) : undefined;
    const started = performance.now();
    const perDevice = await storeWithin(
      (deadline) => Promise.all([...groups].map(([device, commands]) => store(publisher, device, commands, waitForAcks, deadline))),
      config.publishTimeoutMs,
    ).catch((error: EdgeHttpError) => {
      logger.warn({ ids: published, step: error.step, reason: error.message }, 'publish failed');
      throw error;
    });
    const repeated = perDevice.reduce((sum, n) => sum + n, 0);
    metrics.publishSeconds((performance.now() - started) / 1000);
    metrics.bonksPublished(published.length - repeated);
    if (repeated) metrics.bonksRepeated(repeated);
    if (!acks) return repeated ? { published, repeated } : { published };
    const received = await acks;
    const acked = new Set(received.map((ack) => ack.id));
    return { published, acks: received, pending: published.filter((id) => !acked.has(id)) };
  };
}

async function collectAcks(publisher: BonkPublisher, groups: Map<string, BonkCommand[]>, timeoutMs: number) {
  const perDevice = await Promise.all(
    [...groups].map(([device, commands]) =>
      publisher.waitForAcks(device, commands.map((command) => command.id), timeoutMs).catch(() => [] as Ack[]),
    ),
  );
  return perDevice.flat();
}

/** `?device=`: a valid device id, or 400. */
export function parseDeviceQuery(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const parsed = deviceIdSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new EdgeHttpError(400, 'bad_shape', `device: ${parsed.error.issues[0]?.message ?? 'invalid device id'}`);
}

/** `?wait=ack`, or no wait; anything else is 400. */
export function parseWaitQuery(value: string | undefined): boolean {
  if (value === undefined) return false;
  if (value === 'ack') return true;
  throw new EdgeHttpError(400, 'bad_shape', `wait: expected "ack" (or no wait parameter), got ${JSON.stringify(value)}`);
}

