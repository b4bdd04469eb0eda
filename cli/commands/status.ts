// `oom-bonker status`: every device that ever announced itself, from the retained status and info messages.
import { createTopics } from '../../contract/index.ts';
import { connectAdmin } from '../admin-client.ts';
import { clientEnvShape, loadClientConfig } from '../client-config.ts';
import type { Command } from '../command.ts';
import { readDevices, statusJson, statusTable } from '../device-report.ts';

export const statusCommand: Command = {
  name: 'status',
  summary: 'list devices: online or not, servo driver, last bonk, last seen',
  usage: `oom-bonker status [--json]
  --json           one JSON object: device → { status, servo, last, seenAt } (null where unknown)`,
  settings: clientEnvShape,
  validate: (env) => void loadClientConfig(env),
  booleans: ['json'],
  async run({ env, options, out }) {
    const config = loadClientConfig(env);
    const topics = createTopics(config.BONKER_TOPIC_PREFIX);
    const client = await connectAdmin(config, 10_000);
    let reports;
    try {
      reports = await readDevices(client, topics);
    } finally {
      await client.endAsync();
    }
    if (options.json) out(JSON.stringify(statusJson(reports)));
    else if (reports.length === 0) out('no devices have announced themselves yet');
    else out(statusTable(reports, Date.now()));
    return 0;
  },
};
