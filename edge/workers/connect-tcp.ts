// The Worker's TCP connector: cloudflare:sockets, as both the per-request publisher and the Durable Object use it.
import { connect } from 'cloudflare:sockets';
import type { SocketConnector } from './publisher.ts';

export const connectTcp: SocketConnector = ({ hostname, port, tls }) =>
  connect({ hostname, port }, { secureTransport: tls ? 'on' : 'off', allowHalfOpen: false });
