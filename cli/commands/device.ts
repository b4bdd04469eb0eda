// `oom-bonker device`: the agent that moves the servo, as run on the Pi under systemd.
import { deviceEnvShape, loadDeviceConfig } from '../../device/config.ts';
import type { Command } from '../command.ts';
import { runUntilSignal } from '../run-service.ts';

export const deviceCommand: Command = {
  name: 'device',
  summary: 'run the device agent (servo)',
  usage: 'oom-bonker device [--device-id ID] [--broker-url URL] [--servo-driver simulated|pigpio|pigpiod|pwm-sysfs|auto] ...',
  settings: deviceEnvShape,
  validate: (env) => void loadDeviceConfig(env),
  async run({ env, logger }) {
    // Imported here, not at the top: the help overview lists this command without loading mqtt.js and the drivers.
    const { startDevice } = await import('../../device/start-device.ts');
    const device = await startDevice(loadDeviceConfig(env), logger.child({ part: 'device' }));
    return runUntilSignal(device, logger);
  },
};
