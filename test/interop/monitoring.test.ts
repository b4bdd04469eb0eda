// The bonker watched like a service, with the real programs: promtool checks and unit-tests the health rules, and a
// real Prometheus 2.42 scrapes a live chain (broker, edge, device agent) through the shipped scrape jobs, loads the
// health rules, and answers every query of the Grafana dashboard with data.
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadBrokerConfig } from '../../broker/config.ts';
import { startBroker, type RunningBroker } from '../../broker/start-broker.ts';
import { silentLogger } from '../../contract/index.ts';
import { bonkJson, connectPublisher, startAgent, topics, type TestAgent } from '../helpers/test-agent.ts';
import { loadEdgeConfig } from '../../edge/core/config.ts';
import { startEdge, type RunningEdge } from '../../edge/node/main.ts';
import { fixtures } from '../fixtures/index.ts';
import { startProgram, type Program } from '../helpers/prometheus-stack.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { freePort } from '../helpers/free-port.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';
import { waitUntil } from '../helpers/wait.ts';
import { INFRA } from '../infra/infra-files.ts';
import { PROMETHEUS, PROMTOOL, requireProgram } from './require-programs.ts';

const run = promisify(execFile);
const RULES = `${INFRA}prometheus/bonker-health-rules.yml`;
const SCREENSHOTS = fileURLToPath(new URL('../../test-results/monitoring/', import.meta.url));

interface Target { expr: string; refId: string }
interface Panel { title: string; targets: Target[] }
interface Sample { metric: Record<string, string>; value: [number, string] }

describe('promtool on the health rules', () => {
  it('accepts the rules file and passes its unit tests', async () => {
    const promtool = requireProgram(PROMTOOL);
    const checked = await run(promtool, ['check', 'rules', RULES]);
    expect(checked.stdout).toMatch(/SUCCESS: 6 rules found/);
    const tested = await run(promtool, ['test', 'rules', `${INFRA}prometheus/bonker-health-rules.test.yml`]);
    expect(tested.stdout).toMatch(/SUCCESS/);
  });
});

/**
 * Grafana is not packaged in Debian, so the pictures for people are Prometheus's own graph page showing each of the
 * dashboard's queries over the last minute: test-results/monitoring/<panel>-<target>.png.
 */
async function screenshotPanels(api: string, panels: Panel[]): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  const browser = await launchChromium({ width: 1280, height: 800 });
  try {
    const page = browser.context.pages()[0] ?? (await browser.context.newPage());
    for (const [index, panel] of panels.entries()) {
      for (const target of panel.targets) {
        const expr = encodeURIComponent(target.expr.replaceAll('$__rate_interval', '1m'));
        await page.goto(`${api}/graph?g0.expr=${expr}&g0.tab=0&g0.range_input=1m`);
        // The legend appears once the range query has answered and the graph is drawn.
        await page.getByText('{', { exact: false }).or(page.locator('canvas')).first().waitFor({ timeout: 20_000 });
        const name = `${String(index + 1).padStart(2, '0')}-${panel.title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${target.refId}.png`;
        await page.screenshot({ path: path.join(SCREENSHOTS, name) });
      }
    }
  } finally {
    await browser.close();
  }
}

