// Opens the servo driver named by the configuration (or chosen by `auto`), always behind the hard pulse limits.
import { ConfigError, type Logger, type ServoSelection } from '../../contract/index.ts';
import type { DeviceConfig } from '../config.ts';
import { chooseServoDriver, createMachineProbes, resolvePwmChannel, type ConcreteDriver, type MachineProbes } from './choose-driver.ts';
import { withPulseLimits } from './limits.ts';
import { createPigpioServo, PigpioUnavailableError } from './pigpio.ts';
import { createPigpiodServo } from './pigpiod.ts';
import { createPwmSysfsServo } from './pwm-sysfs.ts';
import type { Servo } from './servo.ts';
import { createSimulatedServo } from './simulated.ts';

export type { Servo } from './servo.ts';

/** An opened servo and how its driver was picked, for the device's retained info and the logs. */
export type SelectedServo = Servo & { readonly selection: ServoSelection };

export async function createServo(
  config: Pick<DeviceConfig, 'servo'>,
  logger: Logger,
  deps: { probes?: MachineProbes; pwmRoot?: string } = {},
): Promise<SelectedServo> {
  const probes = deps.probes ?? createMachineProbes({ pwmRoot: deps.pwmRoot });
  const selection = await selectDriver(config.servo, probes, logger);
  const driver = selection.driver as ConcreteDriver;
  try {
    const servo = await openDriver(driver, config.servo, logger.child({ servo: driver }), { probes, pwmRoot: deps.pwmRoot });
    return { ...withPulseLimits(servo, config.servo), selection };
  } catch (error) {
    // `auto` picked pigpio for the machine, but the npm module or its C library is not there: fall back as for any
    // machine without servo hardware. A driver named explicitly fails instead (cli/main.ts: one line, exit 78).
    if (config.servo.driver !== 'auto' || !(error instanceof PigpioUnavailableError)) throw error;
    const fallback = noHardware(config.servo, `pigpio cannot run here: ${error.message}`, logger);
    return { ...withPulseLimits(createSimulatedServo({ logger: logger.child({ servo: 'simulated' }) }), config.servo), selection: fallback };
  }
}

async function selectDriver(servo: DeviceConfig['servo'], probes: MachineProbes, logger: Logger): Promise<ServoSelection> {
  if (servo.driver !== 'auto') return { driver: servo.driver, requested: servo.driver, fallback: false };
  const { driver, reason, model } = await chooseServoDriver(servo, probes);
  if (driver !== 'simulated') {
    logger.info({ driver, reason, model }, 'BONKER_SERVO_DRIVER=auto chose a driver');
    return { driver, requested: 'auto', fallback: false, reason };
  }
  return noHardware(servo, reason, logger, model);
}

/** `auto` found nothing that moves a servo: refused with BONKER_SERVO_REQUIRE_HARDWARE, else simulated and said loudly. */
function noHardware(servo: DeviceConfig['servo'], reason: string, logger: Logger, model?: string): ServoSelection {
  if (servo.requireHardware) {
    throw new ConfigError([
      `BONKER_SERVO_REQUIRE_HARDWARE: BONKER_SERVO_DRIVER=auto found no servo hardware (tried pwm-sysfs, pigpiod and pigpio: ${reason}); ` +
        'expected one of them to be usable here, or BONKER_SERVO_REQUIRE_HARDWARE=off to run simulated',
    ]);
  }
  logger.warn({ driver: 'simulated', reason, model }, 'BONKER_SERVO_DRIVER=auto found no servo hardware: SIMULATING, nothing will move');
  return { driver: 'simulated', requested: 'auto', fallback: true, reason };
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
