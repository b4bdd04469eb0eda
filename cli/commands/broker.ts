// `oom-bonker broker`: the bundled MQTT broker alone.
import { brokerEnvShape, loadBrokerConfig } from '../../broker/config.ts';
import { startBroker } from '../../broker/start-broker.ts';
import type { Command } from '../command.ts';
import { runUntilSignal } from '../run-service.ts';

export const brokerCommand: Command = {
  name: 'broker',
  summary: 'run the bundled MQTT broker (Aedes)',
  usage: 'oom-bonker broker [--broker-port N] [--data-dir DIR] [--users-file FILE] ...',
  settings: Object.keys(brokerEnvShape),
  validate: (env) => void loadBrokerConfig(env),
  async run({ env, logger }) {
    const broker = await startBroker(loadBrokerConfig(env), logger.child({ part: 'broker' }));
    return runUntilSignal(broker, logger);
  },
};
