// One limit on open sockets, shared by the MQTT TCP, TLS and WebSocket listeners: each client costs aedes ~55 KiB.
//
// When the budget is full, a new socket takes the place of the oldest one that has not logged in yet (no CONNECT
// accepted), rather than being turned away: otherwise a flood of sockets that never send a byte would lock every real
// client out until the CONNECT deadline frees their slots. A logged-in client is never evicted; only when every
// socket has logged in is a new one refused.
import type { Socket } from 'node:net';

export type BudgetRefusal = 'full' | 'evicted';

export interface ConnectionBudget {
  /** Counts `socket` until it closes; over the limit, evicts the oldest socket not logged in, or refuses this one. */
  admit(socket: Socket): boolean;
  /** The socket at this remote address and port logged in: it keeps its place. */
  loggedIn(remote: { remoteAddress?: string | undefined; remotePort?: number | undefined }): void;
  readonly open: number;
}

const keyOf = (remote: { remoteAddress?: string | undefined; remotePort?: number | undefined }) =>
  `${remote.remoteAddress}|${remote.remotePort}`;

export function createConnectionBudget(max: number, onRefused: (socket: Socket, why: BudgetRefusal) => void): ConnectionBudget {
  let open = 0;
  // Sockets not logged in yet, oldest first (a Map keeps insertion order), by remote address and port: the one key
  // a raw socket, its TLS socket and the WebSocket request on it all report.
  const waiting = new Map<string, Socket>();
  const close = (socket: Socket, why: BudgetRefusal) => {
    onRefused(socket, why); // first: a destroyed socket no longer knows its remote address
    socket.destroy();
  };
  return {
    get open() {
      return open;
    },
    admit(socket) {
      if (open >= max) {
        const oldest = waiting.entries().next().value;
        if (!oldest) {
          close(socket, 'full');
          return false;
        }
        waiting.delete(oldest[0]);
        close(oldest[1], 'evicted');
      }
      open++;
      const key = keyOf(socket);
      waiting.set(key, socket);
      socket.once('close', () => {
        open--;
        if (waiting.get(key) === socket) waiting.delete(key);
      });
      return true;
    },
    loggedIn(remote) {
      waiting.delete(keyOf(remote));
    },
  };
}
