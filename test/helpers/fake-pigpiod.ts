// A stand-in pigpiod for tests: speaks pigpio's socket protocol on loopback and records every command frame.
// Protocol (pigpio's pigs/socket docs): 16-byte requests cmd, p1, p2, p3 as little-endian uint32; the reply echoes
// cmd, p1, p2 and carries the result in p3. pigpio-client opens two sockets: commands, and notifications (NOIB).
import { EventEmitter } from 'node:events';
import net from 'node:net';

export const PIGPIO_CMD = { MODES: 0, SERVO: 8, HWVER: 17, PIGPV: 26, NOIB: 99, EVM: 115 } as const;

export interface Frame {
  cmd: number;
  p1: number;
  p2: number;
  p3: number;
}

export interface FakePigpiod {
  readonly port: number;
  /** Every frame received, in order, from all connections. */
  readonly frames: Frame[];
  /** 'frame' (Frame) for each command, 'connection' for each socket accepted. */
  readonly events: EventEmitter;
  /** SERVO pulse widths received for `gpio`, in order. */
  servoWidths(gpio: number): number[];
  /** Answer SERVO with this pigpio error code (negative), e.g. -8 PI_BAD_PULSEWIDTH; undefined = succeed. */
  failServoWith: number | undefined;
  /** Never answer SERVO (a hung daemon). */
  hangOnServo: boolean;
  /** Stops like a killed daemon: closes every connection and the listener. */
  stop(): Promise<void>;
}

/** Raspberry Pi 3 B revision code: pigpio-client derives the usable GPIO mask from it. */
const HW_REVISION = 0xa02082;
const PIGPIO_VERSION = 79;

export async function startFakePigpiod(opts: { port?: number } = {}): Promise<FakePigpiod> {
  const frames: Frame[] = [];
  const events = new EventEmitter();
  const sockets = new Set<net.Socket>();
  let nextHandle = 0;
  const fake: FakePigpiod = {
    port: 0,
    frames,
    events,
    failServoWith: undefined,
    hangOnServo: false,
    servoWidths: (gpio) => frames.filter((f) => f.cmd === PIGPIO_CMD.SERVO && f.p1 === gpio).map((f) => f.p2),
    stop: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  const answer = (frame: Frame): number => {
    switch (frame.cmd) {
      case PIGPIO_CMD.HWVER:
        return HW_REVISION;
      case PIGPIO_CMD.PIGPV:
        return PIGPIO_VERSION;
      case PIGPIO_CMD.NOIB:
        return nextHandle++;
      case PIGPIO_CMD.SERVO:
        return fake.failServoWith ?? 0;
      default:
        return 0;
    }
  };
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 16) {
        const frame = {
          cmd: pending.readUInt32LE(0),
          p1: pending.readUInt32LE(4),
          p2: pending.readUInt32LE(8),
          p3: pending.readUInt32LE(12),
        };
        pending = pending.subarray(16);
        frames.push(frame);
        events.emit('frame', frame);
        if (fake.hangOnServo && frame.cmd === PIGPIO_CMD.SERVO) continue;
        const reply = Buffer.alloc(16);
        reply.writeUInt32LE(frame.cmd, 0);
        reply.writeUInt32LE(frame.p1, 4);
        reply.writeUInt32LE(frame.p2, 8);
        reply.writeInt32LE(answer(frame) | 0, 12);
        socket.write(reply);
      }
    });
    events.emit('connection');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  Object.assign(fake, { port: (server.address() as net.AddressInfo).port });
  return fake;
}
