// The dashboard's edge side: POST /bonk (credential, body, wait=ack) and the Node-only page routes.
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger, type Env } from '../../contract/index.ts';
import { createEdgeApp } from '../core/app.ts';
import { loadEdgeConfig } from '../core/config.ts';
import { dashboardSettings, mountDashboard } from './dashboard-routes.ts';
import { createMemoryMetrics } from '../core/metrics.ts';
import { createRecordingPublisher, type PublisherBehaviour, type RecordingPublisher } from '../../test/helpers/recording-publisher.ts';

const opened: RecordingPublisher[] = [];
afterEach(async () => {
  for (const publisher of opened.splice(0)) await publisher.close();
});

function edge(env: Env = {}, behaviour: PublisherBehaviour = 'stores') {
  const publisher = createRecordingPublisher(behaviour);
  opened.push(publisher);
  const app = createEdgeApp({ config: loadEdgeConfig(env), publisher, logger: silentLogger, metrics: createMemoryMetrics() });
  return { app, publisher };
}

const json = { 'content-type': 'application/json' };
const bonk = (app: Hono, query = '', init: { headers?: Record<string, string>; body?: string } = {}) =>
  app.request(`/bonk${query}`, { method: 'POST', headers: init.headers ?? json, body: init.body ?? '{}' });

describe('POST /bonk', () => {
  it('publishes one manual bonk from the dashboard to the default device', async () => {
    const { app, publisher } = edge();
    const response = await bonk(app);
    expect(response.status).toBe(200);
    expect(publisher.published).toMatchObject([{ device: 'tux', command: { count: 1, source: 'dashboard', labels: {} } }]);
    expect(await response.json()).toEqual({ published: [publisher.published[0]!.command.id] });
  });

  it('waits for the ack with wait=ack and takes a count', async () => {
    const { app, publisher } = edge({}, 'acks');
    const response = await bonk(app, '?device=pi-2&wait=ack', { body: '{"count":3}' });
    const body = (await response.json()) as { acks: { id: string; result: string }[]; pending: string[] };
    expect(publisher.published).toMatchObject([{ device: 'pi-2', command: { count: 3 } }]);
    expect(body.acks).toMatchObject([{ id: publisher.published[0]!.command.id, result: 'done' }]);
    expect(body.pending).toEqual([]);
  });

  it('wants the token when one is configured', async () => {
    const { app, publisher } = edge({ BONKER_EDGE_TOKEN: 's3cret' });
    expect((await bonk(app)).status).toBe(401);
    expect((await bonk(app, '', { headers: { ...json, authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await bonk(app, '', { headers: { ...json, authorization: 'Bearer s3cret' } })).status).toBe(200);
    expect(publisher.published).toHaveLength(1);
  });

  it('refuses when only an HMAC secret guards a non-loopback edge (a browser cannot sign)', async () => {
    const { app, publisher } = edge({ BONKER_EDGE_HOST: '0.0.0.0', BONKER_EDGE_HMAC_SECRET: 'x' });
    const response = await bonk(app);
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: string }).error).toMatch(/BONKER_EDGE_TOKEN/);
    expect(publisher.published).toHaveLength(0);
  });

  it.each([
    ['a form post', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'count=1' }, 415],
    ['a count out of range', { body: '{"count":11}' }, 400],
    ['an unknown field', { body: '{"count":1,"pod":"x"}' }, 400],
    ['broken JSON', { body: '{' }, 400],
  ])('refuses %s', async (_, init, status) => {
    const { app, publisher } = edge();
    expect((await bonk(app, '', init)).status).toBe(status);
    expect(publisher.published).toHaveLength(0);
  });

  it('answers 503 when the broker is not reachable', async () => {
    const { app } = edge({}, 'not-ready');
    expect((await bonk(app)).status).toBe(503);
  });
});

describe('dashboard page routes (Node)', () => {
  it('serves the page with a CSP, the assets, mqtt.js and the settings', async () => {
    const config = loadEdgeConfig({
      BONKER_EDGE_TOKEN: 't', BONKER_EDGE_DASHBOARD_MQTT_URL: 'ws://bonker.lan:9001',
      BONKER_EDGE_DASHBOARD_MQTT_USERNAME: 'viewer', BONKER_EDGE_DASHBOARD_MQTT_PASSWORD: 'look-only',
    });
    const app = new Hono();
    await mountDashboard(app, config);
    const page = await app.request('/');
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect(await page.text()).toContain('id="bonk-button"');
    for (const asset of ['dashboard.js', 'devices.js', 'dom.js', 'history.js', 'dashboard.css', 'favicon.svg', 'mqtt.min.js']) {
      expect((await app.request(`/dashboard/${asset}`)).status, asset).toBe(200);
    }
    const settings = await (await app.request('/dashboard/config.json')).json();
    expect(settings).toEqual({
      topicPrefix: 'bonker', defaultDevice: 'tux', mqttUrl: 'ws://bonker.lan:9001',
      username: 'viewer', password: 'look-only', bonkAuth: 'bearer',
    });
    // The edge's own token never reaches the page.
    expect(JSON.stringify(settings)).not.toContain('"t"');
  });

  it('leaves the broker URL to the page when unset, and rejects a non-WebSocket URL', () => {
    expect(dashboardSettings(loadEdgeConfig({}))).toMatchObject({ mqttUrl: null, username: null, bonkAuth: 'none' });
    expect(() => loadEdgeConfig({ BONKER_EDGE_DASHBOARD_MQTT_URL: 'mqtt://x:1883' })).toThrow(/BONKER_EDGE_DASHBOARD_MQTT_URL: expected a WebSocket/);
  });
});
