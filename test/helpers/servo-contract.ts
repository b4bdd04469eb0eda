// The contract every servo driver passes, run by each driver's test file (like aedes-persistence's abstract.js).
import { afterEach, describe, expect, it } from 'vitest';
import type { Servo } from '../../device/servo/servo.ts';

export interface ServoUnderTest {
  servo: Servo;
  /** Pulse widths that reached the hardware (or its stand-in), in order. */
  written(): number[];
}

export function describeServoContract(name: string, factory: () => Promise<ServoUnderTest>): void {
  describe(`servo contract: ${name}`, () => {
    let current: ServoUnderTest | undefined;
    const open = async () => (current = await factory());
    afterEach(async () => {
      await current?.servo.close();
      current = undefined;
    });

    it('names its driver', async () => {
      const { servo } = await open();
      expect(servo.driver).toMatch(/^[a-z][a-z-]*$/);
    });

    it('accepts 0 (off) and whole widths 500..2500 µs, in order', async () => {
      const { servo, written } = await open();
      for (const us of [500, 1500, 2500, 0, 1050]) await servo.setPulseWidth(us);
      expect(written()).toEqual([500, 1500, 2500, 0, 1050]);
    });

    it.each([499, 2501, -1, 1, 1500.5, Number.NaN, Number.POSITIVE_INFINITY])(
      'rejects %d µs with an error naming the range, writing nothing',
      async (us) => {
        const { servo, written } = await open();
        await expect(servo.setPulseWidth(us)).rejects.toThrow(/out of range: expected 0 \(off\) or .*500-2500/);
        expect(written()).toEqual([]);
      },
    );

    it('switches pulses off on close, so the servo never holds against the figurine', async () => {
      const { servo, written } = await open();
      await servo.setPulseWidth(1200);
      await servo.close();
      expect(written()).toEqual([1200, 0]);
    });

    it('closes idempotently', async () => {
      const { servo, written } = await open();
      await servo.setPulseWidth(1500);
      await servo.close();
      await servo.close();
      await Promise.all([servo.close(), servo.close()]);
      expect(written()).toEqual([1500, 0]);
    });

    it('writes nothing after close', async () => {
      const { servo, written } = await open();
      await servo.close();
      const before = written().length;
      await expect(servo.setPulseWidth(1500)).rejects.toThrow(/closed/);
      await expect(servo.setPulseWidth(0)).rejects.toThrow(/closed/);
      expect(written()).toHaveLength(before);
      expect(written().filter((us) => us !== 0)).toEqual([]);
    });
  });
}
