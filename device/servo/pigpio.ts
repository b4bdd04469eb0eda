// Servo on a Raspberry Pi GPIO pin through the npm `pigpio` module (root, /dev/mem), loaded lazily inside this driver.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { EXIT_CONFIG } from '../../contract/index.ts';
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

/**
 * The pigpio driver cannot run on this machine. `exitCode` 78 (bad configuration) when restarting cannot help: the
 * module, its addon or the C library is missing. Opening the pin can fail for a passing reason (pigpiod still running).
 */
export class PigpioUnavailableError extends Error {
  readonly exitCode: number;
  constructor(cause: string, options: { cause?: unknown; missing: boolean }) {
    super(
      `pigpio servo driver unavailable: ${cause}. On a Raspberry Pi (not the Pi 5) install the pigpio C library first ` +
        '(docs/pi-install.md), then `sudo npm rebuild pigpio` in the installed oom-bonker directory, and run the agent ' +
        'as root with pigpiod stopped; elsewhere choose another BONKER_SERVO_DRIVER (pigpiod, pwm-sysfs, simulated)',
      { cause: options.cause },
    );
    this.name = 'PigpioUnavailableError';
    this.exitCode = options.missing ? EXIT_CONFIG : 1;
  }
}

/**
 * npm `pigpio` loads its addon with `bindings` and, when that fails, prints a boxed warning with a stack trace to stderr
 * and exports functions that throw (fivdi/pigpio, pigpio.js). Off a Pi its install builds an addon without the C
 * library, which Node refuses ("Module did not self-register"). So the addon is loaded here first, and a failure becomes
 * one PigpioUnavailableError; the module is imported only when its addon loads.
 */
async function importPigpio(): Promise<PigpioModule> {
  const require = createRequire(import.meta.url);
  // Resolves from the bundle's directory, as the import below does; MODULE_NOT_FOUND when npm left the package out.
  const addon = path.join(path.dirname(require.resolve('pigpio/package.json')), 'build', 'Release', 'pigpio.node');
  if (!existsSync(addon)) throw new PigpioAddonError(`its addon was not built (no ${addon})`);
  try {
    require(addon);
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0]!.replace(/\.$/, '');
    throw new PigpioAddonError(`its addon does not load (${reason})`);
  }
  // A variable specifier keeps bundlers and the type checker from requiring the optional dependency.
  const name = 'pigpio';
  const loaded = (await import(name)) as { default?: PigpioModule } & PigpioModule;
  return loaded.default ?? loaded;
}

/** The npm package is there but its native addon is not usable: built without the C library, or not built at all. */
class PigpioAddonError extends Error {}

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
        // Terminates the C library, which took over the signal handlers (fivdi/pigpio doc/configuration.md, "initialize()").
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
    const why = missing
      ? 'the npm package "pigpio" is not installed'
      : error instanceof PigpioAddonError
        ? `the npm package "pigpio" is installed but ${error.message}: the pigpio C library was missing when npm built it`
        : `loading "pigpio" failed (${String(error)})`;
    throw new PigpioUnavailableError(why, { cause: error, missing: true });
  }
}

function openPin(pigpio: PigpioModule, gpio: number): PigpioGpio {
  try {
    // Before the first Gpio: without it pigpio opens an unauthenticated control socket on TCP 8888.
    pigpio.configureInterfaces(pigpio.DISABLE_FIFO_IF | pigpio.DISABLE_SOCK_IF);
    return new pigpio.Gpio(gpio, { mode: pigpio.Gpio.OUTPUT });
  } catch (error) {
    // An addon built without the C library that still loads makes the first call throw "... is not a function".
    const message = error instanceof Error ? error.message : String(error);
    const notAPi = /is not a function/.test(message);
    throw new PigpioUnavailableError(
      notAPi
        ? `the pigpio C library is not loaded on this machine (${message}); this is not a Raspberry Pi or pigpio was built without it`
        : `opening GPIO ${gpio} failed (${message}); it needs root, /dev/mem and no running pigpiod`,
      { cause: error, missing: notAPi },
    );
  }
}
