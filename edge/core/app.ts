// The edge as a Hono app: web-standard Request/Response only, so the same app runs on Node and in workerd.
import { Hono, type MiddlewareHandler } from 'hono';
import { every } from 'hono/combine';
import { HTTPException } from 'hono/http-exception';
import { VERSION, type Logger } from '../../contract/index.ts';
import { createAuthCheck } from './auth.ts';
import type { EdgeConfig } from './config.ts';
import { ClientAbortedError, EdgeHttpError, printable } from './http-error.ts';
import type { EdgeMetrics } from './metrics.ts';
import { createNotificationHandler } from './notification-handler.ts';
import { createManualBonkGuards, createManualBonkHandler, MANUAL_BONK_BODY_LIMIT } from './manual-bonk-handler.ts';
import { readBody } from './request-body.ts';
import { createSignatureCheck } from './signature.ts';
import { publisherOf, type PublisherSource } from './publisher.ts';
import { createDelivery } from './deliver-bonks.ts';

export interface EdgeAppDeps {
  config: EdgeConfig;
  /** Built once per process or isolate: a publisher per request comes from the request's bindings. */
  publisher: PublisherSource;
  logger: Logger;
  metrics: EdgeMetrics;
  /** Clock for the commands' `at`, epoch milliseconds. */
  now?: () => number;
}

/** Alertmanager's webhook receiver posts here; `/hook` is the short alias. */
export const WEBHOOK_PATHS = ['/alertmanager', '/hook'] as const;

export function createEdgeApp(deps: EdgeAppDeps): Hono {
  const { config, publisher, metrics } = deps;
  const logger = deps.logger.child({ module: 'edge-app' });
  const now = deps.now ?? Date.now;
  // Not strict: a receiver URL written as `/alertmanager/` should still reach the webhook.
  const app = new Hono({ strict: false });
  const guards: MiddlewareHandler[] = [
    ...optional(createAuthCheck(config.auth)),
    requireJson,
    readBody({ maxSize: config.bodyLimit, name: 'BONKER_EDGE_BODY_LIMIT' }),
    // After the body is read (bounded): the signature covers the bytes as sent, before any decoding.
    ...optional(createSignatureCheck(config.hmac, now)),
  ];
  // One delivery path (and one repeat memory) for alert bonks and manual bonks.
  const handlerDeps = { config, logger, metrics, now, deliver: createDelivery({ config, publisher, logger, metrics, now }) };
  const handleNotification = createNotificationHandler(handlerDeps);
  // Checked in this order: credential, content type, content encoding, size, signature; then decoded and parsed.
  const guard = every(...guards);
  for (const path of WEBHOOK_PATHS) app.post(path, guard, handleNotification);
  // The dashboard's Bonk button; JSON only, so a cross-site form cannot post it without a CORS preflight.
  const handleManualBonk = createManualBonkHandler(handlerDeps);
  const bonkGuards = every(...createManualBonkGuards(config), requireJson, readBody(MANUAL_BONK_BODY_LIMIT));
  app.post('/bonk', bonkGuards, handleManualBonk);

  app.get('/healthz', (c) => c.json({ status: 'ok', version: VERSION }));
  app.get('/readyz', async (c) =>
    (await publisherOf(publisher, c).checkReady())
      ? c.json({ status: 'ready' })
      : c.json({ status: 'not ready', error: 'not connected to the MQTT broker' }, 503),
  );
  app.get('/metrics', async (c) => {
    const { contentType, body } = await metrics.render();
    return c.body(body, 200, { 'content-type': contentType });
  });
  app.notFound((c) => c.json({ error: `no route for ${c.req.method} ${c.req.path}` }, 404));
  app.onError((error, c) => {
    if (error instanceof ClientAbortedError) {
      // The client went away mid-upload (or Node cut it with its own 408): nothing to fix here, and no one to answer.
      const where = { method: c.req.method, path: c.req.path, reason: error.reason };
      logger.debug(where, 'request body not read: the client went away');
      return c.json({ error: error.message }, error.status);
    }
    if (error instanceof EdgeHttpError) {
      if (error.kind) metrics.error(error.kind, error.step);
      // Refusals are what an operator debugs (a wrong token in Alertmanager, a broker down); never the credential.
      logger.warn({ status: error.status, kind: error.kind, method: c.req.method, path: c.req.path }, error.message);
      return c.json({ error: error.message }, error.status, error.headers);
    }
    if (error instanceof HTTPException) return c.json({ error: error.message || 'request failed' }, error.status);
    logger.error({ err: error }, 'unexpected error while answering a request');
    return c.json({ error: 'internal error' }, 500);
  });
  return app;
}

/** Alertmanager always sends application/json; anything else is a misconfigured sender (or curl without -H). */
const requireJson: MiddlewareHandler = async function requireJson(c, next) {
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json' && !/^application\/[\w.+-]+\+json$/.test(type)) {
    throw new EdgeHttpError(
      415,
      'unsupported_type',
      `content type ${type ? `"${printable(type, 80)}"` : '(none)'} is not supported; expected application/json`,
    );
  }
  await next();
};

function optional<T>(value: T | undefined): T[] {
  return value === undefined ? [] : [value];
}
