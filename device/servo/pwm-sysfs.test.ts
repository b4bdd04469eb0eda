// The pwm-sysfs driver against a temporary directory laid out like /sys/class/pwm, with the kernel's export simulated.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../test/helpers/temp-dir.ts';
import { createPwmSysfsServo, pwmChannelForGpio, writeAttribute, type WriteAttribute } from './pwm-sysfs.ts';
import { describeServoContract } from '../../test/helpers/servo-contract.ts';

const temps: { remove(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(temps.splice(0).map((t) => t.remove()));
});

/** A fake sysfs root with pwmchip<chip> of `npwm` channels; writing `export` creates pwmN like the kernel does. */
async function fakeSysfs(opts: { chip?: number; npwm?: number; kernelExports?: boolean } = {}) {
  const temp = await makeTempDir('bonker-pwm-');
  temps.push(temp);
  const chipDir = path.join(temp.path, `pwmchip${opts.chip ?? 0}`);
  await mkdir(chipDir, { recursive: true });
  await writeFile(path.join(chipDir, 'npwm'), `${opts.npwm ?? 2}\n`);
  await writeFile(path.join(chipDir, 'export'), '');
  await writeFile(path.join(chipDir, 'unexport'), '');
  const writes: [string, string][] = [];
  const write: WriteAttribute = async (file, value) => {
    await writeAttribute(file, value);
    const relative = path.relative(temp.path, file);
    writes.push([relative, value]);
    if (relative.endsWith('/export') && opts.kernelExports !== false) {
      const channelDir = path.join(chipDir, `pwm${value}`);
      await mkdir(channelDir);
      for (const name of ['period', 'duty_cycle', 'enable']) await writeFile(path.join(channelDir, name), '0\n');
    }
  };
  /** Pulse widths as the servo sees them: each duty cycle while running, and 0 when disabled. */
  const written = () =>
    writes.slice(writes.findIndex(([file]) => file.endsWith('/period')) + 1).flatMap(([file, value]) => {
      if (file.endsWith('/duty_cycle')) return [Number(value) / 1_000];
      if (file.endsWith('/enable') && value === '0') return [0];
      return [];
    });
  const read = (relative: string) => readFile(path.join(temp.path, relative), 'utf8');
  return { root: temp.path, write, writes, written, read };
}

describeServoContract('pwm-sysfs (temporary sysfs tree)', async () => {
  const fake = await fakeSysfs();
  const servo = await createPwmSysfsServo({ chip: 0, channel: 0, root: fake.root, write: fake.write });
  return { servo, written: fake.written };
});

describe('pwm-sysfs servo driver', () => {
  it('exports the channel, sets a 20 ms period, writes duty cycles in ns, enables once, disables for 0', async () => {
    const fake = await fakeSysfs({ chip: 2, npwm: 4 });
    const servo = await createPwmSysfsServo({ chip: 2, channel: 2, root: fake.root, write: fake.write });
    await servo.setPulseWidth(1500);
    expect(await fake.read('pwmchip2/pwm2/period')).toBe('20000000');
    expect(await fake.read('pwmchip2/pwm2/duty_cycle')).toBe('1500000');
    expect(await fake.read('pwmchip2/pwm2/enable')).toBe('1');
    await servo.setPulseWidth(1050);
    await servo.setPulseWidth(0);
    await servo.close();
    expect(fake.writes).toEqual([
      ['pwmchip2/export', '2'],
      ['pwmchip2/pwm2/enable', '0'],
      ['pwmchip2/pwm2/duty_cycle', '0'],
      ['pwmchip2/pwm2/period', '20000000'],
      ['pwmchip2/pwm2/duty_cycle', '1500000'],
      ['pwmchip2/pwm2/enable', '1'],
      ['pwmchip2/pwm2/duty_cycle', '1050000'],
      ['pwmchip2/pwm2/enable', '0'],
      ['pwmchip2/unexport', '2'],
    ]);
  });

  it('reuses a channel that is already exported', async () => {
    const fake = await fakeSysfs();
    await fake.write(path.join(fake.root, 'pwmchip0/export'), '1');
    fake.writes.length = 0;
    const servo = await createPwmSysfsServo({ chip: 0, channel: 1, root: fake.root, write: fake.write });
    await servo.close();
    expect(fake.writes.map(([file]) => file)).not.toContain('pwmchip0/export');
  });

  it('explains a missing chip, listing the chips there are and the overlay to enable', async () => {
    const fake = await fakeSysfs({ chip: 0 });
    await expect(createPwmSysfsServo({ chip: 2, channel: 0, root: fake.root })).rejects.toThrow(
      /pwmchip2 does not exist \(found: pwmchip0\).*dtoverlay=pwm-2chan/,
    );
  });

  it('refuses a channel the chip does not have', async () => {
    const fake = await fakeSysfs({ npwm: 2 });
    await expect(createPwmSysfsServo({ chip: 0, channel: 3, root: fake.root })).rejects.toThrow(/has 2 channel\(s\); channel 3/);
  });

  it('gives up, saying so, when the kernel never creates the channel after export', async () => {
    const fake = await fakeSysfs({ kernelExports: false });
    const opening = createPwmSysfsServo({ chip: 0, channel: 0, root: fake.root, write: fake.write, exportTimeoutMs: 100 });
    await expect(opening).rejects.toThrow(/pwm0 did not appear writable within 100 ms after export/);
  });

  it('maps GPIO pins to channels per model (Pi 5: RP1 PWM0 channels 0-3)', () => {
    expect([12, 13, 18, 19].map((gpio) => pwmChannelForGpio(gpio, false))).toEqual([0, 1, 0, 1]);
    expect([12, 13, 18, 19].map((gpio) => pwmChannelForGpio(gpio, true))).toEqual([0, 1, 2, 3]);
    expect(pwmChannelForGpio(17, false)).toBeUndefined();
  });
});
