// `BONKER_SERVO_DRIVER=auto`: looks at the machine (injectable probes) and says which driver fits, and why.
import { constants } from 'node:fs';
import { access, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ServoSettings } from '../config.ts';
import { canConnect } from './pigpiod.ts';
import { DEFAULT_PWM_ROOT, pwmChannelForGpio } from './pwm-sysfs.ts';

export type ConcreteDriver = 'simulated' | 'pigpio' | 'pigpiod' | 'pwm-sysfs';

/** What `auto` asks of the machine; tests replace any of these. */
export interface MachineProbes {
  /** /proc/device-tree/model, e.g. "Raspberry Pi 4 Model B Rev 1.4"; undefined off a Pi. */
  piModel(): Promise<string | undefined>;
  /** Channels of pwmchip<chip> when its export file is writable by us; undefined otherwise. */
  pwmChannels(chip: number): Promise<number | undefined>;
  pigpiodReachable(host: string, port: number): Promise<boolean>;
  /** Root with read-write /dev/mem: what the pigpio C library needs. */
  rootWithDevMem(): Promise<boolean>;
}

export function createMachineProbes(opts: { pwmRoot?: string; procRoot?: string } = {}): MachineProbes {
  const pwmRoot = opts.pwmRoot ?? DEFAULT_PWM_ROOT;
  return {
    piModel: async () => {
      const model = await readFile(path.join(opts.procRoot ?? '/proc', 'device-tree/model'), 'utf8').catch(() => undefined);
      return model?.replace(/\0/g, '').trim() || undefined;
    },
    pwmChannels: async (chip) => {
      const dir = path.join(pwmRoot, `pwmchip${chip}`);
      const writable = await access(path.join(dir, 'export'), constants.W_OK).then(() => true, () => false);
      if (!writable) return undefined;
      const npwm = Number(await readFile(path.join(dir, 'npwm'), 'utf8').catch(() => 'NaN'));
      return Number.isInteger(npwm) ? npwm : undefined;
    },
    pigpiodReachable: (host, port) => canConnect(host, port, 500),
    rootWithDevMem: async () =>
      process.getuid?.() === 0 && (await access('/dev/mem', constants.R_OK | constants.W_OK).then(() => true, () => false)),
  };
}

export const isPi5 = (model: string | undefined) => /Raspberry Pi (5|Compute Module 5)/.test(model ?? '');

/** The PWM channel for the configured pin: BONKER_PWM_CHANNEL if set, else from the GPIO and the model. */
export function resolvePwmChannel(servo: ServoSettings, model: string | undefined): number | undefined {
  return servo.pwm.channel ?? pwmChannelForGpio(servo.gpio, isPi5(model));
}

export interface DriverChoice {
  driver: ConcreteDriver;
  reason: string;
  model: string | undefined;
}

/** Order: hardware PWM (no daemon, works on the Pi 5) → pigpiod (no root) → pigpio (root, not Pi 5) → simulated. */
export async function chooseServoDriver(servo: ServoSettings, probes: MachineProbes): Promise<DriverChoice> {
  const model = await probes.piModel();
  const channel = resolvePwmChannel(servo, model);
  const npwm = await probes.pwmChannels(servo.pwm.chip);
  if (channel !== undefined && npwm !== undefined && channel < npwm) {
    return { driver: 'pwm-sysfs', model, reason: `pwmchip${servo.pwm.chip} is writable and has channel ${channel} for GPIO ${servo.gpio}` };
  }
  const { host, port } = servo.pigpiod;
  if (await probes.pigpiodReachable(host, port)) {
    return { driver: 'pigpiod', model, reason: `pigpiod answers on ${host}:${port}` };
  }
  if (model && !isPi5(model) && (await probes.rootWithDevMem())) {
    return { driver: 'pigpio', model, reason: `running as root with /dev/mem on a ${model}` };
  }
  const why = [
    npwm === undefined ? `no writable pwmchip${servo.pwm.chip}` : `pwmchip${servo.pwm.chip} has no channel for GPIO ${servo.gpio}`,
    `no pigpiod on ${host}:${port}`,
    model ? (isPi5(model) ? 'pigpio does not support the Pi 5' : 'not root with /dev/mem') : 'not a Raspberry Pi',
  ];
  return { driver: 'simulated', model, reason: why.join(', ') };
}
