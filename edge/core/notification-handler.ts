// Handles one Alertmanager notification: validate, plan bonks, publish (QoS 2), optionally wait for the acks.
import type { Handler } from 'hono';
import { describeIssues, type Logger } from '../../contract/index.ts';
import { notificationSchema, type AlertmanagerNotification } from './alertmanager-payload.ts';
import type { EdgeConfig } from './config.ts';
import { parseDeviceQuery, parseWaitQuery, type Deliver } from './deliver-bonks.ts';
import { EdgeHttpError, printable } from './http-error.ts';
import type { EdgeMetrics } from './metrics.ts';
import { bodyText } from './request-body.ts';
import { toBonks } from './to-bonks.ts';

export interface NotificationHandlerDeps {
  config: EdgeConfig;
  logger: Logger;
  metrics: EdgeMetrics;
  now: () => number;
  /** The app's one delivery path, shared with the manual bonk. */
  deliver: Deliver;
}

export function createNotificationHandler(deps: NotificationHandlerDeps): Handler {
  const { config, metrics, logger, deliver } = deps;
  return async function handleNotification(c) {
    const queryDevice = parseDeviceQuery(c.req.query('device'));
    const waitForAcks = parseWaitQuery(c.req.query('wait'));
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
    const delivered = await deliver(c, plan, waitForAcks);
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
