// `oom-bonker up` (what `npm start` runs): broker, edge and a simulated device in one process, on loopback.
import { collectProblems, ConfigError, describeServo, isLoopbackHost, type Env } from '../../contract/index.ts';
import { brokerEnvShape, loadBrokerConfig } from '../../broker/config.ts';
import type { RunningBroker } from '../../broker/start-broker.ts';
import { deviceEnvShape, loadDeviceConfig } from '../../device/config.ts';
import { edgeEnvShape, loadEdgeConfig } from '../../edge/core/config.ts';
import type { RunningEdge } from '../../edge/node/main.ts';
import type { Command } from '../command.ts';
import { skipPacketIdCache } from '../packet-id-cache.ts';
import { runUntilSignal, type Stoppable } from '../run-service.ts';

export const upCommand: Command = {
  name: 'up',
  summary: 'run broker + edge + device together (the default demo)',
  usage: 'oom-bonker up [any broker, edge or device flag]',
  settings: { ...brokerEnvShape, ...edgeEnvShape, ...deviceEnvShape },
  // All three at once, before anything starts, so one run reports every problem.
  validate: checkAll,
  async run({ env, logger, out }) {
    skipPacketIdCache();
    // Imported here, not at the top: the help overview lists this command without loading the three parts.
    const [{ startBroker }, { startEdge }, { startDevice }] = await Promise.all([
      import('../../broker/start-broker.ts'),
      import('../../edge/node/main.ts'),
      import('../../device/start-device.ts'),
    ]);
    const started: Stoppable[] = [];
    const stopAll: Stoppable = {
      async close() {
        for (const part of started.reverse()) await part.close();
      },
    };
    try {
      const broker = await startBroker(loadBrokerConfig(env), logger.child({ part: 'broker' }));
      started.push(broker);
      const partEnv = { ...env, BONKER_BROKER_URL: brokerUrl(broker), ...dashboardBroker(broker, env) };
      const edge = await startEdge(loadEdgeConfig(partEnv), logger.child({ part: 'edge' }));
      started.push(edge);
      const device = await startDevice(loadDeviceConfig(partEnv), logger.child({ part: 'device' }));
      started.push(device);
      out(banner(broker, edge, partEnv, describeServo(device.info().servo)));
    } catch (error) {
      await stopAll.close();
      throw error;
    }
    return runUntilSignal(stopAll, logger);
  },
};

function checkAll(env: Env): void {
  const problems: string[] = [];
  for (const load of [loadBrokerConfig, loadEdgeConfig, loadDeviceConfig]) collectProblems(() => load(env), problems);
  if (problems.length) throw new ConfigError([...new Set(problems)]);
}

function reachableHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/** The page in the browser reaches the broker over WebSocket: point it at the listener that really started. */
function dashboardBroker(broker: RunningBroker, env: Env): Env {
  if (env.BONKER_EDGE_DASHBOARD_MQTT_URL || !broker.wsPort) return {};
  return { BONKER_EDGE_DASHBOARD_MQTT_URL: `ws://${reachableHost(broker.host)}:${broker.wsPort}` };
}

function brokerUrl(broker: RunningBroker): string {
  return `mqtt://${reachableHost(broker.host)}:${broker.mqttPort}`;
}

function banner(broker: RunningBroker, edge: RunningEdge, env: Env, servo: string): string {
  const host = reachableHost(broker.host);
  const edgeUrl = `http://${reachableHost(edge.host)}:${edge.port}`;
  const device = env.BONKER_DEVICE_ID || 'tux';
  const prefix = env.BONKER_TOPIC_PREFIX || 'bonker';
  const lines = [
    '',
    'OOM Bonker is up.',
    `  broker   mqtt://${host}:${broker.mqttPort}` +
      (broker.wsPort ? `   ws://${host}:${broker.wsPort}` : '') +
      (broker.tlsPort ? `   mqtts://${host}:${broker.tlsPort}` : ''),
    broker.httpPort ? `  metrics  http://${host}:${broker.httpPort}/metrics (broker)   ${edgeUrl}/metrics (edge)` : '',
    `  page     ${edgeUrl}/  (live dashboard)`,
    `  edge     ${edgeUrl}/alertmanager  (also /hook)`,
    `  device   ${device} (servo driver: ${servo})`,
    '',
    'Send a test alert:',
    `  curl -H 'content-type: application/json' --data @test/fixtures/firing-one.json ${edgeUrl}/alertmanager`,
    'Bonk by hand:',
    `  npx oom-bonker bonk --device ${device} --wait`,
    `  npx mqtt pub -h ${host} -p ${broker.mqttPort} -t ${prefix}/${device}/bonk -m 3`,
    isLoopbackHost(broker.host) ? '' : '  (listening beyond loopback: clients need the credentials from BONKER_USERS_FILE)',
    'Ctrl-C stops everything.',
    '',
  ];
  return lines.filter((line, i) => line !== '' || lines[i - 1] !== '').join('\n');
}
