// One limit on open sockets, shared by the MQTT TCP, TLS and WebSocket listeners: each client costs aedes ~55 KiB.
import type { Socket } from 'node:net';

export interface ConnectionBudget {
  /** Counts `socket` until it closes; over the limit, destroys it at once and returns false. */
  admit(socket: Socket): boolean;
  readonly open: number;
}

export function createConnectionBudget(max: number, onRefused: (socket: Socket) => void): ConnectionBudget {
  let open = 0;
  return {
    get open() {
      return open;
    },
    admit(socket) {
      if (open >= max) {
        onRefused(socket); // first: a destroyed socket no longer knows its remote address
        socket.destroy();
        return false;
      }
      open++;
      socket.once('close', () => open--);
      return true;
    },
  };
}