describe('Prometheus scraping a live chain answers every dashboard query', () => {
  let dir: { path: string; remove(): Promise<void> };
  let broker: RunningBroker;
  let edge: RunningEdge;
  let agent: TestAgent;
  let prometheus: Program;
  let api: string;

  /** An instant query; rejects on any error Prometheus reports. */
  async function query(expr: string): Promise<Sample[]> {
    const response = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await response.json()) as { status: string; error?: string; data: { result: Sample[] } };
    if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
    return body.data.result;
  }

  /** Prometheus has nothing to push: ask again until the answer fits, within the deadline. */
  async function queryUntil(expr: string, fits: (samples: Sample[]) => boolean, timeoutMs = 30_000): Promise<Sample[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const samples = await query(expr);
      if (fits(samples)) return samples;
      if (Date.now() > deadline) throw new Error(`${expr} still answers ${JSON.stringify(samples)} after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  beforeAll(async () => {
    dir = await makeTempDir('bonker-monitoring-');
    broker = await startBroker(
      loadBrokerConfig({
        BONKER_BROKER_PORT: '0', BONKER_BROKER_WS_PORT: 'off', BONKER_BROKER_HTTP_PORT: '0',
        BONKER_PERSISTENCE: 'level', BONKER_DATA_DIR: path.join(dir.path, 'broker'),
      }),
      silentLogger,
    );
    const brokerUrl = `mqtt://127.0.0.1:${broker.mqttPort}`;
    agent = await startAgent(brokerUrl, path.join(dir.path, 'device'));
    edge = await startEdge(loadEdgeConfig({ BONKER_EDGE_PORT: '0', BONKER_BROKER_URL: brokerUrl }), silentLogger);

    // The shipped scrape jobs, pointed at this chain and scraped every second.
    const scrape = parse(await readFile(`${INFRA}prometheus/scrape-configs.yml`, 'utf8')) as { scrape_configs: Record<string, any>[] };
    const hosts: Record<string, string> = { 'BROKER_HOST:9102': `127.0.0.1:${broker.httpPort}`, 'EDGE_HOST:8080': `127.0.0.1:${edge.port}` };
    for (const job of scrape.scrape_configs) {
      job.scrape_interval = '1s';
      job.static_configs[0].targets = job.static_configs[0].targets.map((t: string) => hosts[t] ?? t);
    }
    await writeFile(path.join(dir.path, 'prometheus.yml'), stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: [RULES],
      scrape_configs: scrape.scrape_configs,
    }));
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    prometheus = await startProgram(requireProgram(PROMETHEUS), [
      `--config.file=${path.join(dir.path, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir.path, 'prom')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ], /Server is ready to receive web requests/);
    // Zeros first, so increase() over the activity below has a sample before it.
    await queryUntil('count_over_time(bonker_device_online[1m])', (s) => s.some((x) => Number(x.value[1]) >= 2));
    await queryUntil('count_over_time(bonker_edge_broker_ready[1m])', (s) => s.some((x) => Number(x.value[1]) >= 2));
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    await agent?.device.close();
    await edge?.close();
    await broker?.close();
    await dir?.remove();
  });

  it('scrapes both jobs and loads the health rules, none firing on a healthy chain', async () => {
    const up = await query('up');
    expect(up.map((s) => [s.metric.job, s.value[1]]).sort()).toEqual([['oom-bonker-broker', '1'], ['oom-bonker-edge', '1']]);
    const rules = (await (await fetch(`${api}/api/v1/rules`)).json()) as { data: { groups: { name: string; rules: { name: string; state: string }[] }[] } };
    const group = rules.data.groups.find((g) => g.name === 'oom-bonker-health')!;
    expect(group.rules.map((r) => r.name)).toEqual(['BonkerDeviceOffline', 'BonkerServoSimulated', 'BonkerDeviceDedupStoreFailing', 'BonkerEdgeCannotStore', 'BonkerBrokerStoreFailing', 'BonkerTargetDown']);
    expect(group.rules.filter((r) => r.state !== 'inactive')).toEqual([]);
  });

  it('every panel of infra/grafana/oom-bonker.json returns data once the chain has bonked', async () => {
    // An alert, the same alert again (answered from the edge's memory), a manual duplicate, a bad request.
    const post = (body: string) => fetch(`http://127.0.0.1:${edge.port}/alertmanager?wait=ack`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect((await post(JSON.stringify(fixtures.firingOne))).status).toBe(200);
    expect((await post(JSON.stringify(fixtures.firingOne))).status).toBe(200);
    expect((await post('{not json')).status).toBe(400);
    const publisher = await connectPublisher(`mqtt://127.0.0.1:${broker.mqttPort}`, 'monitoring');
    await publisher.publishAsync(topics.bonk('tux'), bonkJson('manual-1'), { qos: 1 });
    await publisher.publishAsync(topics.bonk('tux'), bonkJson('manual-1'), { qos: 1 });
    await agent.waitForAcks(3, 10_000);
    await publisher.endAsync();
    await waitUntil(agent.device.events, 'ack', () => agent.acks.filter((a) => a.id === 'manual-1').length === 2, 10_000);
    expect(agent.strikes()).toBe(2);
    const count = (result: string) => String(agent.acks.filter((a) => a.result === result).length);

    // Scraped after the activity: the series say what happened, as the device's own acks do.
    const strikes = await queryUntil('max by (device) (bonker_device_strikes_total)', (s) => s.some((x) => x.value[1] === '2'));
    expect(strikes.map((s) => s.metric.device)).toEqual(['tux']);
    for (const result of ['done', 'duplicate']) {
      await queryUntil(`max by (device) (bonker_device_acks_total{result="${result}"})`, (s) => s[0]?.value[1] === count(result));
    }
    await queryUntil('sum(bonker_edge_errors_total{kind="bad_json"})', (s) => s[0]?.value[1] === '1');
    expect((await query('max by (device) (bonker_device_online)'))[0]!.value[1]).toBe('1');

    const dashboard = JSON.parse(await readFile(`${INFRA}grafana/oom-bonker.json`, 'utf8')) as { panels: Panel[] };
    expect(dashboard.panels.length).toBeGreaterThanOrEqual(10);
    const empty: string[] = [];
    for (const panel of dashboard.panels) {
      for (const target of panel.targets) {
        // Grafana's $__rate_interval is at least four scrape intervals; 1m covers the activity above.
        const expr = target.expr.replaceAll('$__rate_interval', '1m');
        if ((await query(expr)).length === 0) empty.push(`${panel.title} ${target.refId}: ${expr}`);
      }
    }
    expect(empty).toEqual([]);
    await screenshotPanels(api, dashboard.panels);
    const sinceStrike = await query('time() - max by (device) (bonker_device_last_strike_timestamp_seconds)');
    expect(Number(sinceStrike[0]!.value[1])).toBeLessThan(60);
  });
});
