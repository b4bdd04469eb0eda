// Every kind of OOM kill bonks exactly once, with the real programs: Prometheus 2.42 (our three rules, windows scaled
// 1/15) → Alertmanager 0.25 (our route) → edge → bundled broker → device agent (simulated servo), fed by stand-ins for
// kube-state-metrics, the kubelet's /metrics/cadvisor and two node_exporters (a host outside Kubernetes, job "node";
// a Kubernetes node, job "node-exporter") serving the real exposition format.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../broker/start-broker.ts';
import { silentLogger, type Ack } from '../../contract/index.ts';
import { testBrokerConfig } from '../helpers/broker-test-support.ts';
import { startAgent, type TestAgent } from '../helpers/test-agent.ts';
import { freePort } from '../helpers/free-port.ts';
import { RULE_SCALE, startAlertPath, type AlertPath } from '../helpers/prometheus-stack.ts';
import { createRecordingLogger } from '../helpers/recording-logger.ts';
import {
  kubeletCadvisorText, kubeStateMetricsText, nodeExporterText, startExporter, type KubeContainer, type StandInExporter,
} from '../helpers/stand-in-exporters.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';
import { waitUntil } from '../helpers/wait.ts';

const TOKEN = 'e2e-token-0123456789';
/**
 * How long an alert of the process rule can live after a kill, scaled: the 1m offset plus the 5m window (24 s), and
 * past the 7m restart window (28 s) that hides a main-process kill; plus a few evaluations and Alertmanager's waits.
 */
const ALERT_LIFE_MS = ((7 * 60) / RULE_SCALE + 6) * 1000;

