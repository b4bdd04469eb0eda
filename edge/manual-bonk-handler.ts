// `POST /bonk?device=X[&wait=ack]`: one manual bonk from the dashboard's button, published like an alert's bonk.
import type { Handler, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import {
  describeIssues, deviceIdSchema, isLoopbackHost, MAX_BONK_COUNT, manualBonk, type Ack, type Logger,
} from '../contract/index.ts';
import { createAuthCheck } from './auth.ts';
import type { EdgeConfig } from './config.ts';
import { EdgeHttpError } from './http-error.ts';
import type { EdgeMetrics } from './metrics.ts';
import type { BonkPublisher } from './publisher.ts';

/** The body is JSON (so a cross-site form cannot send it without a CORS preflight); `{}` means one strike. */
const manualBonkBody = z.strictObject({ count: z.number().int().min(1).max(MAX_BONK_COUNT).default(1) });

const BODY_LIMIT = 1024;

/**
 * The webhook's bearer/basic credential guards the button too; never the HMAC alone (a browser cannot sign). With
 * neither configured the route works only on a loopback edge, like the webhook.
 */
export function createManualBonkGuards(config: EdgeConfig): MiddlewareHandler[] {
  const limit = bodyLimit({
    maxSize: BODY_LIMIT,
    onError: () => {
      throw new EdgeHttpError(413, 'too_large', `a manual bonk body is at most ${BODY_LIMIT} bytes`);
    },
  });
  const auth = createAuthCheck(config.auth);
  if (auth) return [auth, limit];
  if (isLoopbackHost(config.host)) return [limit];
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
    const { count } = parseBody(await c.req.text());
    const command = manualBonk(count, { newId: () => crypto.randomUUID(), now }, 'dashboard');
    if (!publisher.isReady()) {
      throw new EdgeHttpError(503, 'publish_failed', 'not connected to the MQTT broker; nothing was published');
    }
    // Listen before publishing: a fast device can ack before the broker's PUBCOMP reaches us.
    const acks = wait ? publisher.waitForAcks(device, [command.id], config.ackTimeoutMs).catch(() => [] as Ack[]) : undefined;
    try {
      await withTimeout(publisher.publish(device, [command]), config.publishTimeoutMs);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      logger.warn({ id: command.id, device, reason }, 'manual bonk not published');
      throw new EdgeHttpError(503, 'publish_failed', `bonk not stored by the broker: ${reason}`);
    }
    metrics.bonksPublished(1);
    logger.info({ id: command.id, device, count }, 'manual bonk published');
    if (!acks) return c.json({ published: [command.id] });
    const received = await acks;
    return c.json({ published: [command.id], acks: received, pending: received.length ? [] : [command.id] });
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

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the broker did not confirm within ${ms} ms (BONKER_EDGE_PUBLISH_TIMEOUT_MS)`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
