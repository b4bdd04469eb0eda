// The broker's sockets: MQTT over TCP, WebSocket and TLS, and the HTTP server for /healthz and /metrics.
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import type { Aedes } from 'aedes';
import type { Registry } from 'prom-client';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { BrokerConfig } from './config.ts';

export interface Listener {
  name: 'mqtt' | 'ws' | 'tls' | 'http';
  port: number;
  close(): Promise<void>;
}

/** Starts the listeners the config asks for; if one fails, the ones already started are closed again. */
export async function startListeners(config: BrokerConfig, aedes: Aedes, registry: Registry): Promise<Listener[]> {
  const started: Listener[] = [];
  const plan: [boolean, () => Promise<Listener>][] = [
    [true, () => listenMqtt(aedes, config.host, config.mqttPort)],
    [config.wsPort !== undefined, () => listenWebSocket(aedes, config.host, config.wsPort!)],
    [config.tls !== undefined, () => listenTls(aedes, config.host, config.tls!)],
    [config.httpPort !== undefined, () => listenHttp(registry, config.host, config.httpPort!)],
  ];
  try {
    for (const [wanted, start] of plan) if (wanted) started.push(await start());
    return started;
  } catch (error) {
    await Promise.all(started.map((listener) => listener.close()));
    throw error;
  }
}

// Nagle would hold the first small packets of a connection for up to 40 ms (FACTS.md); a bonk is a small packet.
const noDelay = (socket: net.Socket) => socket.setNoDelay(true);

function listenMqtt(aedes: Aedes, host: string, port: number): Promise<Listener> {
  const server = net.createServer((socket) => {
    noDelay(socket);
    aedes.handle(socket);
  });
  return listen('mqtt', server, host, port);
}

async function listenTls(aedes: Aedes, host: string, settings: NonNullable<BrokerConfig['tls']>): Promise<Listener> {
  const [cert, key] = await Promise.all([readFile(settings.certPath), readFile(settings.keyPath)]);
  const server = tls.createServer({ cert, key }, (socket) => {
    noDelay(socket);
    aedes.handle(socket);
  });
  return listen('tls', server, host, settings.port);
}

async function listenWebSocket(aedes: Aedes, host: string, port: number): Promise<Listener> {
  const server = http.createServer((_req, res) => res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket only\n'));
  const wss = new WebSocketServer({ server });
  wss.on('connection', (socket, req) => {
    noDelay(req.socket);
    const stream = createWebSocketStream(socket);
    // A peer that vanishes makes the stream error; aedes closes the client on 'close' already.
    stream.on('error', () => stream.destroy());
    aedes.handle(stream, req);
  });
  const listener = await listen('ws', server, host, port);
  return {
    ...listener,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await listener.close();
    },
  };
}

function listenHttp(registry: Registry, host: string, port: number): Promise<Listener> {
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://broker').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { allow: 'GET, HEAD' }).end();
    if (path === '/healthz') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    if (path !== '/metrics') return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics failed\n'),
    );
  });
  return listen('http', server, host, port);
}

function listen(name: Listener['name'], server: net.Server, host: string, port: number): Promise<Listener> {
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
