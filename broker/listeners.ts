// The broker's sockets: MQTT over TCP, WebSocket and TLS behind the resource limits, and HTTP for /healthz and /metrics.
import { readFile } from 'node:fs/promises';
import http, { type IncomingMessage } from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import type { Aedes } from 'aedes';
import type { Registry } from 'prom-client';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { BrokerConfig, BrokerLimits } from './config.ts';
import { createConnectionBudget, type ConnectionBudget } from './connection-budget.ts';
import type { LimitRefusals } from './limit-refusals.ts';
import { guardPacketSizes, type PacketSizeGuard } from './packet-size-guard.ts';

export interface Listener {
  name: 'mqtt' | 'ws' | 'tls' | 'http';
  port: number;
  close(): Promise<void>;
}

export interface ListenerDeps {
  registry: Registry;
  refusals: LimitRefusals;
  /** For /readyz: undefined when the broker can take bonks, else why not. */
  notReady(): string | undefined;
}

/** What every MQTT listener shares: the limits, one connection budget, and the hand-over to aedes. */
interface Mqtt {
  limits: BrokerLimits;
  budget: ConnectionBudget;
  refusals: LimitRefusals;
  serve(stream: Duplex, remoteAddress: string | undefined, req?: IncomingMessage): PacketSizeGuard;
}

/** Starts the listeners the config asks for; if one fails, the ones already started are closed again. */
export async function startListeners(config: BrokerConfig, aedes: Aedes, { registry, refusals, notReady }: ListenerDeps): Promise<Listener[]> {
  const { limits } = config;
  const budget = createConnectionBudget(limits.maxConnections, (socket, why) =>
    refusals.refused('connections', { remoteAddress: socket.remoteAddress, maxConnections: limits.maxConnections, cut: why }),
  );
  // aedes emits 'client' once a CONNECT is accepted (authenticated); WebSocket clients carry their HTTP request.
  aedes.on('client', (client) => {
    const { req, conn } = client as unknown as { req?: IncomingMessage; conn: Partial<net.Socket> };
    budget.loggedIn(req?.socket ?? conn);
  });
  const serve: Mqtt['serve'] = (stream, remoteAddress, req) =>
    guardPacketSizes(stream, aedes.handle(stream, req), limits, (refusal, receivedBytes) =>
      refusals.refused(refusal.limit, { remoteAddress, ...refusal, receivedBytes }),
    );
  const mqtt: Mqtt = { limits, budget, refusals, serve };
  const started: Listener[] = [];
  const plan: [boolean, () => Promise<Listener>][] = [
    [true, () => listenMqtt(mqtt, config.host, config.mqttPort)],
    [config.wsPort !== undefined, () => listenWebSocket(mqtt, config.host, config.wsPort!)],
    [config.tls !== undefined, () => listenTls(mqtt, config.host, config.tls!)],
    [config.httpPort !== undefined, () => listenHttp(registry, notReady, config.host, config.httpPort!)],
  ];
  try {
    for (const [wanted, start] of plan) if (wanted) started.push(await start());
    return started;
  } catch (error) {
    await Promise.all(started.map((listener) => listener.close()));
    throw error;
  }
}

// Nagle would hold the first small packets of a connection up to 40 ms (docs/mqtt-clients.md); a bonk is a small one.
const noDelay = (socket: net.Socket) => socket.setNoDelay(true);

function listenMqtt(mqtt: Mqtt, host: string, port: number): Promise<Listener> {
  const server = net.createServer((socket) => {
    if (socket.destroyed) return; // over the connection budget
    noDelay(socket);
    mqtt.serve(socket, socket.remoteAddress);
  });
  return listen('mqtt', server, host, port, mqtt.budget);
}

