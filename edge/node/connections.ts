// The Node edge's connections: idle and expired keep-alive ones closed, their number capped, each closure counted.
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../../contract/index.ts';
import type { ConnectionCloseReason } from '../core/metrics.ts';

export interface ConnectionLimits {
  idleTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
}

/**
 * `server.timeout` gives every connection an inactivity timer; with a 'timeout' listener Node leaves the decision
 * here: a socket with a request in flight is kept (its answer may be waiting for the broker, and requestTimeout bounds
 * a slow upload), any other is closed. After each answer Node re-arms the same timer with keepAliveTimeout (plus a
 * second of its own), so an expired keep-alive connection arrives here too. Node 20 also times a connection that sends
 * nothing with headersTimeout (= BONKER_EDGE_REQUEST_TIMEOUT_MS here, checked once a connectionsCheckingInterval) and
 * answers it 408; whichever comes first closes it, and both are counted.
 */
export function guardConnections(
  server: Server,
  limits: ConnectionLimits,
  closed: (reason: ConnectionCloseReason) => void,
  logger: Logger,
): void {
  const inFlight = new WeakMap<Socket, number>();
  const answered = new WeakSet<Socket>();
  server.timeout = limits.idleTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.maxConnections = limits.maxConnections;
  server.on('connection', (socket: Socket) => {
    // Node's own 408 (headers or body not complete in time) destroys the socket with this error.
    socket.on('error', (error: Error & { code?: string }) => {
      if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') closed('request_timeout');
    });
  });
  server.on('request', (request, response) => {
    const socket = request.socket;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    response.once('close', () => {
      inFlight.set(socket, (inFlight.get(socket) ?? 1) - 1);
      answered.add(socket);
    });
  });
  server.on('timeout', (socket: Socket) => {
    if ((inFlight.get(socket) ?? 0) > 0) return;
    const reason = answered.has(socket) ? 'keepalive' : 'idle';
    closed(reason);
    logger.debug({ reason, remote: socket.remoteAddress }, 'closing a connection with no request in flight');
    socket.destroy();
  });
  // Node closes a connection over maxConnections as soon as it is accepted and tells only through 'drop'.
  server.on('drop', (peer?: { remoteAddress?: string }) => {
    closed('limit');
    const where = { remote: peer?.remoteAddress, max: limits.maxConnections };
    logger.debug(where, 'refused a connection over BONKER_EDGE_MAX_CONNECTIONS');
  });
}
