// `oom-bonker watch`: follow acks and status changes of every device until Ctrl-C.
import { createTopics, describeServo, parseAck, parseDeviceInfo, parseStatus, QOS, type Ack } from '../../contract/index.ts';
import { connectAdmin } from '../admin-client.ts';
import { clientEnvShape, loadClientConfig } from '../client-config.ts';
import type { Command } from '../command.ts';
import { describePod } from '../device-report.ts';

export const watchCommand: Command = {
  name: 'watch',
  summary: 'follow acks (with the pod), status and servo driver live',
  usage: 'oom-bonker watch [--json]',
  settings: clientEnvShape,
  validate: (env) => void loadClientConfig(env),
  booleans: ['json'],
  async run({ env, options, out }) {
    const config = loadClientConfig(env);
    const topics = createTopics(config.BONKER_TOPIC_PREFIX);
    const client = await connectAdmin(config, 10_000);
    client.on('message', (topic, payload) => {
      const parsed = topics.parse(topic);
      if (!parsed || parsed.kind === 'bonk' || parsed.kind === 'history') return;
      const event = eventOf(parsed.device, parsed.kind, payload);
      out(options.json ? JSON.stringify(event) : describe(event));
    });
    await client.subscribeAsync([topics.all('status'), topics.all('info'), topics.all('ack')], { qos: QOS.ack });
    out(`watching ${topics.all('status')}, ${topics.all('info')} and ${topics.all('ack')} (Ctrl-C to stop)`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await client.endAsync();
    return 0;
  },
};

type WatchEvent =
  | { device: string; ack: Ack | { invalid: string } }
  | { device: string; status: string }
  | { device: string; info: ReturnType<typeof parseDeviceInfo> | { invalid: string } };

function eventOf(device: string, kind: 'ack' | 'status' | 'info', payload: Buffer): WatchEvent {
  const invalid = { invalid: payload.toString().slice(0, 200) };
  if (kind === 'ack') return { device, ack: parseAck(payload) ?? invalid };
  if (kind === 'info') return { device, info: parseDeviceInfo(payload) ?? invalid };
  return { device, status: parseStatus(payload) ?? 'invalid' };
}

function describe(event: WatchEvent): string {
  const time = new Date().toISOString();
  if ('status' in event) return `${time} ${event.device} ${event.status}`;
  if ('info' in event) {
    const info = event.info;
    return `${time} ${event.device} driver ${info && 'servo' in info ? describeServo(info.servo) : 'invalid info'}`;
  }
  if ('invalid' in event.ack) return `${time} ${event.device} invalid ack ${event.ack.invalid}`;
  const ack = event.ack;
  const pod = describePod(ack.labels ?? {}) ?? (ack.reason ? `(${ack.reason})` : '-');
  return `${time} ${event.device} ${ack.result} ${ack.id} bonks=${ack.bonks} pod=${pod}${ack.error ? ` error: ${ack.error}` : ''}`;
}
