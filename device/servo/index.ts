// Opens the servo driver named by the configuration (or chosen by `auto`), always behind the hard pulse limits.
import type { Logger } from '../../contract/index.ts';
import { ConfigError } from '../../contract/index.ts';
import type { DeviceConfig } from '../config.ts';
import { chooseServoDriver, createMachineProbes, resolvePwmChannel, type ConcreteDriver, type MachineProbes } from './choose-driver.ts';
import { withPulseLimits } from './limits.ts';
import { createPigpioServo, PigpioUnavailableError } from './pigpio.ts';
import { createPigpiodServo } from './pigpiod.ts';
import { createPwmSysfsServo } from './pwm-sysfs.ts';
import type { Servo } from './servo.ts';
import { createSimulatedServo } from './simulated.ts';

export type { Servo } from './servo.ts';

export async function createServo(
  config: Pick<DeviceConfig, 'servo'>,
  logger: Logger,
  deps: { probes?: MachineProbes; pwmRoot?: string } = {},
): Promise<Servo> {
  const probes = deps.probes ?? createMachineProbes({ pwmRoot: deps.pwmRoot });
  let driver: ConcreteDriver;
  if (config.servo.driver === 'auto') {
    const choice = await chooseServoDriver(config.servo, probes);
    driver = choice.driver;
    if (driver === 'simulated') {
      logger.warn({ driver, reason: choice.reason, model: choice.model },
        'BONKER_SERVO_DRIVER=auto found no servo hardware: SIMULATING, nothing will move');
    } else {
      logger.info({ driver, reason: choice.reason, model: choice.model }, 'BONKER_SERVO_DRIVER=auto chose a driver');
    }
  } else {
    driver = config.servo.driver;
  }
  const servo = await openDriver(driver, config.servo, logger.child({ servo: driver }), { probes, pwmRoot: deps.pwmRoot }).catch(
    (error: unknown) => {
      // `auto` picked pigpio for the machine, but the npm module or its C library is not there: fall back as for any
      // machine without servo hardware. A driver named explicitly fails instead (cli/main.ts: one line, exit 78).
      if (config.servo.driver !== 'auto' || !(error instanceof PigpioUnavailableError)) throw error;
      logger.warn({ driver: 'simulated', reason: error.message },
        'BONKER_SERVO_DRIVER=auto chose pigpio, which cannot run here: SIMULATING, nothing will move');
      return createSimulatedServo({ logger: logger.child({ servo: 'simulated' }) });
    },
  );
  return withPulseLimits(servo, config.servo);
}

async function openDriver(
  driver: ConcreteDriver,
  servo: DeviceConfig['servo'],
  logger: Logger,
  deps: { probes: MachineProbes; pwmRoot: string | undefined },
): Promise<Servo> {
  switch (driver) {
    case 'pigpio':
      return createPigpioServo({ gpio: servo.gpio });
    case 'pigpiod':
      return createPigpiodServo({ gpio: servo.gpio, ...servo.pigpiod, logger });
    case 'pwm-sysfs': {
      const channel = resolvePwmChannel(servo, await deps.probes.piModel());
      if (channel === undefined) {
        throw new ConfigError([
          `BONKER_PWM_CHANNEL: expected a channel number; GPIO ${servo.gpio} has no hardware PWM (use GPIO 12, 13, 18 or 19, or set the channel)`,
        ]);
      }
      return createPwmSysfsServo({ chip: servo.pwm.chip, channel, root: deps.pwmRoot, logger });
    }
    case 'simulated':
      return createSimulatedServo({ logger });
  }
}
