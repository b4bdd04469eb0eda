// The simulated servo: the shared driver contract plus its recording and logging.
import { describe, expect, it } from 'vitest';
import { silentLogger, type Logger } from '../../contract/index.ts';
import { describeServoContract } from '../../test/helpers/servo-contract.ts';
import { createSimulatedServo } from './simulated.ts';

describeServoContract('simulated', async () => {
  const servo = createSimulatedServo();
  return { servo, written: () => servo.pulses.map((p) => p.us) };
});

describe('simulated servo', () => {
  it('timestamps each pulse with the injected clock, emits it and logs it at debug', async () => {
    let clock = 100;
    const lines: [object, string?][] = [];
    const logger: Logger = { ...silentLogger, debug: ((obj: object, msg?: string) => void lines.push([obj, msg])) as Logger['debug'] };
    const servo = createSimulatedServo({ now: () => clock, logger });
    const emitted: unknown[] = [];
    servo.events.on('pulse', (pulse) => emitted.push(pulse));
    await servo.setPulseWidth(1500);
    clock = 250;
    await servo.setPulseWidth(0);
    expect(servo.pulses).toEqual([{ at: 100, us: 1500 }, { at: 250, us: 0 }]);
    expect(emitted).toEqual(servo.pulses);
    expect(lines).toEqual([[{ us: 1500 }, 'servo pulse'], [{ us: 0 }, 'servo pulse']]);
  });

  it('adds no pulse on close when it is already off', async () => {
    const servo = createSimulatedServo();
    await servo.setPulseWidth(0);
    await servo.close();
    expect(servo.pulses.map((p) => p.us)).toEqual([0]);
  });
});
