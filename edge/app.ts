// The edge as a Hono app: web-standard Request/Response only, so the same app runs on Node and in workerd.
import { Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { every } from 'hono/combine';
import { HTTPException } from 'hono/http-exception';
import type { Logger } from '../contract/index.ts';
import { createAuthCheck } from './auth.ts';
import type { EdgeConfig } from './config.ts';
import { EdgeHttpError } from './http-error.ts';
import type { EdgeMetrics } from './metrics.ts';
import { createNotificationHandler } from './notification-handler.ts';
import { createManualBonkGuards, createManualBonkHandler } from './manual-bonk-handler.ts';
import { createSignatureCheck } from './signature.ts';
import type { BonkPublisher } from './publisher.ts';

export interface EdgeAppDeps {
  config: EdgeConfig;
  publisher: BonkPublisher;
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
  // Not strict: a receiver URL written as `/alertmanager/` should still reach the webhook.
  const app = new Hono({ strict: false });
  const guards: MiddlewareHandler[] = [
    ...optional(createAuthCheck(config.auth)),
    requireJson,
    sizeLimit(config.bodyLimit),
    // After the size check: the signature covers the body, which must be read (bounded) to check it.
    ...optional(createSignatureCheck(config.hmac, deps.now ?? Date.now)),
  ];
  const handleNotification = createNotificationHandler({ ...deps, logger, now: deps.now ?? Date.now });
  // Checked in this order: credential, content type, size, signature; only then is the body parsed.
  const guard = every(...guards);
  for (const path of WEBHOOK_PATHS) app.post(path, guard, handleNotification);
  // The dashboard's Bonk button; JSON only, so a cross-site form cannot post it without a CORS preflight.
  const handleManualBonk = createManualBonkHandler({ ...deps, logger, now: deps.now ?? Date.now });
  app.post('/bonk', every(...createManualBonkGuards(config), requireJson), handleManualBonk);

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) =>
    (await publisher.checkReady())
      ? c.json({ status: 'ready' })
      : c.json({ status: 'not ready', error: 'not connected to the MQTT broker' }, 503),
  );
  app.get('/metrics', async (c) => {
    const { contentType, body } = await metrics.render();
    return c.body(body, 200, { 'content-type': contentType });
  });
  app.notFound((c) => c.json({ error: `no route for ${c.req.method} ${c.req.path}` }, 404));
  app.onError((error, c) => {
    if (error instanceof EdgeHttpError) {
      if (error.kind) metrics.error(error.kind);
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
      `content type ${type ? `"${type}"` : '(none)'} is not supported; expected application/json`,
    );
  }
  await next();
};

/**
 * 413 above `maxSize`. A Content-Length answers it from the header: hono's bodyLimit first reads `c.req.raw.body`,
 * which makes @hono/node-server build a full web Request and stream per request (about 15 % of the edge's CPU under
 * load, issue 7). Bodies without a length (chunked) are counted by bodyLimit as they are read.
 */
function sizeLimit(maxSize: number): MiddlewareHandler {
  // `Connection: close`: the server would otherwise read (and discard) the rest of a huge body to reach the next request.
  const tooLarge = () => {
    throw new EdgeHttpError(413, 'too_large', `request body is larger than ${maxSize} bytes (BONKER_EDGE_BODY_LIMIT)`, {
      connection: 'close',
    });
  };
  const counted = bodyLimit({ maxSize, onError: tooLarge });
  return async function checkSize(c, next) {
    const length = c.req.header('content-length');
    if (length === undefined || c.req.header('transfer-encoding') !== undefined) return counted(c, next);
    if (Number(length) > maxSize) tooLarge();
    await next();
  };
}

function optional<T>(value: T | undefined): T[] {
  return value === undefined ? [] : [value];
}
