// A servo that only records its pulses: the default driver off the Pi, and what tests inspect.
import { EventEmitter } from 'node:events';
import { silentLogger, type Logger } from '../../contract/index.ts';
import { checkPulseWidth, PULSE_OFF, ServoClosedError, type Servo } from './servo.ts';

export interface Pulse {
  at: number;
  us: number;
}

export interface SimulatedServo extends Servo {
  readonly pulses: Pulse[];
  /** 'pulse' ({ at, us }) for every width written. */
  readonly events: EventEmitter;
}

export function createSimulatedServo(opts: { now?: () => number; logger?: Logger } = {}): SimulatedServo {
  const now = opts.now ?? Date.now;
  const logger = opts.logger ?? silentLogger;
  const pulses: Pulse[] = [];
  const events = new EventEmitter();
  let closed = false;
  let current = PULSE_OFF;

  const record = (us: number) => {
    const pulse = { at: now(), us };
    pulses.push(pulse);
    current = us;
    // Cross-process tests follow these lines to see the servo move.
    logger.debug({ us }, 'servo pulse');
    events.emit('pulse', pulse);
  };

  return {
    driver: 'simulated',
    pulses,
    events,
    async setPulseWidth(us) {
      if (closed) throw new ServoClosedError('simulated');
      checkPulseWidth(us);
      record(us);
    },
    async close() {
      if (closed) return;
      closed = true;
      // Like the hardware driver: a closed servo is never left pulsing.
      if (current !== PULSE_OFF) record(PULSE_OFF);
    },
  };
}
