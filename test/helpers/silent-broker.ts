// A broker that accepts the connection and then never confirms a publish: CONNACK, SUBACK and PINGRESP are answered,
// a PUBLISH is counted and left without PUBREC. Raw TCP on loopback, every packet written with mqtt-packet.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import mqttPacket, { type Packet } from 'mqtt-packet';

export interface SilentBroker {
  url: string;
  port: number;
  /** Topics of the PUBLISH packets received (never answered). */
  published: string[];
  close(): Promise<void>;
}

export async function startSilentBroker(): Promise<SilentBroker> {
  const published: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    const send = (packet: Packet) => socket.write(mqttPacket.generate(packet));
    parser.on('packet', (packet: Packet) => {
      if (packet.cmd === 'connect') send({ cmd: 'connack', returnCode: 0, sessionPresent: false });
      if (packet.cmd === 'subscribe') send({ cmd: 'suback', messageId: packet.messageId, granted: packet.subscriptions.map((s) => s.qos) });
      if (packet.cmd === 'pingreq') send({ cmd: 'pingresp' });
      if (packet.cmd === 'publish') published.push(packet.topic);
    });
    parser.on('error', () => socket.destroy());
    socket.on('data', (chunk) => parser.parse(chunk));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    published,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
