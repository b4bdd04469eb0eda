// The one interface every servo driver implements: pulse widths in microseconds, 0 switches the pulses off.

export interface Servo {
  /** Which driver this is, for logs (`simulated`, `pigpio`). */
  readonly driver: string;
  /** 0 = pulses off (the servo goes limp), otherwise 500..2500 µs at 50 Hz. Rejects other values and after close. */
  setPulseWidth(us: number): Promise<void>;
  /** Switches the pulses off and releases the hardware; idempotent. */
  close(): Promise<void>;
}

export const PULSE_OFF = 0;
export const MIN_PULSE_US = 500;
export const MAX_PULSE_US = 2500;

/** Throws a RangeError naming the accepted values; drivers call it before touching hardware. */
export function checkPulseWidth(us: number): void {
  if (us === PULSE_OFF) return;
  if (!Number.isInteger(us) || us < MIN_PULSE_US || us > MAX_PULSE_US) {
    throw new RangeError(
      `servo pulse width ${us} µs is out of range: expected ${PULSE_OFF} (off) or a whole number ${MIN_PULSE_US}-${MAX_PULSE_US}`,
    );
  }
}

export class ServoClosedError extends Error {
  constructor(driver: string) {
    super(`${driver} servo is closed; no more pulses can be written`);
    this.name = 'ServoClosedError';
  }
}
