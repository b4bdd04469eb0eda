// A TCP front for a broker whose behaviour a test switches: up, refusing publishes, down (closed port), or silent.
// It lets one long-running edge (a wrangler dev) meet every broker behaviour of the shared case table for real.
import net from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * up: piped to `brokers.up`.  refuses: piped to `brokers.refuses` (a broker that closes on a bonk publish).
 * down: every connection is reset at once (the port stays ours: closed, another test's server could take it and answer
 * for the broker).  hangs: connections are accepted and never answered, and open
 * ones stop forwarding (so a client connected earlier sees its broker go silent).
 */
export type FrontMode = 'up' | 'refuses' | 'down' | 'hangs';

export interface BrokerFront {
  url: string;
  port: number;
  mode(): FrontMode;
  setMode(mode: FrontMode): Promise<void>;
  close(): Promise<void>;
}

export async function startBrokerFront(brokers: { up: number; refuses: number }): Promise<BrokerFront> {
  let current: FrontMode = 'up';
  const open = new Set<{ client: net.Socket; upstream?: net.Socket }>();
  const server = net.createServer((client) => {
    const link: { client: net.Socket; upstream?: net.Socket } = { client };
    open.add(link);
    client.on('error', () => {});
    client.once('close', () => {
      link.upstream?.destroy();
      open.delete(link);
    });
    if (current === 'down') return void client.resetAndDestroy();
    if (current === 'hangs') return;
    const upstream = net.connect(current === 'refuses' ? brokers.refuses : brokers.up, '127.0.0.1');
    link.upstream = upstream;
    upstream.on('error', () => client.destroy());
    upstream.once('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(0);
  const port = (server.address() as AddressInfo).port;
  const destroyAll = () => {
    for (const { client, upstream } of open) {
      client.destroy();
      upstream?.destroy();
    }
  };
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    mode: () => current,
    async setMode(mode) {
      if (mode === current) return;
      if (mode === 'down') destroyAll();
      if (mode === 'hangs') {
        for (const { client, upstream } of open) {
          client.unpipe();
          upstream?.unpipe();
          client.resume(); // swallow what arrives
        }
      }
      if (mode === 'up' || mode === 'refuses') destroyAll(); // links made in another mode go elsewhere
      current = mode;
    },
    async close() {
      destroyAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      current = 'down';
    },
  };
}
