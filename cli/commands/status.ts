// `oom-bonker status`: every device that ever announced itself, from the retained status messages.
import { createTopics, parseStatus, QOS, type DeviceStatus } from '../../contract/index.ts';
import { connectAdmin } from '../admin-client.ts';
import { clientEnvShape, loadClientConfig } from '../client-config.ts';
import type { Command } from '../command.ts';

/** Retained messages follow the SUBACK with no end marker; stop once the broker has been quiet this long after it. */
const QUIET_MS = 500;

export const statusCommand: Command = {
  name: 'status',
  summary: 'list devices and whether they are online',
  usage: 'oom-bonker status [--json]',
  settings: Object.keys(clientEnvShape),
  validate: (env) => void loadClientConfig(env),
  booleans: ['json'],
  async run({ env, options, out }) {
    const config = loadClientConfig(env);
    const topics = createTopics(config.BONKER_TOPIC_PREFIX);
    const client = await connectAdmin(config, 10_000);
    const devices = new Map<string, DeviceStatus>();
    try {
      client.on('message', (topic, payload) => {
        const parsed = topics.parse(topic);
        const status = parseStatus(payload);
        if (parsed?.kind === 'status' && status) devices.set(parsed.device, status);
      });
      await client.subscribeAsync(topics.all('status'), { qos: QOS.status });
      await quietPeriod(client, QUIET_MS);
    } finally {
      await client.endAsync();
    }
    const rows = [...devices].sort(([a], [b]) => a.localeCompare(b));
    if (options.json) out(JSON.stringify(Object.fromEntries(rows)));
    else if (rows.length === 0) out('no devices have announced themselves yet');
    else for (const [device, status] of rows) out(`${device.padEnd(24)} ${status}`);
    return 0;
  },
};

/** Resolves once no message has arrived for `ms`, counting from now. */
function quietPeriod(client: import('mqtt').MqttClient, ms: number): Promise<void> {
  return new Promise((resolve) => {
    let timer = setTimeout(done, ms);
    function onMessage() {
      clearTimeout(timer);
      timer = setTimeout(done, ms);
    }
    function done() {
      client.off('message', onMessage);
      resolve();
    }
    client.on('message', onMessage);
  });
}