describe('each kind of OOM kill → exactly one bonk (real Prometheus + Alertmanager, stand-in exporters)', () => {
  const eater: KubeContainer = { namespace: 'bonk', pod: 'eater', container: 'eater', restarts: 0, cgroup: { id: 'eater-1', oomEvents: 0 } };
  const web: KubeContainer = { namespace: 'shop', pod: 'web-0', container: 'gunicorn', restarts: 0, cgroup: { id: 'web-1', oomEvents: 0 } };
  const containers = [eater, web];
  const kills = { host: 3, kubeNode: 0 };
  const edgeLog = createRecordingLogger();
  let dir: { path: string; remove(): Promise<void> };
  let exporters: Record<'ksm' | 'kubelet' | 'host' | 'kubeNode', StandInExporter>;
  let broker: RunningBroker;
  let agent: TestAgent;
  let alerting: AlertPath;

  const done = (match: (ack: Ack) => boolean) => agent.acks.filter((a) => a.result === 'done' && match(a));
  const forPod = (pod: string) => (ack: Ack) => ack.labels?.pod === pod;
  /** Resolves once `ms` have passed since `since`, woken by the kubelet stand-in's scrapes (one a second). */
  const scrapedUntil = (since: number, ms: number) =>
    waitUntil(exporters.kubelet.events, 'scrape', () => Date.now() - since >= ms, ms + 10_000);
  /** How many evaluations in the last `range` had this alert pending or firing (Prometheus' ALERTS series). */
  const alertSamples = async (selector: string, range = '2m') =>
    Number((await alerting.prometheus.query(`sum(count_over_time(ALERTS{${selector}}[${range}]))`))[0]?.value[1] ?? 0);

  beforeAll(async () => {
    dir = await makeTempDir('bonker-oom-detection-');
    exporters = {
      ksm: await startExporter(() => kubeStateMetricsText(containers)),
      kubelet: await startExporter(() => kubeletCadvisorText(containers)),
      host: await startExporter(() => nodeExporterText(kills.host)),
      kubeNode: await startExporter(() => nodeExporterText(kills.kubeNode)),
    };
    const brokerPort = await freePort();
    broker = await startBroker(
      testBrokerConfig({ BONKER_BROKER_PORT: String(brokerPort), BONKER_PERSISTENCE: 'memory', BONKER_DATA_DIR: path.join(dir.path, 'broker') }),
      silentLogger,
    );
    const brokerUrl = `mqtt://127.0.0.1:${brokerPort}`;
    agent = await startAgent(brokerUrl, path.join(dir.path, 'device'));
    alerting = await startAlertPath({
      dir: dir.path, brokerUrl, token: TOKEN, edgeLog,
      jobs: [
        { job: 'kube-state-metrics', port: exporters.ksm.port },
        { job: 'kubelet', port: exporters.kubelet.port, metricsPath: '/metrics/cadvisor' },
        { job: 'node', port: exporters.host.port },
        { job: 'node-exporter', port: exporters.kubeNode.port },
      ],
    });
    // Every counter's value before a kill must be in the TSDB, or increase() has nothing to compare with.
    await Promise.all(Object.values(exporters).map((exporter) => exporter.scrapes(3)));
  }, 60_000);

  afterAll(async () => {
    await alerting?.stop();
    await agent?.device.close();
    await broker?.close();
    await Promise.all(Object.values(exporters ?? {}).map((exporter) => exporter.close()));
    await dir?.remove();
  });

  it('a main-process kill, counted by the kubelet before kube-state-metrics reports the restart, bonks once', async () => {
    const killedAt = Date.now();
    // The kernel kills the main process: the kubelet counts it on the dying instance, node_exporter on the node...
    eater.cgroup!.oomEvents += 1;
    kills.kubeNode += 1;
    await exporters.kubelet.scrapes(2);
    // ...then that instance is gone, a new one runs, and kube-state-metrics reports the restart (2 s later, within
    // the rule's scaled 4 s tolerance).
    eater.cgroup = { id: 'eater-2', oomEvents: 0 };
    eater.restarts += 1;
    eater.reason = 'OOMKilled';
    await waitUntil(agent.device.events, 'ack', () => done(forPod('eater')).length === 1, 20_000);
    expect(done(forPod('eater'))[0]!.labels).toMatchObject({ alertname: 'KubeContainerOOMKilled', restarts: '1' });
    // The double bonk was on offer: Prometheus stored the kubelet's count of the kill.
    expect((await alerting.prometheus.query('max_over_time(container_oom_events_total{pod="eater"}[1m])'))[0]!.value[1]).toBe('1');

    await scrapedUntil(killedAt, ALERT_LIFE_MS);
    expect(done(forPod('eater'))).toHaveLength(1);
    expect(agent.strikes()).toBe(1);
    // Not a bonk held back somewhere: the process rule never even went pending, nor did the node's count fire.
    expect(await alertSamples('alertname="KubeContainerOOMKilled",pod="eater"')).toBeGreaterThan(0);
    expect(await alertSamples('alertname="KubeContainerProcessOOMKilled"')).toBe(0);
    expect(await alertSamples('alertname="HostProcessOOMKilled"')).toBe(0);
  });

  it('a child-process kill (the container keeps running) bonks once', async () => {
    const killedAt = Date.now();
    const strikes = agent.strikes();
    web.cgroup!.oomEvents += 1;
    kills.kubeNode += 1;
    await waitUntil(agent.device.events, 'ack', () => done(forPod('web-0')).length === 1, 20_000);
    const [ack] = done(forPod('web-0'));
    expect(ack!.labels).toMatchObject({ alertname: 'KubeContainerProcessOOMKilled', oom_events: '1', namespace: 'shop', container: 'gunicorn' });
    expect(ack!.reason).toBe('shop/web-0 container gunicorn: a process was OOM-killed');

    await scrapedUntil(killedAt, ALERT_LIFE_MS);
    expect(done(forPod('web-0'))).toHaveLength(1);
    expect(agent.strikes()).toBe(strikes + 1);
    expect(await alertSamples('alertname="KubeContainerOOMKilled",pod="web-0"')).toBe(0);
    expect(await alertSamples('alertname="HostProcessOOMKilled"')).toBe(0);
  });

  it('a kill on a host outside Kubernetes bonks once, labelled and described by its instance', async () => {
    const killedAt = Date.now();
    const strikes = agent.strikes();
    const instance = `127.0.0.1:${exporters.host.port}`;
    const forHost = (a: Ack) => a.labels?.instance === instance;
    kills.host += 1;
    await waitUntil(agent.device.events, 'ack', () => done(forHost).length === 1, 20_000);
    const [ack] = done(forHost);
    expect(ack!.labels).toMatchObject({ alertname: 'HostProcessOOMKilled', oom_kills: '4' });
    expect(ack!.labels).not.toHaveProperty('pod');
    expect(ack!.reason).toBe(`host ${instance}: a process was OOM-killed`);

    await scrapedUntil(killedAt, ALERT_LIFE_MS);
    expect(done(forHost)).toHaveLength(1);
    expect(agent.strikes()).toBe(strikes + 1);
  });
});
