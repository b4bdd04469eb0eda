// The edge app in-process: the shared HTTP case table, then logging, metrics and ack ordering.
import { afterEach, describe, expect, it } from 'vitest';
import { alertBonkId, silentLogger, type Env, type Logger } from '../../contract/index.ts';
import { fixtures } from '../../test/fixtures/index.ts';
import { createRecordingLogger } from '../../test/helpers/recording-logger.ts';
import { createEdgeApp } from './app.ts';
import { loadEdgeConfig } from './config.ts';
import { EDGE_CASE_ENV, edgeCaseRequest, edgeCases } from '../../test/helpers/edge-cases.ts';
import { checkEdgeCase } from '../../test/helpers/edge-case-check.ts';
import { createMemoryMetrics } from './metrics.ts';
import { createRecordingPublisher, type PublisherBehaviour, type RecordingPublisher } from '../../test/helpers/recording-publisher.ts';

const opened: RecordingPublisher[] = [];
afterEach(async () => {
  for (const publisher of opened.splice(0)) await publisher.close();
});

function edge(env: Env = {}, behaviour: PublisherBehaviour = 'stores', logger: Logger = silentLogger) {
  const publisher = createRecordingPublisher(behaviour);
  opened.push(publisher);
  const metrics = createMemoryMetrics();
  const config = loadEdgeConfig({ ...EDGE_CASE_ENV, ...env });
  const app = createEdgeApp({ config, publisher, logger, metrics, now: () => 1_764_000_000_000 });
  return { app, publisher, metrics };
}

describe('edge HTTP cases', () => {
  it.each(edgeCases.map((c) => [c.name, c] as const))('%s', async (_, edgeCase) => {
    const { app, publisher } = edge(edgeCase.env, edgeCase.publisher);
    const response = await app.request(edgeCaseRequest(edgeCase));
    const bonks = publisher.published.map(({ device, command }) => ({ id: command.id, device }));
    await checkEdgeCase(edgeCase, response, bonks, 'as-published');
  });
});

