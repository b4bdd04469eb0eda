// `POST /bonk?device=X[&wait=ack]`: one manual bonk from the dashboard's button, published like an alert's bonk;
// with wait=ack, 504 when the device did not answer in time (the bonk stays stored for it).
import type { Handler, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { describeIssues, isLoopbackHost, MAX_BONK_COUNT, manualBonk } from '../../contract/index.ts';
import { createAuthCheck } from './auth.ts';
import type { EdgeConfig } from './config.ts';
import { parseDeviceQuery, parseWaitQuery } from './deliver-bonks.ts';
import { EdgeHttpError } from './http-error.ts';
import type { NotificationHandlerDeps } from './notification-handler.ts';
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

/** The webhook's dependencies, delivery included: a manual bonk is published exactly like an alert's. */
export type ManualBonkDeps = Omit<NotificationHandlerDeps, 'metrics'>;

export function createManualBonkHandler({ config, logger, now, deliver }: ManualBonkDeps): Handler {
  return async function handleManualBonk(c) {
    const device = parseDeviceQuery(c.req.query('device')) ?? config.defaultDevice;
    const wait = parseWaitQuery(c.req.query('wait'));
    const { count } = parseBody(await bodyText(c));
    const command = manualBonk(count, { newId: () => crypto.randomUUID(), now }, 'dashboard');
    const delivered = await deliver(c, { bonks: [{ device, command }] }, wait);
    logger.info({ id: command.id, device, count }, 'manual bonk published');
    if (!wait || delivered.acks?.length) return c.json(delivered);
    // Not a failure of the edge: the broker holds the bonk in the device's persistent session until the device takes
    // it; a device that never connected has no session, hence the proviso.
    const error =
      `no ack came from device ${device} within ${config.ackTimeoutMs} ms; the bonk is stored and will strike when ` +
      'the device connects, provided it has connected to this broker before (oom-bonker status lists the devices it knows)';
    logger.warn({ id: command.id, device, ackTimeoutMs: config.ackTimeoutMs }, 'manual bonk: no ack in time');
    return c.json({ error, ...delivered }, 504);
  };
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
