// What `oom-bonker calibrate` may do with the device's servo, and nothing more: move it within the hard limits, try a
// strike with trial positions, and let go. The CLI keeps the keys and the settings file; the device keeps the servo.
import type { Logger } from '../contract/index.ts';
import type { DeviceConfig, Motion } from './config.ts';
import { createServo } from './servo/index.ts';
import { createStriker } from './strike.ts';

export interface Calibration {
  /** The driver moving the servo, for the operator to see (simulated moves nothing). */
  readonly driver: string;
  readonly limits: { minUs: number; maxUs: number };
  /** Moves to `us`, held within the limits; resolves with the position reached. */
  moveTo(us: number): Promise<number>;
  /** One strike with these positions and hold time, then back to rest and the pulses off. */
  tryStrike(trial: Pick<Motion, 'restUs' | 'strikeUs' | 'holdMs'>): Promise<void>;
  close(): Promise<void>;
}

export async function openCalibration(config: DeviceConfig, logger: Logger): Promise<Calibration> {
  const servo = await createServo(config, logger);
  const { minUs, maxUs } = config.servo;
  return {
    driver: servo.driver,
    limits: { minUs, maxUs },
    async moveTo(us) {
      const target = Math.min(maxUs, Math.max(minUs, us));
      await servo.setPulseWidth(target);
      return target;
    },
    tryStrike: (trial) => createStriker({ servo, motion: { ...config.motion, ...trial } }).strike(),
    close: () => servo.close(),
  };
}
