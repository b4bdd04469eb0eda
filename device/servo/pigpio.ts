// Servo on a Raspberry Pi GPIO pin through the npm `pigpio` module (root, /dev/mem), loaded lazily inside this driver.
import { checkPulseWidth, PULSE_OFF, ServoClosedError, type Servo } from './servo.ts';

/** The part of npm `pigpio` this driver uses; a recording stand-in in tests implements the same. */
export interface PigpioGpio {
  servoWrite(pulseWidth: number): unknown;
}
export interface PigpioModule {
  Gpio: { new (gpio: number, options: { mode: number }): PigpioGpio; readonly OUTPUT: number };
  configureInterfaces(interfaces: number): unknown;
  terminate(): void;
  readonly DISABLE_FIFO_IF: number;
  readonly DISABLE_SOCK_IF: number;
}

export class PigpioUnavailableError extends Error {
  constructor(cause: string, options?: { cause?: unknown }) {
    super(
      `pigpio servo driver unavailable: ${cause}. On a Raspberry Pi (not the Pi 5) install the C library ` +
        '(apt install pigpio), then `npm install pigpio` and run the agent as root with pigpiod stopped; ' +
        'elsewhere set BONKER_SERVO_DRIVER=simulated',
      options,
    );
    this.name = 'PigpioUnavailableError';
  }
}

async function importPigpio(): Promise<PigpioModule> {
  // A variable specifier keeps bundlers and the type checker from requiring the optional dependency.
  const name = 'pigpio';
  const loaded = (await import(name)) as { default?: PigpioModule } & PigpioModule;
  return loaded.default ?? loaded;
}

export async function createPigpioServo(opts: {
  gpio: number;
  loadModule?: () => Promise<PigpioModule>;
}): Promise<Servo> {
  const pigpio = await loadPigpio(opts.loadModule ?? importPigpio);
  const pin = openPin(pigpio, opts.gpio);
  let closed = false;
  return {
    driver: 'pigpio',
    async setPulseWidth(us) {
      if (closed) throw new ServoClosedError('pigpio');
      checkPulseWidth(us);
      pin.servoWrite(us);
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        pin.servoWrite(PULSE_OFF);
      } finally {
        // Releases DMA and restores the signal handlers pigpio took over (FACTS.md).
        pigpio.terminate();
      }
    },
  };
}

async function loadPigpio(loadModule: () => Promise<PigpioModule>): Promise<PigpioModule> {
  try {
    return await loadModule();
  } catch (error) {
    const code = (error as { code?: string }).code;
    const missing = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
    throw new PigpioUnavailableError(
      missing ? 'the npm package "pigpio" is not installed' : `loading "pigpio" failed (${String(error)})`,
      { cause: error },
    );
  }
}

function openPin(pigpio: PigpioModule, gpio: number): PigpioGpio {
  try {
    // Before the first Gpio: without it pigpio opens an unauthenticated control socket on TCP 8888.
    pigpio.configureInterfaces(pigpio.DISABLE_FIFO_IF | pigpio.DISABLE_SOCK_IF);
    return new pigpio.Gpio(gpio, { mode: pigpio.Gpio.OUTPUT });
  } catch (error) {
    // Off a Pi the addon is empty and the first call throws "pigpio.gpioInitialise is not a function" (FACTS.md).
    const message = error instanceof Error ? error.message : String(error);
    const notAPi = /is not a function/.test(message);
    throw new PigpioUnavailableError(
      notAPi
        ? `the pigpio C library is not loaded on this machine (${message}); this is not a Raspberry Pi or pigpio was built without it`
        : `opening GPIO ${gpio} failed (${message}); it needs root, /dev/mem and no running pigpiod`,
      { cause: error },
    );
  }
}
