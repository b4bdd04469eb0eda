// Test support: what cloudflare:sockets' connect() gives a Worker, built from a Node TCP socket, so the workerd
// publishers' MQTT code can be tested in Node against a real broker.
import net from 'node:net';
import { Duplex } from 'node:stream';
import type { ByteSocket } from '../../edge/workers/mqtt-packet-session.ts';
import type { SocketConnector } from '../../edge/workers/publisher.ts';

export const connectNodeSocket: SocketConnector = ({ hostname, port }) => {
  const socket = net.connect(port, hostname);
  const { readable, writable } = Duplex.toWeb(socket) as unknown as Omit<ByteSocket, 'close'>;
  return { readable, writable, close: async () => void socket.destroy() };
};
