// The pigpiod driver against a stand-in daemon on loopback: exact frames, errors, and a daemon restart.
import { afterEach, describe, expect, it } from 'vitest';
import { waitForEvent } from '../../test/helpers/wait.ts';
import { PIGPIO_CMD, startFakePigpiod, type FakePigpiod } from '../../test/helpers/fake-pigpiod.ts';
import { createPigpiodServo, PigpiodUnreachableError, type PigpiodServo } from './pigpiod.ts';
import { describeServoContract } from '../../test/helpers/servo-contract.ts';

const daemons: FakePigpiod[] = [];
const servos: PigpiodServo[] = [];
const daemon = async (port?: number) => {
  const started = await startFakePigpiod({ port });
  daemons.push(started);
  return started;
};
const open = async (fake: FakePigpiod, gpio = 18) => {
  const servo = await createPigpiodServo({ gpio, port: fake.port, reconnectMs: 50, timeoutMs: 2_000 });
  servos.push(servo);
  return servo;
};
afterEach(async () => {
  await Promise.all(servos.splice(0).map((s) => s.close()));
  await Promise.all(daemons.splice(0).map((d) => d.stop()));
});

describeServoContract('pigpiod (stand-in daemon on loopback)', async () => {
  const fake = await daemon();
  const servo = await open(fake);
  return { servo, written: () => fake.servoWidths(18) };
});

describe('pigpiod servo driver', () => {
  it('sends exactly the SERVO frames (cmd 8, gpio, width) after pigpio-client\'s handshake', async () => {
    const fake = await daemon();
    const servo = await open(fake, 12);
    await servo.setPulseWidth(1500);
    await servo.setPulseWidth(1050);
    await servo.close();
    const servoFrames = fake.frames.filter((f) => f.cmd === PIGPIO_CMD.SERVO);
    expect(servoFrames).toEqual([
      { cmd: 8, p1: 12, p2: 1500, p3: 0 },
      { cmd: 8, p1: 12, p2: 1050, p3: 0 },
      { cmd: 8, p1: 12, p2: 0, p3: 0 },
    ]);
    // The handshake pigpio-client performs on connect; nothing else is sent.
    const others = new Set(fake.frames.filter((f) => f.cmd !== PIGPIO_CMD.SERVO).map((f) => f.cmd));
    expect([...others].sort((a, b) => a - b)).toEqual([PIGPIO_CMD.HWVER, PIGPIO_CMD.PIGPV, PIGPIO_CMD.NOIB, PIGPIO_CMD.EVM]);
  });

  it('fails to open, saying why and where, when no daemon listens', async () => {
    const fake = await daemon();
    const port = fake.port;
    await fake.stop();
    const opening = createPigpiodServo({ gpio: 18, port, timeoutMs: 1_000 });
    await expect(opening).rejects.toThrow(PigpiodUnreachableError);
    await expect(opening).rejects.toThrow(new RegExp(`cannot reach pigpiod at 127\\.0\\.0\\.1:${port}.*systemctl status pigpiod`));
  });

  it('rejects a pulse the daemon refuses, with pigpio\'s reason', async () => {
    const fake = await daemon();
    const servo = await open(fake);
    fake.failServoWith = -7; // PI_BAD_PULSEWIDTH
    await expect(servo.setPulseWidth(1500)).rejects.toThrow(/pigpiod SERVO 18 1500 µs failed: .*pulsewidth.*\(PI_BAD_PULSEWIDTH\)/);
  });

  it('rejects pulses while the daemon is down, and reconnects when it is back on the same port', async () => {
    const first = await daemon();
    const servo = await open(first);
    await servo.setPulseWidth(1500);
    const disconnected = waitForEvent(servo.events, 'disconnected');
    await first.stop();
    await disconnected;
    await expect(servo.setPulseWidth(1200)).rejects.toThrow(/cannot reach pigpiod.*127\.0\.0\.1/);

    const reconnected = waitForEvent(servo.events, 'connected');
    const second = await daemon(first.port);
    await reconnected;
    await servo.setPulseWidth(1050);
    expect(first.servoWidths(18)).toEqual([1500]);
    expect(second.servoWidths(18)).toEqual([1050]);
  });

  it('fails a pulse that is in flight when the daemon dies, instead of hanging', async () => {
    const fake = await daemon();
    const servo = await open(fake);
    fake.hangOnServo = true;
    fake.events.on('frame', (frame: { cmd: number }) => {
      if (frame.cmd === PIGPIO_CMD.SERVO) void fake.stop();
    });
    await expect(servo.setPulseWidth(1500)).rejects.toThrow(/pigpiod SERVO 18 1500 µs failed: pigpiod connection lost/);
  });

  it('fails a pulse the daemon never answers, after the timeout', async () => {
    const fake = await daemon();
    const servo = await createPigpiodServo({ gpio: 18, port: fake.port, timeoutMs: 300 });
    servos.push(servo);
    fake.hangOnServo = true;
    await expect(servo.setPulseWidth(1500)).rejects.toThrow(/did not answer SERVO 18 1500 in time/);
  });
});
