// The strike motion with a recording sleep: the order of widths and waits, and that it always ends parked and off.
import { describe, expect, it } from 'vitest';
import { createSimulatedServo } from './servo/simulated.ts';
import { createStriker, realSleep } from './strike.ts';

const motion = { restUs: 1500, strikeUs: 1050, travelMs: 150, holdMs: 200 };

describe('striker', () => {
  it('parks: rest, wait travel, pulses off', async () => {
    const servo = createSimulatedServo();
    const steps: (string | number)[] = [];
    servo.events.on('pulse', ({ us }) => steps.push(us));
    const striker = createStriker({ servo, motion, sleep: async (ms) => void steps.push(`wait ${ms}`) });
    await striker.park();
    expect(steps).toEqual([1500, 'wait 150', 0]);
  });

  it('strikes: strike, wait travel + hold, rest, wait travel, pulses off', async () => {
    const servo = createSimulatedServo();
    const steps: (string | number)[] = [];
    servo.events.on('pulse', ({ us }) => steps.push(us));
    const striker = createStriker({ servo, motion, sleep: async (ms) => void steps.push(`wait ${ms}`) });
    await striker.strike();
    expect(steps).toEqual([1050, 'wait 350', 1500, 'wait 150', 0]);
  });

  it('returns to rest and switches off even when the wait at the strike fails', async () => {
    const servo = createSimulatedServo();
    let calls = 0;
    const striker = createStriker({
      servo,
      motion,
      sleep: async () => {
        if (++calls === 1) throw new Error('timer broke');
      },
    });
    await expect(striker.strike()).rejects.toThrow('timer broke');
    expect(servo.pulses.map((p) => p.us)).toEqual([1050, 1500, 0]);
  });

  it('sleeps 0 ms without a timer: the strike finishes before any timer fires', async () => {
    const servo = createSimulatedServo();
    let timerFired = false;
    setTimeout(() => (timerFired = true), 0);
    await createStriker({ servo, motion: { ...motion, travelMs: 0, holdMs: 0 }, sleep: realSleep }).strike();
    expect(timerFired).toBe(false);
    expect(servo.pulses.map((p) => p.us)).toEqual([1050, 1500, 0]);
  });
});
