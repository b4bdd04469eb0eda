// HMAC signature check in-process: timestamps against the edge's clock, bytes that are not UTF-8, and with a token.
import { describe, expect, it } from 'vitest';
import { silentLogger, type Env } from '../../contract/index.ts';
import { fixtures } from '../../test/fixtures/index.ts';
import { createEdgeApp } from './app.ts';
import { loadEdgeConfig } from './config.ts';
import { createMemoryMetrics } from './metrics.ts';
import { createRecordingPublisher } from '../../test/helpers/recording-publisher.ts';
import { SIGNATURE_MAX_SKEW_S, signBody } from './signature.ts';

const SECRET = 'signature-test-secret';
const NOW_MS = 1_764_000_000_000;
const TIMESTAMPED = { BONKER_EDGE_HMAC_SECRET: SECRET, BONKER_EDGE_HMAC_TIMESTAMP_HEADER: 'X-Grafana-Alerting-Timestamp' };

function edge(env: Env) {
  const publisher = createRecordingPublisher();
  const config = loadEdgeConfig(env);
  const app = createEdgeApp({ config, publisher, logger: silentLogger, metrics: createMemoryMetrics(), now: () => NOW_MS });
  return { app, publisher };
}

async function post(app: ReturnType<typeof edge>['app'], body: string | Uint8Array<ArrayBuffer>, headers: Record<string, string>) {
  const response = await app.request('/alertmanager', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: response.status, body: (await response.json()) as { error?: string } };
}

describe('HMAC signature', () => {
  const body = JSON.stringify(fixtures.firingOne);

  it.each([
    ['now', 0, 200],
    ['at the edge of the window', SIGNATURE_MAX_SKEW_S - 1, 200],
    ['just past the window', SIGNATURE_MAX_SKEW_S + 2, 401],
    ['in the future past the window', -(SIGNATURE_MAX_SKEW_S + 2), 401],
  ])('a timestamp signed %s → %i', async (_, ageS, status) => {
    const { app, publisher } = edge(TIMESTAMPED);
    const timestamp = String(Math.floor(NOW_MS / 1000) - ageS);
    const signature = await signBody(SECRET, body, timestamp);
    const answer = await post(app, body, {
      'x-grafana-alert-signature': signature,
      'x-grafana-alerting-timestamp': timestamp,
    });
    expect(answer.status, answer.body.error).toBe(status);
    expect(publisher.published).toHaveLength(status === 200 ? 1 : 0);
  });

  it('a timestamp changed after signing is refused', async () => {
    const { app } = edge(TIMESTAMPED);
    const timestamp = String(Math.floor(NOW_MS / 1000));
    const signature = await signBody(SECRET, body, timestamp);
    const answer = await post(app, body, {
      'x-grafana-alert-signature': signature,
      'x-grafana-alerting-timestamp': String(Number(timestamp) - 1),
    });
    expect(answer).toEqual({ status: 401, body: { error: 'signature not accepted' } });
  });

  it('covers the exact bytes, so a signed body that is not UTF-8 gets past the signature to the JSON check', async () => {
    const { app } = edge({ BONKER_EDGE_HMAC_SECRET: SECRET });
    const bytes = new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]);
    const answer = await post(app, bytes, { 'x-grafana-alerting-signature': await signBody(SECRET, bytes) });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatch(/not valid JSON/);
  });

  it('is required on top of a bearer token when both are configured', async () => {
    const { app } = edge({ BONKER_EDGE_HMAC_SECRET: SECRET, BONKER_EDGE_TOKEN: 'tok' });
    const signature = await signBody(SECRET, body);
    expect((await post(app, body, { authorization: 'Bearer tok' })).status).toBe(401);
    expect((await post(app, body, { 'x-grafana-alerting-signature': signature })).status).toBe(401);
    expect((await post(app, body, { authorization: 'Bearer tok', 'x-grafana-alerting-signature': signature })).status).toBe(200);
  });

  it('counts as the credential a non-loopback edge needs', () => {
    expect(() => loadEdgeConfig({ BONKER_EDGE_HOST: '0.0.0.0' })).toThrow(/BONKER_EDGE_HMAC_SECRET/);
    expect(loadEdgeConfig({ BONKER_EDGE_HOST: '0.0.0.0', BONKER_EDGE_HMAC_SECRET: SECRET }).hmac?.secret).toBe(SECRET);
  });

  it('rejects a header name that is not a token', () => {
    expect(() => loadEdgeConfig({ BONKER_EDGE_HMAC_SECRET: SECRET, BONKER_EDGE_HMAC_HEADER: 'bad header:' })).toThrow(
      /BONKER_EDGE_HMAC_HEADER: expected an HTTP header name/,
    );
  });
});
