// Servo through the pigpio daemon (pigpiod) over its TCP socket with npm `pigpio-client`: no root, no native module.
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import net from 'node:net';
import { silentLogger, withTimeout, type Logger } from '../../contract/index.ts';
import { checkPulseWidth, PULSE_OFF, ServoClosedError, type Servo } from './servo.ts';

/** The part of a `pigpio-client` instance this driver uses (the package ships no types). */
export interface PigpioClient {
  on(event: 'connected' | 'disconnected' | 'error', listener: (arg: unknown) => void): unknown;
  gpio(gpio: number): { setServoPulsewidth(us: number): Promise<unknown> };
  end(cb?: () => void): void;
  destroy(): void;
}
export type PigpioClientFactory = (opts: { host: string; port: number; timeout: number }) => PigpioClient;

export class PigpiodUnreachableError extends Error {
  constructor(where: string, reason: string) {
    super(
      `cannot reach pigpiod at ${where} (${reason}); is the daemon running (systemctl status pigpiod) and listening ` +
        'there (BONKER_PIGPIOD_HOST / BONKER_PIGPIOD_PORT)?',
    );
    this.name = 'PigpiodUnreachableError';
  }
}

export interface PigpiodServo extends Servo {
  /** 'connected' and 'disconnected' (reason) as the daemon comes and goes. */
  readonly events: EventEmitter;
}

export interface PigpiodOptions {
  gpio: number;
  host?: string;
  port?: number;
  logger?: Logger;
  /** Delay between reconnection attempts after the daemon went away. */
  reconnectMs?: number;
  /** A command or a connection attempt taking longer than this fails. */
  timeoutMs?: number;
  createClient?: PigpioClientFactory;
}

const loadPigpioClient: PigpioClientFactory = (opts) => {
  // Loaded lazily so only this driver pays for it; CommonJS without types, hence require and the interface above.
  const { pigpio } = createRequire(import.meta.url)('pigpio-client') as { pigpio: PigpioClientFactory };
  return pigpio(opts);
};

/** True when something accepts TCP connections there; used before pigpio-client, which logs to the console on refusal. */
export function canConnect(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export async function createPigpiodServo(opts: PigpiodOptions): Promise<PigpiodServo> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? 8888;
  const where = `${host}:${port}`;
  const logger = opts.logger ?? silentLogger;
  const timeoutMs = opts.timeoutMs ?? 3_000;
  const reconnectMs = opts.reconnectMs ?? 2_000;
  const createClient = opts.createClient ?? loadPigpioClient;
  const events = new EventEmitter();
  let link: Link | undefined;
  let connecting: Promise<Link> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let closing: Promise<void> | undefined;

  const lost = (reason: string) => {
    link = undefined;
    logger.warn({ pigpiod: where, reason, retryInMs: reconnectMs }, 'pigpiod connection lost');
    events.emit('disconnected', reason);
    scheduleReconnect();
  };
  const scheduleReconnect = () => {
    if (closed || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      ensureLink().catch(() => scheduleReconnect());
    }, reconnectMs);
    timer.unref();
  };
  const ensureLink = (): Promise<Link> => {
    if (link) return Promise.resolve(link);
    connecting ??= openLink({ host, port, gpio: opts.gpio, timeoutMs, createClient, onLost: lost }).then(
      (opened) => {
        connecting = undefined;
        if (closed) {
          opened.end();
          throw new ServoClosedError('pigpiod');
        }
        link = opened;
        logger.info({ pigpiod: where, gpio: opts.gpio }, 'connected to pigpiod');
        events.emit('connected');
        return opened;
      },
      (error: unknown) => {
        connecting = undefined;
        throw new PigpiodUnreachableError(where, error instanceof Error ? error.message : String(error));
      },
    );
    return connecting;
  };

  await ensureLink();
  return {
    driver: 'pigpiod',
    events,
    async setPulseWidth(us) {
      if (closed) throw new ServoClosedError('pigpiod');
      checkPulseWidth(us);
      // A bonk while disconnected tries at once: the daemon may be back before the reconnect timer fires.
      const current = await ensureLink();
      await current.servo(us);
    },
    close: () =>
      (closing ??= (async () => {
        closed = true;
        clearTimeout(timer);
        const current = link;
        link = undefined;
        if (!current) return;
        try {
          await current.servo(PULSE_OFF);
        } catch (error) {
          logger.warn({ err: error, pigpiod: where }, 'could not switch the servo pulses off');
        } finally {
          current.end();
        }
      })()),
  };
}

interface Link {
  servo(us: number): Promise<void>;
  end(): void;
}

/** One pigpio-client connection: resolves once both of its sockets are up; `onLost` fires once when it drops. */
async function openLink(deps: {
  host: string;
  port: number;
  gpio: number;
  timeoutMs: number;
  createClient: PigpioClientFactory;
  onLost: (reason: string) => void;
}): Promise<Link> {
  const { host, port, timeoutMs } = deps;
  if (!(await canConnect(host, port, timeoutMs))) throw new Error('connection refused or timed out');
  // timeout 0: pigpio-client neither retries nor drops on its own; this driver reconnects itself.
  const client = deps.createClient({ host, port, timeout: 0 });
  let alive = true;
  let dropped!: (error: Error) => void;
  const gone = new Promise<never>((_, reject) => (dropped = reject));
  gone.catch(() => {});
  const drop = (reason: string) => {
    if (!alive) return;
    alive = false;
    client.destroy();
    dropped(new Error(`pigpiod connection lost: ${reason}`));
    deps.onLost(reason);
  };
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      client.on('connected', () => resolve());
      client.on('error', (error) => (alive ? reject(asError(error)) : undefined));
    }),
    timeoutMs,
    () => new Error('pigpiod did not answer the connection handshake'),
  ).catch((error: unknown) => {
    alive = false;
    client.destroy();
    throw error;
  });
  client.on('disconnected', (reason) => drop(String(reason)));
  client.on('error', (error) => drop(asError(error).message));
  const pin = client.gpio(deps.gpio);
  return {
    async servo(us) {
      if (!alive) throw new Error('pigpiod connection lost');
      // pigpio-client never settles a request whose socket died: race it against the drop and a deadline.
      const sent = Promise.race([pin.setServoPulsewidth(us), gone]);
      try {
        await withTimeout(sent, timeoutMs, () => new Error(`pigpiod did not answer SERVO ${deps.gpio} ${us} in time`));
      } catch (error) {
        const code = (error as { code?: string }).code;
        const why = `${asError(error).message}${code?.startsWith('PI_BAD') ? ` (${code})` : ''}`;
        throw new Error(`pigpiod SERVO ${deps.gpio} ${us} µs failed: ${why}`, { cause: error });
      }
    },
    end() {
      alive = false;
      client.end();
    },
  };
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(typeof value === 'string' ? value : JSON.stringify(value));
}
