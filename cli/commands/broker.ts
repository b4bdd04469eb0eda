// `oom-bonker broker`: the bundled MQTT broker alone.
import { brokerEnvShape, loadBrokerConfig } from '../../broker/config.ts';
import type { Command } from '../command.ts';
import { skipPacketIdCache } from '../packet-id-cache.ts';
import { runUntilSignal } from '../run-service.ts';

export const brokerCommand: Command = {
  name: 'broker',
  summary: 'run the bundled MQTT broker (Aedes)',
  usage: 'oom-bonker broker [--broker-port N] [--data-dir DIR] [--users-file FILE] ...',
  settings: brokerEnvShape,
  validate: (env) => void loadBrokerConfig(env),
  async run({ env, logger }) {
    skipPacketIdCache();
    // Imported here, not at the top: the help overview lists this command without loading Aedes.
    const { startBroker } = await import('../../broker/start-broker.ts');
    const broker = await startBroker(loadBrokerConfig(env), logger.child({ part: 'broker' }));
    return runUntilSignal(broker, logger);
  },
};
