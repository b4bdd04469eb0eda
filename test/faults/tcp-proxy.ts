// A loopback TCP proxy a test can cut: destroys the live connections under the client and refuses new ones meanwhile.
import { EventEmitter } from 'node:events';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpProxy {
  url: string;
  /** 'attempt' (at: number) for every connection the client opens, 'cut' when cut() ran. */
  events: EventEmitter;
  /** When each connection attempt arrived (ms since epoch). */
  attempts: number[];
  /** From now on bytes from the client are dropped (a PUBACK lost on the way), until cut(). */
  muteClient(): void;
  /** Destroys every proxied socket pair; until heal(), new connections are accepted and dropped at once. */
  cut(): void;
  heal(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const events = new EventEmitter();
  const attempts: number[] = [];
  const pairs = new Set<[net.Socket, net.Socket]>();
  let blocked = false;
  let muted = false;
  const server = net.createServer((client) => {
    attempts.push(Date.now());
    events.emit('attempt', attempts.at(-1));
    // Accept-then-drop is what a client sees when the path to the broker is gone but its own network is up.
    if (blocked) return void client.destroy();
    const upstream = net.connect(targetPort, targetHost);
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    const teardown = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const socket of pair) socket.on('error', teardown).on('close', teardown);
    client.on('data', (chunk: Buffer) => void (muted || upstream.write(chunk)));
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const destroyAll = () => {
    for (const [client, upstream] of [...pairs]) {
      client.destroy();
      upstream.destroy();
    }
  };
  return {
    url: `mqtt://127.0.0.1:${port}`,
    events,
    attempts,
    muteClient() {
      muted = true;
    },
    cut() {
      blocked = true;
      muted = false;
      destroyAll();
      events.emit('cut');
    },
    heal() {
      blocked = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        destroyAll();
      }),
  };
}
