// End to end with the real programs: Prometheus 2.42 (our rules) → Alertmanager 0.25 (our route) → edge → bundled
// broker → device agent (simulated servo). kube-state-metrics is a stand-in exposition the test changes.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../broker/start-broker.ts';
import { silentLogger } from '../../contract/index.ts';
import { testBrokerConfig } from '../helpers/broker-test-support.ts';
import { startAgent, type TestAgent } from '../helpers/test-agent.ts';
import { createRecordingLogger } from '../helpers/recording-logger.ts';
import { freePort } from '../helpers/free-port.ts';
import { startAlertPath, type AlertPath } from '../helpers/prometheus-stack.ts';
import { kubeStateMetricsText, startExporter, type KubeContainer, type StandInExporter } from '../helpers/stand-in-exporters.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';
import { waitForEvent, waitUntil } from '../helpers/wait.ts';

const TOKEN = 'e2e-token-0123456789';

describe('OOM kill → Prometheus → Alertmanager → edge → broker → device (real programs)', () => {
  const containers: KubeContainer[] = [
    { namespace: 'bonk', pod: 'eater-a', container: 'eater', restarts: 0 },
    { namespace: 'bonk', pod: 'eater-b', container: 'eater', restarts: 0 },
  ];
  const timings: Record<string, number> = {};
  const edgeLog = createRecordingLogger();
  let dir: { path: string; remove(): Promise<void> };
  let ksm: StandInExporter;
  let brokerPort: number;
  let broker: RunningBroker | undefined;
  let agent: TestAgent;
  let alerting: AlertPath;

  const startOurBroker = async () =>
    startBroker(
      testBrokerConfig({ BONKER_BROKER_PORT: String(brokerPort), BONKER_PERSISTENCE: 'level', BONKER_DATA_DIR: path.join(dir.path, 'broker') }),
      silentLogger,
    );
  const kill = (pod: string) => {
    const c = containers.find((x) => x.pod === pod)!;
    c.restarts += 1;
    c.reason = 'OOMKilled';
  };
  const handled = () => edgeLog.entries.filter((e) => e.msg === 'notification handled').map((e) => e.obj);
  const waitHandled = (check: (n: Record<string, unknown>[]) => boolean, timeoutMs: number) =>
    waitUntil(edgeLog.events, 'line', () => check(handled()), timeoutMs);
  const doneFor = (pod: string) => agent.acks.filter((a) => a.result === 'done' && a.labels?.pod === pod);
  const amSaid = (pattern: RegExp, times = 1) =>
    waitUntil(alerting.alertmanager.events, 'line', () => alerting.alertmanager.lines.filter((l) => pattern.test(l)).length >= times, 30_000);

  beforeAll(async () => {
    dir = await makeTempDir('bonker-infra-e2e-');
    ksm = await startExporter(() => kubeStateMetricsText(containers));
    brokerPort = await freePort();
    broker = await startOurBroker();
    const brokerUrl = `mqtt://127.0.0.1:${brokerPort}`;
    agent = await startAgent(brokerUrl, path.join(dir.path, 'device'));
    alerting = await startAlertPath({
      dir: dir.path, brokerUrl, token: TOKEN, edgeLog, edgeEnv: { BONKER_EDGE_PUBLISH_TIMEOUT_MS: '2000' },
      jobs: [{ job: 'kube-state-metrics', port: ksm.port }],
    });
    // The counters' zero must be in the TSDB before a kill, or increase() has nothing to compare with.
    await ksm.scrapes(3);
  }, 60_000);

  afterAll(async () => {
    await alerting?.stop();
    await agent?.device.close();
    await broker?.close();
    await ksm?.close();
    await dir?.remove();
    console.info(`infra end-to-end timings (ms): ${JSON.stringify(timings)}`);
  });

  it('one OOM kill → exactly one bonk, through repeats and a second pod joining the group (which bonks once)', async () => {
    const start = Date.now();
    kill('eater-a');
    await waitUntil(agent.device.events, 'ack', () => doneFor('eater-a').length === 1, 20_000);
    timings.killToBonk = Date.now() - start;
    // At least two repeat_interval re-sends of the same alert after the one that bonked.
    const before = handled().length;
    await waitHandled((n) => n.length >= before + 2, 20_000);
    timings.repeats = Date.now() - start;
    kill('eater-b');
    await waitUntil(agent.device.events, 'ack', () => doneFor('eater-b').length === 1, 20_000);
    timings.secondPodBonk = Date.now() - start;
    const joined = handled().length;
    await waitHandled((n) => n.length > joined && n.at(-1)!.firing === 2, 20_000);
    expect(agent.strikes()).toBe(2);
    expect(doneFor('eater-a')).toHaveLength(1);
    // The repeats were answered by the edge from what it had stored (BONKER_EDGE_REPEAT_WINDOW_S); any that did
    // reach the device were answered by its dedup store.
    expect(handled().reduce((sum, line) => sum + Number(line.repeated ?? 0), 0)).toBeGreaterThanOrEqual(3);
    expect(agent.acks.filter((a) => a.result !== 'done').every((a) => a.result === 'duplicate')).toBe(true);
  });

  it('the alerts resolve → no movement', async () => {
    const start = Date.now();
    const pulses = agent.servo.pulses.length;
    // Each resolved alert is sent once and then leaves the group: A's resolve may come with B still firing.
    const from = handled().length;
    await waitHandled((n) => n.slice(from).some((x) => x.firing === 0 && Number(x.resolved) >= 1), 45_000).catch((error) => {
      throw new Error(`${(error as Error).message}; notifications: ${JSON.stringify(handled().slice(from))}`);
    });
    timings.resolved = Date.now() - start;
    expect(agent.servo.pulses.length).toBe(pulses);
  });

  it('broker down while firing → edge 503, Alertmanager retries, the bonk arrives once the broker is back', async () => {
    const start = Date.now();
    const unready = waitForEvent(alerting.edge.events, 'unready', { timeoutMs: 10_000 });
    await broker!.close();
    await unready;
    const strikes = agent.strikes();
    kill('eater-a');
    await amSaid(/status code 503/, 2);
    timings.first503s = Date.now() - start;
    expect(agent.strikes()).toBe(strikes);
    const restarted = Date.now();
    broker = await startOurBroker();
    await waitUntil(agent.device.events, 'ack', () => doneFor('eater-a').length === 2, 30_000);
    timings.brokerBackToBonk = Date.now() - restarted;
    expect(agent.strikes()).toBe(strikes + 1);
  });

  it('wrong token in the Alertmanager config → no bonk, 401s', async () => {
    const start = Date.now();
    await writeFile(alerting.tokenFile, 'not-the-token');
    const strikes = agent.strikes();
    const earlier401s = alerting.alertmanager.lines.filter((l) => /status code 401/.test(l)).length;
    kill('eater-b');
    // Two refused sends: the second is a whole group_interval later, when a bonk would long have struck.
    await amSaid(/status code 401/, earlier401s + 2);
    timings.two401s = Date.now() - start;
    expect(agent.strikes()).toBe(strikes);
    expect(doneFor('eater-b')).toHaveLength(1);
    const metrics = await (await fetch(`http://127.0.0.1:${alerting.edge.port}/metrics`)).text();
    expect(Number(/bonker_edge_errors_total\{kind="unauthorized"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(2);
    const refused = edgeLog.entries.filter((e) => e.level === 'warn' && e.obj.status === 401);
    expect(refused.length).toBeGreaterThanOrEqual(2);
    expect(refused[0]!.obj).toMatchObject({ kind: 'unauthorized', path: '/alertmanager' });
    expect(JSON.stringify(edgeLog.entries)).not.toContain('not-the-token');
  });
});
