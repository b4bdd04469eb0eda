// Hard pulse-width limits (BONKER_SERVO_MIN_US / MAX_US) enforced around any driver: every pulse passes through here.
import { checkPulseWidth, PULSE_OFF, type Servo } from './servo.ts';

export interface PulseLimits {
  minUs: number;
  maxUs: number;
}

export class PulseLimitError extends RangeError {
  constructor(us: number, limits: PulseLimits) {
    super(
      `servo pulse width ${us} µs is outside the configured hard limits ${limits.minUs}-${limits.maxUs} µs ` +
        '(BONKER_SERVO_MIN_US / BONKER_SERVO_MAX_US)',
    );
    this.name = 'PulseLimitError';
  }
}

/** 0 (off) always passes; anything else must lie within the limits, or nothing reaches the driver. */
export function withPulseLimits(servo: Servo, limits: PulseLimits): Servo {
  return {
    driver: servo.driver,
    async setPulseWidth(us) {
      checkPulseWidth(us);
      if (us !== PULSE_OFF && (us < limits.minUs || us > limits.maxUs)) throw new PulseLimitError(us, limits);
      await servo.setPulseWidth(us);
    },
    close: () => servo.close(),
  };
}
