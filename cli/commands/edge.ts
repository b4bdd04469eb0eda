// `oom-bonker edge`: the Alertmanager webhook receiver alone, publishing to BONKER_BROKER_URL.
import { edgeEnvShape, loadEdgeConfig } from '../../edge/core/config.ts';
import type { Command } from '../command.ts';
import { skipPacketIdCache } from '../packet-id-cache.ts';
import { runUntilSignal } from '../run-service.ts';

export const edgeCommand: Command = {
  name: 'edge',
  summary: 'run the HTTP edge that receives Alertmanager webhooks',
  usage: 'oom-bonker edge [--edge-port N] [--broker-url URL] [--edge-token TOKEN] ...',
  settings: edgeEnvShape,
  validate: (env) => void loadEdgeConfig(env),
  async run({ env, logger }) {
    skipPacketIdCache();
    // Imported here, not at the top: the help overview lists this command without loading Hono and prom-client.
    const { startEdge } = await import('../../edge/node/main.ts');
    const edge = await startEdge(loadEdgeConfig(env), logger.child({ part: 'edge' }));
    return runUntilSignal(edge, logger);
  },
};
