// Handles one Alertmanager notification: validate, plan bonks, publish (QoS 2), optionally wait for the acks.
import type { Handler } from 'hono';
import { describeIssues, deviceIdSchema, type Ack, type BonkCommand, type Logger } from '../contract/index.ts';
import { notificationSchema, type AlertmanagerNotification } from './alertmanager-payload.ts';
import type { EdgeConfig } from './config.ts';
import { EdgeHttpError, printable } from './http-error.ts';
import type { EdgeMetrics } from './metrics.ts';
import { ensureConnected, storeWithin } from './publish-failure.ts';
import type { BonkPublisher } from './publisher.ts';
import { bodyText } from './request-body.ts';
import { createStoredBonks, type StoredBonks } from './stored-bonks.ts';
import { byDevice, toBonks, type BonkPlan } from './to-bonks.ts';

export interface NotificationHandlerDeps {
  config: EdgeConfig;
  publisher: BonkPublisher;
  logger: Logger;
  metrics: EdgeMetrics;
  now: () => number;
  /** The repeat memory to use: one that outlives the app (a Worker's isolate), else the app makes its own. */
  storedBonks?: StoredBonks;
}

export function createNotificationHandler(deps: NotificationHandlerDeps): Handler {
  const { config, metrics, logger } = deps;
  const deliver = createDelivery(deps);
  return async function handleNotification(c) {
    const queryDevice = parseQueryDevice(c.req.query('device'));
    const waitForAcks = parseWait(c.req.query('wait'));
    const notification = parseNotification(await bodyText(c));
    metrics.notificationReceived();
    const plan = toBonks(notification, {
      defaultDevice: config.defaultDevice,
      queryDevice,
      max: config.maxBonks,
      now: deps.now,
    });
    metrics.alertsReceived('firing', plan.firing);
    metrics.alertsReceived('resolved', plan.resolved);
    if (plan.invalidDeviceLabels.length) {
      logger.warn(
        { labels: plan.invalidDeviceLabels, device: config.defaultDevice },
        'bonker_device label is not a valid device id; using the default device',
      );
    }
    const delivered = await deliver(plan, waitForAcks);
    if (plan.coalesced) metrics.bonksCoalesced(plan.coalesced);
    logger.info(
      {
        receiver: notification.receiver,
        groupKey: notification.groupKey,
        firing: plan.firing,
        resolved: plan.resolved,
        published: delivered.published,
        repeated: delivered.repeated ?? 0,
        coalesced: plan.coalesced,
      },
      'notification handled',
    );
    return c.json({ ...delivered, coalesced: plan.coalesced });
  };
}

/** Stored-bonk ids remembered per edge (about 100 bytes each). */
const REMEMBERED_BONKS = 10_000;

interface Delivered {
  published: string[];
  /** How many of `published` were stored before (a re-sent alert) and not sent again; absent when none. */
  repeated?: number;
  acks?: Ack[];
  pending?: string[];
}

export function createRepeatMemory(config: EdgeConfig, now: () => number, shareInFlight = true): StoredBonks {
  return createStoredBonks({ windowMs: config.repeatWindowMs, max: REMEMBERED_BONKS, now, shareInFlight });
}

function createDelivery({ config, publisher, metrics, logger, now, storedBonks }: NotificationHandlerDeps) {
  const stored = storedBonks ?? createRepeatMemory(config, now);
  // ?wait=ack publishes every time: the device's `duplicate` ack is the answer the caller waits for.
  const store = (device: string, commands: BonkCommand[], waitForAcks: boolean) =>
    waitForAcks
      ? publisher.publish(device, commands).then(() => 0)
      : stored.store(device, commands, (fresh) => publisher.publish(device, fresh));
  return async function deliver(plan: BonkPlan, waitForAcks: boolean): Promise<Delivered> {
    const published = plan.bonks.map((bonk) => bonk.command.id);
    if (published.length === 0) return waitForAcks ? { published, acks: [], pending: [] } : { published };
    ensureConnected(publisher);
    const groups = byDevice(plan.bonks);
    // Listen before publishing: a fast device can ack before the broker's PUBCOMP reaches us.
    const acks = waitForAcks ? collectAcks(publisher, groups, config.ackTimeoutMs) : undefined;
    const started = performance.now();
    const perDevice = await storeWithin(
      Promise.all([...groups].map(([device, commands]) => store(device, commands, waitForAcks))),
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

function parseNotification(text: string): AlertmanagerNotification {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new EdgeHttpError(400, 'bad_json', `request body is not valid JSON: ${jsonProblem(error, text)}`);
  }
  const parsed = notificationSchema.safeParse(json);
  if (!parsed.success) {
    throw new EdgeHttpError(400, 'bad_shape', `not an Alertmanager webhook payload: ${describeIssues(parsed.error)}`);
  }
  return parsed.data;
}

function parseQueryDevice(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const parsed = deviceIdSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new EdgeHttpError(400, 'bad_shape', `device: ${parsed.error.issues[0]?.message ?? 'invalid device id'}`);
}

function parseWait(value: string | undefined): boolean {
  if (value === undefined) return false;
  if (value === 'ack') return true;
  throw new EdgeHttpError(400, 'bad_shape', `wait: expected "ack" (or no wait parameter), got ${JSON.stringify(value)}`);
}

/**
 * The parser's reason without the stretch of body V8 quotes into it (`"\u001f\u008b…" is not valid JSON`), made
 * printable; a body that starts like gzip gets a hint, since that is a compressed body sent without its header.
 */
function jsonProblem(error: unknown, text: string): string {
  const message = error instanceof Error ? error.message : String(error);
  const reason = message.replace(/(^|, )".*" is not valid JSON$/s, (_, comma: string) => (comma ? '' : 'unexpected input'));
  // 0x1f 0x8b, the gzip magic, as TextDecoder leaves it (0x8b alone is not UTF-8).
  const gzipped = text.startsWith('\u001f\ufffd');
  const hint = gzipped ? ' (it looks gzip-compressed: send it with Content-Encoding: gzip)' : '';
  return `${printable(reason, 120)}${hint}`;
}
