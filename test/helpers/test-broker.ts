// A bare in-memory Aedes on a loopback port 0, for tests of parts that only need some broker to talk to.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Aedes } from 'aedes';

export interface TestBroker {
  aedes: Aedes;
  port: number;
  url: string;
  close(): Promise<void>;
}

/** `options` reach Aedes as they are, e.g. an authorizePublish that refuses. */
export async function startTestBroker(options: Parameters<typeof Aedes.createBroker>[0] = {}): Promise<TestBroker> {
  const aedes = await Aedes.createBroker(options);
  const server = net.createServer(aedes.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    aedes,
    port,
    url: `mqtt://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        aedes.close();
      }),
  };
}
