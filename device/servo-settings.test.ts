// Servo settings: drivers, hard limits the agent refuses to start outside, and what `auto` picks on which machine.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../contract/index.ts';
import { loadDeviceConfig } from './config.ts';
import { chooseServoDriver, type MachineProbes } from './servo/choose-driver.ts';
import { startFakePigpiod } from '../test/helpers/fake-pigpiod.ts';
import { createServo } from './servo/index.ts';
import { createRecordingLogger } from '../test/helpers/recording-logger.ts';

const problems = (env: Record<string, string>) => {
  try {
    loadDeviceConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('hard pulse limits', () => {
  it('refuses rest and strike outside BONKER_SERVO_MIN_US..MAX_US, naming both', () => {
    expect(problems({ BONKER_SERVO_MIN_US: '1100', BONKER_SERVO_MAX_US: '1400' })).toEqual([
      'BONKER_SERVO_REST_US: expected a pulse width within the hard limits BONKER_SERVO_MIN_US-BONKER_SERVO_MAX_US (1100-1400), got 1500',
      'BONKER_SERVO_STRIKE_US: expected a pulse width within the hard limits BONKER_SERVO_MIN_US-BONKER_SERVO_MAX_US (1100-1400), got 1050',
    ]);
  });

  it('refuses a minimum at or above the maximum', () => {
    expect(problems({ BONKER_SERVO_MIN_US: '2000', BONKER_SERVO_MAX_US: '1000' })).toEqual([
      'BONKER_SERVO_MAX_US: expected a pulse width above BONKER_SERVO_MIN_US (2000), got 1000',
    ]);
  });

  it('accepts positions on the limits, and reads the new settings', () => {
    const config = loadDeviceConfig({
      BONKER_SERVO_MIN_US: '1050', BONKER_SERVO_MAX_US: '1500', BONKER_SERVO_DRIVER: 'pwm-sysfs',
      BONKER_PIGPIOD_HOST: 'pi.local', BONKER_PIGPIOD_PORT: '8889', BONKER_PWM_CHIP: '2', BONKER_PWM_CHANNEL: '3',
    });
    expect(config.servo).toEqual({
      driver: 'pwm-sysfs', gpio: 18, minUs: 1050, maxUs: 1500,
      pigpiod: { host: 'pi.local', port: 8889 }, pwm: { chip: 2, channel: 3 }, requireHardware: false,
    });
  });

  it('applies the limits to the driver createServo opens', async () => {
    const config = loadDeviceConfig({ BONKER_SERVO_MIN_US: '1000', BONKER_SERVO_MAX_US: '2000' });
    const servo = await createServo(config, createRecordingLogger());
    await expect(servo.setPulseWidth(2100)).rejects.toThrow(/hard limits 1000-2000/);
    await servo.setPulseWidth(2000);
    await servo.close();
  });
});

const PI4 = 'Raspberry Pi 4 Model B Rev 1.4';
const PI5 = 'Raspberry Pi 5 Model B Rev 1.0';
function probes(machine: { model?: string; npwm?: number; pigpiod?: boolean; root?: boolean }): MachineProbes {
  return {
    piModel: async () => machine.model,
    pwmChannels: async () => machine.npwm,
    pigpiodReachable: async () => machine.pigpiod ?? false,
    rootWithDevMem: async () => machine.root ?? false,
  };
}

describe('BONKER_SERVO_DRIVER=auto', () => {
  const servo = loadDeviceConfig({ BONKER_SERVO_DRIVER: 'auto' }).servo;
  it.each([
    ['a Pi 5 with the pwm-2chan overlay', { model: PI5, npwm: 4, pigpiod: true }, 'pwm-sysfs', /channel 2 for GPIO 18/],
    ['a Pi 4 with the overlay', { model: PI4, npwm: 2, root: true }, 'pwm-sysfs', /channel 0 for GPIO 18/],
    ['a Pi 4 with pigpiod running', { model: PI4, pigpiod: true, root: true }, 'pigpiod', /pigpiod answers on 127\.0\.0\.1:8888/],
    ['a Pi 4 as root, no daemon', { model: PI4, root: true }, 'pigpio', /root with \/dev\/mem on a Raspberry Pi 4/],
    ['a Pi 5 as root, no overlay', { model: PI5, root: true }, 'simulated', /pigpio does not support the Pi 5/],
    ['a Pi 5 whose chip has too few channels', { model: PI5, npwm: 2 }, 'simulated', /pwmchip0 has no channel for GPIO 18/],
    ['a laptop', {}, 'simulated', /no writable pwmchip0, no pigpiod on 127\.0\.0\.1:8888, not a Raspberry Pi/],
  ] as const)('on %s picks %s', async (_, machine, driver, reason) => {
    const choice = await chooseServoDriver(servo, probes(machine));
    expect(choice.driver).toBe(driver);
    expect(choice.reason).toMatch(reason);
  });

  it('warns loudly when it falls back to the simulated servo', async () => {
    const logger = createRecordingLogger();
    const opened = await createServo({ servo }, logger, { probes: probes({}) });
    expect(opened.driver).toBe('simulated');
    expect(logger.entries.filter((e) => e.level === 'warn').map((e) => e.msg)).toEqual([
      'BONKER_SERVO_DRIVER=auto found no servo hardware: SIMULATING, nothing will move',
    ]);
    expect(opened.selection).toMatchObject({ driver: 'simulated', requested: 'auto', fallback: true });
    expect(opened.selection.reason).toMatch(/no writable pwmchip0, no pigpiod/);
    await opened.close();
  });

  it('falls back to the simulated servo with one warning when it picks pigpio and pigpio cannot load (as here)', async () => {
    const logger = createRecordingLogger();
    const opened = await createServo({ servo }, logger, { probes: probes({ model: PI4, root: true }) });
    expect(opened.driver).toBe('simulated');
    expect(opened.selection).toMatchObject({ driver: 'simulated', requested: 'auto', fallback: true });
    const warnings = logger.entries.filter((e) => e.level === 'warn');
    expect(warnings.map((e) => e.msg)).toEqual(['BONKER_SERVO_DRIVER=auto found no servo hardware: SIMULATING, nothing will move']);
    expect(warnings[0]).toMatchObject({ obj: { reason: expect.stringMatching(/^pigpio cannot run here: pigpio servo driver unavailable: the npm package "pigpio"/) } });
    await opened.close();
  });

  it('fails instead of simulating when pigpio is named and cannot load', async () => {
    const named = loadDeviceConfig({ BONKER_SERVO_DRIVER: 'pigpio' }).servo;
    await expect(createServo({ servo: named }, createRecordingLogger(), { probes: probes({ model: PI4, root: true }) }))
      .rejects.toMatchObject({ name: 'PigpioUnavailableError', exitCode: 78 });
  });

  it('says which driver it chose and why, and that it was not a fallback', async () => {
    const daemon = await startFakePigpiod();
    try {
      const env = { BONKER_SERVO_DRIVER: 'auto', BONKER_PIGPIOD_PORT: String(daemon.port) };
      const chosen = loadDeviceConfig(env).servo;
      const opened = await createServo({ servo: chosen }, createRecordingLogger(), { probes: probes({ model: PI4, pigpiod: true }) });
      expect(opened.selection).toEqual({
        driver: 'pigpiod', requested: 'auto', fallback: false, reason: `pigpiod answers on 127.0.0.1:${daemon.port}`,
      });
      await opened.close();
    } finally {
      await daemon.stop();
    }
  });

  it('refuses to fall back with BONKER_SERVO_REQUIRE_HARDWARE=on, naming what it tried', async () => {
    const strict = loadDeviceConfig({ BONKER_SERVO_DRIVER: 'auto', BONKER_SERVO_REQUIRE_HARDWARE: 'on' }).servo;
    const opening = createServo({ servo: strict }, createRecordingLogger(), { probes: probes({}) });
    await expect(opening).rejects.toBeInstanceOf(ConfigError);
    await expect(opening).rejects.toThrow(
      /BONKER_SERVO_REQUIRE_HARDWARE: .*auto found no servo hardware \(tried pwm-sysfs, pigpiod and pigpio: no writable pwmchip0, no pigpiod on 127\.0\.0\.1:8888, not a Raspberry Pi\)/,
    );
  });
});
