// `oom-bonker bonk`: publish a manual bonk as admin and, with --wait, print the device's ack and the round trip.
import {
  MAX_BONK_COUNT,
  createTopics,
  describeSettings,
  deviceIdSchema,
  encodeBonk,
  manualBonk,
  parseAck,
  QOS,
  type Ack,
} from '../../contract/index.ts';
import { connectAdmin } from '../admin-client.ts';
import { clientEnvShape, loadClientConfig } from '../client-config.ts';
import type { Command } from '../command.ts';
import { UsageError } from '../flags.ts';

const bonkEnvShape = {
  ...clientEnvShape,
  ...describeSettings(
    { BONKER_DEFAULT_DEVICE: deviceIdSchema.default('tux') },
    { BONKER_DEFAULT_DEVICE: 'device to bonk when --device is not given' },
  ),
};

export const bonkCommand: Command = {
  name: 'bonk',
  summary: 'bonk a device by hand',
  usage: `oom-bonker bonk --device ID [--count N] [--wait] [--timeout SECONDS]
  --device ID      device to bonk (default: BONKER_DEFAULT_DEVICE or tux)
  --count N        strikes, 1..${MAX_BONK_COUNT} (default 1)
  --wait           wait for the device's ack; exit 0 only when it is "done"
  --timeout S      how long to wait for the broker and the ack (default 10)`,
  settings: bonkEnvShape,
  validate: (env) => void loadClientConfig(env),
  options: ['device', 'count', 'timeout'],
  booleans: ['wait'],
  async run({ env, options, out }) {
    const device = parseDevice(options.device ?? env.BONKER_DEFAULT_DEVICE ?? 'tux');
    const count = parseInteger('count', options.count ?? '1', 1, MAX_BONK_COUNT);
    const timeoutMs = parseInteger('timeout', options.timeout ?? '10', 1, 3600) * 1000;
    const config = loadClientConfig(env);
    const topics = createTopics(config.BONKER_TOPIC_PREFIX);
    const command = manualBonk(count, { newId: () => crypto.randomUUID(), now: () => Date.now() }, 'cli');
    const client = await connectAdmin(config, timeoutMs);
    try {
      const ack = options.wait ? waitForAck(client, topics.ack(device), command.id, timeoutMs) : undefined;
      if (options.wait) await client.subscribeAsync(topics.ack(device), { qos: QOS.ack });
      const sentAt = performance.now();
      await client.publishAsync(topics.bonk(device), encodeBonk(command), { qos: QOS.bonkFromEdge });
      out(`published bonk ${command.id} to ${device} (count ${count})`);
      if (!ack) return 0;
      const answer = await ack;
      const roundTripMs = performance.now() - sentAt;
      out(`ack: ${JSON.stringify(answer)}`);
      out(`round trip: ${roundTripMs.toFixed(1)} ms`);
      return answer.result === 'done' ? 0 : 1;
    } finally {
      await client.endAsync();
    }
  },
};

function waitForAck(client: import('mqtt').MqttClient, topic: string, id: string, timeoutMs: number): Promise<Ack> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('message', onMessage);
      reject(new Error(
        `no ack for ${id} within ${timeoutMs / 1000} s; is the device online? (oom-bonker status). The bonk is stored and ` +
          'will strike when the device connects, provided it has connected to this broker before',
      ));
    }, timeoutMs);
    const onMessage = (received: string, payload: Buffer) => {
      const ack = received === topic ? parseAck(payload) : undefined;
      if (ack?.id !== id) return;
      clearTimeout(timer);
      client.off('message', onMessage);
      resolve(ack);
    };
    client.on('message', onMessage);
  });
}

function parseDevice(value: string | true): string {
  const parsed = deviceIdSchema.safeParse(value);
  if (!parsed.success) throw new UsageError(`--device: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

function parseInteger(flag: string, value: string | true, min: number, max: number): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= max)) throw new UsageError(`--${flag}: expected a whole number ${min}..${max}, got ${String(value)}`);
  return n;
}
