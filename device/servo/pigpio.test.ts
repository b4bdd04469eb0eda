// The pigpio driver against a recording stand-in for the npm module: the hardware cannot exist here.
import { describe, expect, it, vi } from 'vitest';
import { describeServoContract } from '../../test/helpers/servo-contract.ts';
import { createPigpioServo, PigpioUnavailableError, type PigpioModule } from './pigpio.ts';

type Call = [string, ...unknown[]];

/** Records every call in order; `failOnGpio` reproduces what the real module does off a Pi. */
function fakePigpio(options: { failOnGpio?: Error } = {}): { module: PigpioModule; calls: Call[] } {
  const calls: Call[] = [];
  class Gpio {
    static readonly OUTPUT = 1;
    constructor(
      readonly pin: number,
      mode: { mode: number },
    ) {
      if (options.failOnGpio) throw options.failOnGpio;
      calls.push(['new Gpio', pin, mode]);
    }
    servoWrite(us: number) {
      calls.push(['servoWrite', us]);
      return this;
    }
  }
  const module: PigpioModule = {
    Gpio,
    configureInterfaces: (interfaces) => calls.push(['configureInterfaces', interfaces]),
    terminate: () => void calls.push(['terminate']),
    DISABLE_FIFO_IF: 1,
    DISABLE_SOCK_IF: 2,
  };
  return { module, calls };
}

describeServoContract('pigpio (recording stand-in)', async () => {
  const fake = fakePigpio();
  const servo = await createPigpioServo({ gpio: 18, loadModule: async () => fake.module });
  return { servo, written: () => fake.calls.filter(([name]) => name === 'servoWrite').map(([, us]) => us as number) };
});

describe('pigpio servo driver', () => {
  it('closes the TCP 8888 and FIFO interfaces before opening the pin as output, and terminates on close', async () => {
    const fake = fakePigpio();
    const servo = await createPigpioServo({ gpio: 12, loadModule: async () => fake.module });
    await servo.setPulseWidth(1500);
    await servo.close();
    await servo.close();
    expect(fake.calls).toEqual([
      ['configureInterfaces', 3],
      ['new Gpio', 12, { mode: 1 }],
      ['servoWrite', 1500],
      ['servoWrite', 0],
      ['terminate'],
    ]);
  });

  it('explains a machine without the pigpio C library (what x86 does)', async () => {
    const fake = fakePigpio({ failOnGpio: new TypeError('pigpio.gpioInitialise is not a function') });
    const opening = createPigpioServo({ gpio: 18, loadModule: async () => fake.module });
    await expect(opening).rejects.toThrow(PigpioUnavailableError);
    await expect(opening).rejects.toThrow(/C library is not loaded.*gpioInitialise.*BONKER_SERVO_DRIVER \(pigpiod, pwm-sysfs, simulated\)/);
  });

  it('explains a missing npm package', async () => {
    const missing = Object.assign(new Error("Cannot find package 'pigpio'"), { code: 'ERR_MODULE_NOT_FOUND' });
    const opening = createPigpioServo({ gpio: 18, loadModule: () => Promise.reject(missing) });
    await expect(opening).rejects.toThrow(/npm package "pigpio" is not installed.*npm rebuild pigpio/);
    await expect(opening).rejects.toMatchObject({ exitCode: 78 });
  });

  it('fails clearly with the real module on this machine, and pigpio itself prints nothing', async () => {
    // Off a Pi npm builds the addon without the C library (or leaves pigpio out): one error, no boxed stack trace.
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const opening = createPigpioServo({ gpio: 18 });
      await expect(opening).rejects.toThrow(PigpioUnavailableError);
      await expect(opening).rejects.toThrow(/npm package "pigpio" is (not installed|installed but its addon)/);
      await expect(opening).rejects.toMatchObject({ exitCode: 78 });
      expect([...warn.mock.calls, ...error.mock.calls]).toEqual([]);
    } finally {
      warn.mockRestore();
      error.mockRestore();
    }
  });

  it('leaves a failure to open the pin (pigpiod still running) to a restart: exit code 1', async () => {
    const fake = fakePigpio({ failOnGpio: new Error('initInitialise: Can\'t lock /var/run/pigpio.pid') });
    const opening = createPigpioServo({ gpio: 18, loadModule: async () => fake.module });
    await expect(opening).rejects.toThrow(/opening GPIO 18 failed.*no running pigpiod/);
    await expect(opening).rejects.toMatchObject({ exitCode: 1 });
  });
});
