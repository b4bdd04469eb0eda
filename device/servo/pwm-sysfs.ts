// Servo on Linux hardware PWM through /sys/class/pwm (every Pi incl. the Pi 5): plain file writes, no native module.
// Kernel ABI: Documentation/ABI/testing/sysfs-class-pwm — export a channel, then period, duty_cycle (ns), enable.
import { constants } from 'node:fs';
import { access, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { silentLogger, type Logger } from '../../contract/index.ts';
import { checkPulseWidth, PULSE_OFF, ServoClosedError, type Servo } from './servo.ts';

/** 50 Hz, the frame every hobby servo expects. */
export const SERVO_PERIOD_NS = 20_000_000;
export const DEFAULT_PWM_ROOT = '/sys/class/pwm';

export type WriteAttribute = (file: string, value: string) => Promise<void>;

export interface PwmSysfsOptions {
  chip: number;
  channel: number;
  /** /sys/class/pwm; tests point it at a temporary directory laid out the same way. */
  root?: string;
  logger?: Logger;
  /** How long to wait for the kernel (and udev's permissions) after export. */
  exportTimeoutMs?: number;
  write?: WriteAttribute;
}

export class PwmSysfsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(`pwm-sysfs servo driver: ${message}`, options);
    this.name = 'PwmSysfsError';
  }
}

/** Truncating write without O_CREAT: a missing attribute fails (ENOENT) as it does on sysfs, never creates a file. */
export const writeAttribute: WriteAttribute = (file, value) =>
  writeFile(file, value, { flag: constants.O_WRONLY | constants.O_TRUNC });

/** Pi 1–4 (BCM283x/2711): GPIO 12/18 → channel 0, 13/19 → 1. Pi 5 (RP1 PWM0): 12 → 0, 13 → 1, 18 → 2, 19 → 3. */
export function pwmChannelForGpio(gpio: number, pi5: boolean): number | undefined {
  const table: Record<number, number> = pi5 ? { 12: 0, 13: 1, 18: 2, 19: 3 } : { 12: 0, 13: 1, 18: 0, 19: 1 };
  return table[gpio];
}

export async function createPwmSysfsServo(opts: PwmSysfsOptions): Promise<Servo> {
  const root = opts.root ?? DEFAULT_PWM_ROOT;
  const write = opts.write ?? writeAttribute;
  const logger = opts.logger ?? silentLogger;
  const chipDir = path.join(root, `pwmchip${opts.chip}`);
  const channelDir = path.join(chipDir, `pwm${opts.channel}`);
  const attr = (name: string) => path.join(channelDir, name);
  await checkChip(root, chipDir, opts.channel);
  await exportChannel({ chipDir, channelDir, channel: opts.channel, write, timeoutMs: opts.exportTimeoutMs ?? 2_000 });
  // Off first: the kernel refuses a period shorter than the duty cycle left behind by a previous user.
  await write(attr('enable'), '0');
  await write(attr('duty_cycle'), '0');
  await write(attr('period'), String(SERVO_PERIOD_NS));
  logger.info({ chip: opts.chip, channel: opts.channel, root }, 'pwm channel exported at 50 Hz');

  let enabled = false;
  let closed = false;
  let closing: Promise<void> | undefined;
  return {
    driver: 'pwm-sysfs',
    async setPulseWidth(us) {
      if (closed) throw new ServoClosedError('pwm-sysfs');
      checkPulseWidth(us);
      if (us === PULSE_OFF) {
        await write(attr('enable'), '0');
        enabled = false;
        return;
      }
      await write(attr('duty_cycle'), String(us * 1_000));
      if (!enabled) await write(attr('enable'), '1');
      enabled = true;
    },
    close: () =>
      (closing ??= (async () => {
        closed = true;
        try {
          if (enabled) await write(attr('enable'), '0');
        } finally {
          enabled = false;
          // Hands the channel back; the pin stays low.
          await write(path.join(chipDir, 'unexport'), String(opts.channel)).catch((error: unknown) =>
            logger.warn({ err: error, chipDir }, 'could not unexport the pwm channel'),
          );
        }
      })()),
  };
}

async function checkChip(root: string, chipDir: string, channel: number): Promise<void> {
  let npwm: number;
  try {
    npwm = Number((await readFile(path.join(chipDir, 'npwm'), 'utf8')).trim());
  } catch (error) {
    const chips = await readdir(root).catch(() => [] as string[]);
    throw new PwmSysfsError(
      `${chipDir} does not exist (found: ${chips.join(', ') || 'no PWM chips'}); enable hardware PWM with a ` +
        '`dtoverlay=pwm-2chan,...` line in /boot/firmware/config.txt and reboot, or set BONKER_PWM_CHIP',
      { cause: error },
    );
  }
  if (!(channel < npwm)) {
    throw new PwmSysfsError(`${chipDir} has ${npwm} channel(s); channel ${channel} does not exist (BONKER_PWM_CHANNEL)`);
  }
}

async function exportChannel(deps: {
  chipDir: string;
  channelDir: string;
  channel: number;
  write: WriteAttribute;
  timeoutMs: number;
}): Promise<void> {
  if (await exists(deps.channelDir)) return;
  try {
    await deps.write(path.join(deps.chipDir, 'export'), String(deps.channel));
  } catch (error) {
    throw new PwmSysfsError(
      `cannot export channel ${deps.channel} of ${deps.chipDir} (${(error as Error).message}); ` +
        'the agent needs write access to /sys/class/pwm (root, or group gpio on Raspberry Pi OS)',
      { cause: error },
    );
  }
  // The kernel creates pwmN at once, but udev sets its group permissions a moment later.
  const deadline = Date.now() + deps.timeoutMs;
  while (!(await writable(path.join(deps.channelDir, 'enable')))) {
    if (Date.now() > deadline) {
      throw new PwmSysfsError(`${deps.channelDir} did not appear writable within ${deps.timeoutMs} ms after export`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const exists = (file: string) => access(file).then(() => true, () => false);
const writable = (file: string) => access(file, constants.W_OK).then(() => true, () => false);
