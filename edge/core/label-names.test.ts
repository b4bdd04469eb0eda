// Label names through the whole app: one rule (Prometheus' UTF-8 label names), and `__proto__` kept like any name.
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../contract/index.ts';
import { createEdgeApp } from './app.ts';
import { loadEdgeConfig } from './config.ts';
import { EDGE_CASE_ENV } from '../../test/helpers/edge-cases.ts';
import { createMemoryMetrics } from './metrics.ts';
import { createRecordingPublisher, type RecordingPublisher } from '../../test/helpers/recording-publisher.ts';

const opened: RecordingPublisher[] = [];
afterEach(async () => {
  for (const publisher of opened.splice(0)) await publisher.close();
});

function edge() {
  const publisher = createRecordingPublisher('stores');
  opened.push(publisher);
  const config = loadEdgeConfig(EDGE_CASE_ENV);
  return { app: createEdgeApp({ config, publisher, logger: silentLogger, metrics: createMemoryMetrics() }), publisher };
}

describe('label names: one rule, Prometheus\' UTF-8 label names', () => {
  /** Raw JSON text: JSON.stringify of an object literal could not even carry an own `__proto__` key. */
  const withLabels = (labels: string, fingerprint?: string) =>
    new Request('http://edge.test/alertmanager', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"alerts":[{"status":"firing","startsAt":"2026-11-25T00:00:02Z",${fingerprint ? `"fingerprint":"${fingerprint}",` : ''}"labels":${labels}}]}`,
    });

  it('keeps __proto__ and constructor as labels like any other, in the bonk and in the id', async () => {
    const { app, publisher } = edge();
    const response = await app.request(withLabels('{"alertname":"OOMKilled","__proto__":"p","constructor":"c"}'));
    expect(response.status).toBe(200);
    const { labels, id } = publisher.published[0]!.command;
    expect(Object.keys(labels)).toEqual(['alertname', '__proto__', 'constructor']);
    expect(Object.getPrototypeOf(labels)).toBeNull();
    expect(JSON.parse(JSON.stringify(labels))).toEqual(JSON.parse('{"alertname":"OOMKilled","__proto__":"p","constructor":"c"}'));
    // Without a fingerprint the labels are the alert's identity, so __proto__ counts.
    await app.request(withLabels('{"alertname":"OOMKilled","constructor":"c"}'));
    expect(publisher.published[1]!.command.id).not.toBe(id);
  });

  it('accepts names outside the classic [a-zA-Z_][a-zA-Z0-9_]* that Alertmanager 0.27+ sends', async () => {
    const { app, publisher } = edge();
    expect((await app.request(withLabels('{"service.name":"api","label with 📈":"x"}'))).status).toBe(200);
    expect(publisher.published[0]!.command.labels).toMatchObject({ 'service.name': 'api', 'label with 📈': 'x' });
  });

  it.each([
    ['an empty name', '{"":"x"}', /^not an Alertmanager webhook payload: alerts\.0\.labels: name "" is not valid; expected a non-empty name$/],
    ['a name that is not UTF-8', '{"\\ud800":"x"}', /alerts\.0\.labels: name "\\ud800" is not valid; expected UTF-8 text/],
    ['__proto__ with a value that is not a string', '{"__proto__":{"polluted":"yes"}}', /alerts\.0\.labels\.__proto__: expected a string/],
  ])('refuses %s with 400, naming it', async (_, labels, error) => {
    const { app, publisher } = edge();
    const response = await app.request(withLabels(labels, 'f4e3b8d514fb1ec0'));
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(error);
    expect(publisher.published).toHaveLength(0);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('applies the same rule to annotation names', async () => {
    const { app, publisher } = edge();
    const alert = (annotations: string) =>
      new Request('http://edge.test/alertmanager', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: `{"alerts":[{"status":"firing","startsAt":"2026-11-25T00:00:02Z","labels":{},"annotations":${annotations}}]}`,
      });
    expect((await app.request(alert('{"__proto__":"p","summary":"eater OOMKilled"}'))).status).toBe(200);
    expect(publisher.published[0]!.command.reason).toBe('eater OOMKilled');
    const refused = await app.request(alert('{"":"x"}'));
    expect(((await refused.json()) as { error: string }).error).toMatch(/alerts\.0\.annotations: name "" is not valid/);
  });
});
