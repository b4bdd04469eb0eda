// `POST /bonk?device=X[&wait=ack]`: one manual bonk from the dashboard's button, published like an alert's bonk;
// with wait=ack, 504 when the device did not answer in time (the bonk stays stored for it).
import type { Handler, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import {
  describeIssues, deviceIdSchema, isLoopbackHost, MAX_BONK_COUNT, manualBonk, type Ack, type Logger,
} from '../contract/index.ts';
import { createAuthCheck } from './auth.ts';
import type { EdgeConfig } from './config.ts';
import { EdgeHttpError } from './http-error.ts';
import type { EdgeMetrics } from './metrics.ts';
import { ensureConnected, storeWithin } from './publish-failure.ts';
import type { BonkPublisher } from './publisher.ts';
import { bodyText, type BodyLimit } from './request-body.ts';

/** The body is JSON (so a cross-site form cannot send it without a CORS preflight); `{}` means one strike. */
const manualBonkBody = z.strictObject({ count: z.number().int().min(1).max(MAX_BONK_COUNT).default(1) });

/** `{"count": 10}` needs 13 bytes; the app reads the body through readBody() with this limit. */
export const MANUAL_BONK_BODY_LIMIT: BodyLimit = { maxSize: 1024, name: 'the limit of a manual bonk' };

/**
 * The webhook's bearer/basic credential guards the button too; never the HMAC alone (a browser cannot sign). With
 * neither configured the route works only on a loopback edge, like the webhook.
 */
export function createManualBonkGuards(config: EdgeConfig): MiddlewareHandler[] {
  const auth = createAuthCheck(config.auth);
  if (auth) return [auth];
  if (isLoopbackHost(config.host)) return [];
  const refuse: MiddlewareHandler = async () => {
    throw new EdgeHttpError(401, 'unauthorized', 'manual bonks need BONKER_EDGE_TOKEN or basic auth on this edge');
  };
  return [refuse];
}

export interface ManualBonkDeps {
  config: EdgeConfig;
  publisher: BonkPublisher;
  logger: Logger;
  metrics: EdgeMetrics;
  now: () => number;
}

export function createManualBonkHandler(deps: ManualBonkDeps): Handler {
  const { config, publisher, logger, metrics, now } = deps;
  return async function handleManualBonk(c) {
    const device = parseDevice(c.req.query('device') ?? config.defaultDevice);
    const wait = c.req.query('wait');
    if (wait !== undefined && wait !== 'ack') {
      throw new EdgeHttpError(400, 'bad_shape', `wait: expected "ack" (or no wait parameter), got ${JSON.stringify(wait)}`);
    }
    const { count } = parseBody(await bodyText(c));
    const command = manualBonk(count, { newId: () => crypto.randomUUID(), now }, 'dashboard');
    ensureConnected(publisher);
    // Listen before publishing: a fast device can ack before the broker's PUBCOMP reaches us.
    const acks = wait ? publisher.waitForAcks(device, [command.id], config.ackTimeoutMs).catch(() => [] as Ack[]) : undefined;
    await storeWithin(publisher.publish(device, [command]), config.publishTimeoutMs).catch((error: EdgeHttpError) => {
      logger.warn({ id: command.id, device, step: error.step, reason: error.message }, 'manual bonk not published');
      throw error;
    });
    metrics.bonksPublished(1);
    logger.info({ id: command.id, device, count }, 'manual bonk published');
    if (!acks) return c.json({ published: [command.id] });
    const received = await acks;
    if (received.length) return c.json({ published: [command.id], acks: received, pending: [] });
    // Not a failure of the edge: the broker holds the bonk in the device's persistent session until the device takes
    // it; a device that never connected has no session, hence the proviso.
    const error =
      `no ack came from device ${device} within ${config.ackTimeoutMs} ms; the bonk is stored and will strike when ` +
      'the device connects, provided it has connected to this broker before (oom-bonker status lists the devices it knows)';
    logger.warn({ id: command.id, device, ackTimeoutMs: config.ackTimeoutMs }, 'manual bonk: no ack in time');
    return c.json({ error, published: [command.id], acks: [], pending: [command.id] }, 504);
  };
}

function parseDevice(value: string): string {
  const parsed = deviceIdSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new EdgeHttpError(400, 'bad_shape', `device: ${parsed.error.issues[0]?.message ?? 'invalid device id'}`);
}

function parseBody(text: string): { count: number } {
  let json: unknown;
  try {
    json = text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    throw new EdgeHttpError(400, 'bad_json', 'request body is not valid JSON; expected {"count": 1..10} or {}');
  }
  const parsed = manualBonkBody.safeParse(json);
  if (parsed.success) return parsed.data;
  throw new EdgeHttpError(400, 'bad_shape', `not a manual bonk: ${describeIssues(parsed.error)}`);
}
