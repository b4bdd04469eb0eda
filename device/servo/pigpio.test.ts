// The pigpio driver against a recording stand-in for the npm module: the hardware cannot exist here.
import { describe, expect, it } from 'vitest';
import { describeServoContract } from './servo-contract.ts';
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
    await expect(opening).rejects.toThrow(/C library is not loaded.*gpioInitialise.*BONKER_SERVO_DRIVER=simulated/);
  });

  it('explains a missing npm package', async () => {
    const missing = Object.assign(new Error("Cannot find package 'pigpio'"), { code: 'ERR_MODULE_NOT_FOUND' });
    const opening = createPigpioServo({ gpio: 18, loadModule: () => Promise.reject(missing) });
    await expect(opening).rejects.toThrow(/npm package "pigpio" is not installed.*npm install pigpio/);
  });

  it('fails clearly with the real module on this machine', async () => {
    // The installed module has no C library off a Pi: either import or the first call must fail with our message.
    await expect(createPigpioServo({ gpio: 18 })).rejects.toThrow(PigpioUnavailableError);
  });
});
