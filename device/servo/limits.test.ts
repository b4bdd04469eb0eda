// The hard-limit wrapper: the shared contract still holds, and nothing outside the limits reaches the driver.
import { describe, expect, it } from 'vitest';
import { PulseLimitError, withPulseLimits } from './limits.ts';
import { describeServoContract } from '../../test/helpers/servo-contract.ts';
import { createSimulatedServo } from './simulated.ts';

describeServoContract('simulated behind the widest limits', async () => {
  const inner = createSimulatedServo();
  return { servo: withPulseLimits(inner, { minUs: 500, maxUs: 2500 }), written: () => inner.pulses.map((p) => p.us) };
});

describe('withPulseLimits', () => {
  it.each([999, 2001])('refuses %d µs outside 1000-2000 and writes nothing', async (us) => {
    const inner = createSimulatedServo();
    const servo = withPulseLimits(inner, { minUs: 1000, maxUs: 2000 });
    await expect(servo.setPulseWidth(us)).rejects.toThrow(PulseLimitError);
    await expect(servo.setPulseWidth(us)).rejects.toThrow(/outside the configured hard limits 1000-2000 µs.*BONKER_SERVO_MIN_US/);
    expect(inner.pulses).toEqual([]);
  });

  it('passes the limits themselves and 0 (off), and closes the driver', async () => {
    const inner = createSimulatedServo();
    const servo = withPulseLimits(inner, { minUs: 1000, maxUs: 2000 });
    for (const us of [1000, 2000, 0]) await servo.setPulseWidth(us);
    await servo.close();
    expect(inner.pulses.map((p) => p.us)).toEqual([1000, 2000, 0]);
    await expect(inner.setPulseWidth(1500)).rejects.toThrow(/closed/);
  });
});
