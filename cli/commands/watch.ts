// `oom-bonker watch`: follow acks and status changes of every device until Ctrl-C.
import { createTopics, parseAck, parseStatus, QOS } from '../../contract/index.ts';
import { connectAdmin } from '../admin-client.ts';
import { clientEnvShape, loadClientConfig } from '../client-config.ts';
import type { Command } from '../command.ts';

export const watchCommand: Command = {
  name: 'watch',
  summary: 'follow acks and status live',
  usage: 'oom-bonker watch [--json]',
  settings: Object.keys(clientEnvShape),
  validate: (env) => void loadClientConfig(env),
  booleans: ['json'],
  async run({ env, options, out }) {
    const config = loadClientConfig(env);
    const topics = createTopics(config.BONKER_TOPIC_PREFIX);
    const client = await connectAdmin(config, 10_000);
    client.on('message', (topic, payload) => {
      const parsed = topics.parse(topic);
      if (!parsed) return;
      const event =
        parsed.kind === 'ack'
          ? { device: parsed.device, ack: parseAck(payload) ?? { invalid: payload.toString().slice(0, 200) } }
          : { device: parsed.device, status: parseStatus(payload) ?? 'invalid' };
      out(options.json ? JSON.stringify(event) : describe(event));
    });
    await client.subscribeAsync([topics.all('status'), topics.all('ack')], { qos: QOS.ack });
    out(`watching ${topics.all('status')} and ${topics.all('ack')} (Ctrl-C to stop)`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await client.endAsync();
    return 0;
  },
};

function describe(event: { device: string; ack?: unknown; status?: string }): string {
  const time = new Date().toISOString();
  if (event.status) return `${time} ${event.device} ${event.status}`;
  const ack = event.ack as { id?: string; result?: string; bonks?: number; error?: string; labels?: Record<string, string> };
  const pod = ack.labels?.pod ? ` ${ack.labels.namespace ?? ''}/${ack.labels.pod}` : '';
  return `${time} ${event.device} ${ack.result ?? 'invalid ack'} ${ack.id ?? ''} bonks=${ack.bonks ?? 0}${pod}${ack.error ? ` (${ack.error})` : ''}`;
}