describe('edge app', () => {
  const post = (body: unknown, headers: Record<string, string> = {}, path = '/alertmanager') =>
    new Request(`http://edge.test${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  it('answers with the alert episode id and publishes the command for it', async () => {
    const { app, publisher } = edge();
    const response = await app.request(post(fixtures.firingOne));
    const id = alertBonkId(fixtures.firingOne.alerts[0]!);
    expect(await response.json()).toEqual({ published: [id], coalesced: 0 });
    expect(publisher.published[0]).toMatchObject({ device: 'tux', command: { id, at: 1_764_000_000_000, count: 1 } });
  });

  it('logs each notification at info and never the token', async () => {
    const logger = createRecordingLogger();
    const lines = logger.entries;
    const { app } = edge({ BONKER_EDGE_TOKEN: 'secret-token-123' }, 'stores', logger);
    await app.request(post(fixtures.mixed, { authorization: 'Bearer secret-token-123' }));
    await app.request(post(fixtures.mixed, { authorization: 'Bearer wrong-token' }));
    const info = lines.find((l) => l.level === 'info' && l.msg === 'notification handled');
    expect(info?.obj).toMatchObject({ receiver: 'bonker', firing: 1, resolved: 1, published: [expect.any(String)] });
    expect(info?.obj).toHaveProperty('groupKey', fixtures.mixed.groupKey);
    expect(JSON.stringify(lines)).not.toMatch(/secret-token-123|wrong-token/);
  });

  it('warns about an invalid bonker_device label and bonks the default device', async () => {
    const logger = createRecordingLogger();
    const lines = logger.entries;
    const { app, publisher } = edge({}, 'stores', logger);
    const alert = { ...fixtures.firingOne.alerts[0]!, labels: { bonker_device: 'no such/device' } };
    expect((await app.request(post({ ...fixtures.firingOne, alerts: [alert] }))).status).toBe(200);
    expect(publisher.published[0]!.device).toBe('tux');
    expect(lines.some((l) => l.level === 'warn' && /bonker_device/.test(l.msg ?? ''))).toBe(true);
  });

  it('counts notifications, alerts, bonks, coalesced and errors by kind', async () => {
    const { app, metrics } = edge({ BONKER_EDGE_MAX_BONKS: '1' });
    await app.request(post(fixtures.firingTwo));
    await app.request(post(fixtures.mixed));
    await app.request(new Request('http://edge.test/hook', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' }));
    expect(metrics.counts).toMatchObject({
      bonker_edge_notifications_total: 2,
      'bonker_edge_alerts_total{status="firing"}': 3,
      'bonker_edge_alerts_total{status="resolved"}': 1,
      bonker_edge_bonks_published_total: 2,
      bonker_edge_bonks_coalesced_total: 1,
      'bonker_edge_errors_total{kind="bad_json"}': 1,
    });
    const text = await (await app.request('/metrics')).text();
    expect(text).toContain('bonker_edge_publish_duration_seconds_count 2');
  });

  it('answers a re-sent alert without publishing it again, and publishes only the new alert of a regrouped one', async () => {
    const { app, publisher, metrics } = edge({ BONKER_EDGE_REPEAT_WINDOW_S: '600' });
    const id = alertBonkId(fixtures.firingOne.alerts[0]!);
    await app.request(post(fixtures.firingOne));
    expect(await (await app.request(post(fixtures.firingOne))).json()).toEqual({ published: [id], repeated: 1, coalesced: 0 });
    const regrouped = (await (await app.request(post(fixtures.firingTwo))).json()) as { published: string[]; repeated: number };
    expect(regrouped.published).toContain(id);
    expect(regrouped.repeated).toBe(1);
    expect(publisher.published.map((p) => p.command.id)).toEqual([id, ...regrouped.published.filter((other) => other !== id)]);
    expect(metrics.counts).toMatchObject({ bonker_edge_bonks_repeated_total: 2, bonker_edge_bonks_published_total: 2 });
  });

  it('publishes a re-sent alert again for ?wait=ack, and when the broker did not store it the first time', async () => {
    const waiting = edge({ BONKER_EDGE_REPEAT_WINDOW_S: '600' }, 'acks');
    await waiting.app.request(post(fixtures.firingOne));
    const again = await waiting.app.request(post(fixtures.firingOne, {}, '/alertmanager?wait=ack'));
    expect(await again.json()).not.toHaveProperty('repeated');
    expect(waiting.publisher.published).toHaveLength(2);

    const failing = edge({ BONKER_EDGE_REPEAT_WINDOW_S: '600' }, 'fails');
    expect((await failing.app.request(post(fixtures.firingOne))).status).toBe(503);
    expect((await failing.app.request(post(fixtures.firingOne))).status).toBe(503);
  });

  it.each([
    ['fails', 'refused'],
    ['hangs', 'timeout'],
    ['not-ready', 'not_connected'],
  ] as const)('counts a publish that %s as publish_failed with step %s', async (behaviour, step) => {
    const { app, metrics } = edge({}, behaviour);
    expect((await app.request(post(fixtures.firingOne))).status).toBe(503);
    expect(metrics.counts).toEqual({
      bonker_edge_notifications_total: 1,
      'bonker_edge_alerts_total{status="firing"}': 1,
      'bonker_edge_alerts_total{status="resolved"}': 0,
      [`bonker_edge_errors_total{kind="publish_failed",step="${step}"}`]: 1,
    });
  });

  it('never quotes binary bytes back: a body that is not JSON gets a printable reason only', async () => {
    const { app } = edge();
    for (const body of [Uint8Array.from([0x1f, 0x8b, 0x08, 0x00, 0xff, 0x00, 0x0a, 0x1b]), new TextEncoder().encode('\u0007{"alerts": [\u0000')]) {
      const response = await app.request(new Request('http://edge.test/alertmanager', { method: 'POST', headers: { 'content-type': 'application/json' }, body }));
      expect(response.status).toBe(400);
      const { error } = (await response.json()) as { error: string };
      expect(error).toMatch(/^request body is not valid JSON: /);
      expect(error).toMatch(/^[\x20-\x7e…]+$/);
    }
  });

  it('logs a client that went away mid-upload at debug, counts nothing, and logs no error', async () => {
    const logger = createRecordingLogger();
    const { app, metrics } = edge({}, 'stores', logger);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"alerts": ['));
        controller.error(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
      },
    });
    const response = await app.request(
      new Request('http://edge.test/alertmanager', { method: 'POST', headers: { 'content-type': 'application/json' }, body, duplex: 'half' } as RequestInit),
    );
    expect(response.status).toBe(400);
    expect(logger.entries.filter((l) => l.level === 'error' || l.level === 'warn')).toEqual([]);
    expect(logger.entries.find((l) => l.level === 'debug')).toMatchObject({ msg: 'request body not read: the client went away', obj: { reason: 'aborted' } });
    expect(Object.keys(metrics.counts).filter((key) => key.startsWith('bonker_edge_errors_total'))).toEqual([]);
  });

  it('refuses a credential-less edge on a public address', () => {
    expect(() => loadEdgeConfig({ BONKER_EDGE_HOST: '0.0.0.0' })).toThrow(/BONKER_EDGE_TOKEN: .*BONKER_EDGE_BASIC_USER/);
    expect(() => loadEdgeConfig({ BONKER_EDGE_HOST: '0.0.0.0', BONKER_EDGE_TOKEN: 't' })).not.toThrow();
  });

  it('reports every bad setting at once', () => {
    expect(() =>
      loadEdgeConfig({ BONKER_EDGE_PORT: 'x', BONKER_EDGE_BASIC_USER: 'am', BONKER_DEFAULT_DEVICE: 'a/b' }),
    ).toThrow(/BONKER_EDGE_PORT: expected a TCP port[\s\S]*BONKER_DEFAULT_DEVICE: expected[\s\S]*BONKER_EDGE_BASIC_PASSWORD: required/);
  });
});
