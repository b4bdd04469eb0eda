// Picks the servo driver named by the configuration.
import type { Logger } from '../../contract/index.ts';
import type { DeviceConfig } from '../config.ts';
import { createPigpioServo } from './pigpio.ts';
import type { Servo } from './servo.ts';
import { createSimulatedServo } from './simulated.ts';

export type { Servo } from './servo.ts';

export async function createServo(config: Pick<DeviceConfig, 'servo'>, logger: Logger): Promise<Servo> {
  switch (config.servo.driver) {
    case 'pigpio':
      return createPigpioServo({ gpio: config.servo.gpio });
    case 'simulated':
      return createSimulatedServo({ logger: logger.child({ servo: 'simulated' }) });
  }
}
