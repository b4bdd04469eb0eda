// The strike motion: swing to the strike width, hold, swing back to rest, then switch the pulses off.
import type { Motion } from './config.ts';
import { PULSE_OFF, type Servo } from './servo/servo.ts';

export type Sleep = (ms: number) => Promise<void>;

// No timer for 0 ms (BONKER_SERVO_TRAVEL_MS=0 in benchmarks): even setTimeout(0) waits a full event-loop turn (~1 ms).
export const realSleep: Sleep = (ms) => (ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms)));

export interface Striker {
  /** Rest, wait for the horn to get there, pulses off. */
  park(): Promise<void>;
  /** One full strike; always ends parked with the pulses off, never holding against the figurine. */
  strike(): Promise<void>;
}

export function createStriker({ servo, motion, sleep = realSleep }: { servo: Servo; motion: Motion; sleep?: Sleep }): Striker {
  const park = async () => {
    await servo.setPulseWidth(motion.restUs);
    await sleep(motion.travelMs);
    // Holding a position hums, heats and stalls the servo; the original detached after every move.
    await servo.setPulseWidth(PULSE_OFF);
  };
  return {
    park,
    async strike() {
      try {
        await servo.setPulseWidth(motion.strikeUs);
        await sleep(motion.travelMs + motion.holdMs);
      } finally {
        await park();
      }
    },
  };
}