async function listenTls(mqtt: Mqtt, host: string, settings: NonNullable<BrokerConfig['tls']>): Promise<Listener> {
  const [cert, key] = await Promise.all([readFile(settings.certPath), readFile(settings.keyPath)]);
  const handshakeTimeout = mqtt.limits.connectTimeoutMs;
  const server = tls.createServer({ cert, key, handshakeTimeout }, (socket) => {
    noDelay(socket);
    mqtt.serve(socket, socket.remoteAddress);
  });
  // Node only reports a handshake timeout (or any failed handshake) here and leaves the socket open: close it.
  server.on('tlsClientError', (error: NodeJS.ErrnoException, socket) => {
    if (error.code === 'ERR_TLS_HANDSHAKE_TIMEOUT') {
      mqtt.refusals.refused('connect_timeout', { remoteAddress: socket.remoteAddress, listener: 'tls', timeoutMs: handshakeTimeout });
    }
    socket.destroy();
  });
  return listen('tls', server, host, settings.port, mqtt.budget);
}

async function listenWebSocket(mqtt: Mqtt, host: string, port: number): Promise<Listener> {
  const timeoutMs = mqtt.limits.connectTimeoutMs;
  const server = http.createServer(
    // The upgrade request falls under the CONNECT deadline too; Node checks it every connectionsCheckingInterval.
    { headersTimeout: timeoutMs, requestTimeout: timeoutMs, connectionsCheckingInterval: Math.min(1_000, timeoutMs) },
    (_req, res) => res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket only\n'),
  );
  // With a listener here Node leaves the answer to us; this answers as Node would, and counts the timeouts.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex & Partial<net.Socket>) => {
    const timedOut = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    if (timedOut) mqtt.refusals.refused('connect_timeout', { remoteAddress: socket.remoteAddress, listener: 'ws', timeoutMs });
    const status = timedOut ? '408 Request Timeout' : error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    if (socket.writable) socket.write(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
    socket.destroy();
  });
  // ws buffers a whole message before the guard sees its first byte, and its default maxPayload is 100 MiB: a message
  // holds one packet at most (a packet limit includes its header), more only for a client batching small packets.
  const wss = new WebSocketServer({ server, maxPayload: mqtt.limits.maxPacketBytes });
  wss.on('connection', (socket, req) => {
    noDelay(req.socket);
    const remoteAddress = req.socket.remoteAddress;
    const stream = createWebSocketStream(socket);
    // A peer that vanishes makes the stream error; aedes closes the client on 'close' already.
    stream.on('error', () => stream.destroy());
    const guard = mqtt.serve(stream, remoteAddress, req);
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // A client that sends a packet in several messages may already have been cut by the guard for its header.
      if (error.code !== 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' || guard.refused) return;
      const limit = guard.pastConnect ? 'packet_size' : 'connect_size';
      mqtt.refusals.refused(limit, { remoteAddress, websocketMessageOver: mqtt.limits.maxPacketBytes, receivedBytes: guard.receivedBytes });
    });
  });
  const listener = await listen('ws', server, host, port, mqtt.budget);
  return {
    ...listener,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await listener.close();
    },
  };
}

/** /healthz: the process answers (liveness); /readyz: it can also store bonks (readiness); /metrics. */
function listenHttp(registry: Registry, notReady: ListenerDeps['notReady'], host: string, port: number): Promise<Listener> {
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://broker').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { allow: 'GET, HEAD' }).end();
    if (path === '/healthz') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    if (path === '/readyz') {
      const reason = notReady();
      return void res.writeHead(reason ? 503 : 200, { 'content-type': 'text/plain' }).end(reason ? `not ready: ${reason}\n` : 'ready\n');
    }
    if (path !== '/metrics') return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics failed\n'),
    );
  });
  return listen('http', server, host, port);
}

function listen(name: Listener['name'], server: net.Server, host: string, port: number, budget?: ConnectionBudget): Promise<Listener> {
  // First of the 'connection' listeners, so a socket over the budget is gone before TLS or HTTP spend anything on it.
  if (budget) server.prependListener('connection', (socket: net.Socket) => void budget.admit(socket));
  // Sockets that never sent CONNECT are not aedes clients; without tracking them close() would wait for their timeout.
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const close = () =>
        new Promise<void>((done) => {
          server.close(() => done());
          for (const socket of sockets) socket.destroy();
        });
      resolve({ name, port: (server.address() as AddressInfo).port, close });
    });
  });
}
