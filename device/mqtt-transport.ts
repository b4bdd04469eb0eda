// The agent's MQTT client: mqtt.js's own MqttClient class over our stream builder instead of mqtt.connect(), so the
// agent never loads mqtt.js's WebSocket, SOCKS-proxy and browser transports unless a ws:// broker is configured.
import { createRequire } from 'node:module';
import net from 'node:net';
import type { IClientOptions, MqttClient } from 'mqtt';
// `mqtt/lib/*` is an exported path of mqtt 5 (package.json "exports": "./*" → "./build/*.js"); the class is the
// documented `new mqtt.Client(streamBuilder, options)`. A CommonJS module with `exports.default = MqttClient`.
import clientModule from 'mqtt/lib/client';

import type { BrokerAddress } from '../contract/index.ts';

/** Node, tsx and esbuild import module.exports (the class is its `default`); vitest's interop imports the class. */
const MqttClientClass = ((clientModule as { default?: unknown }).default ?? clientModule) as typeof clientModule.default;

/** node:tls (and node:crypto under it) only for an mqtts:// broker: half a second of a Pi-class CPU at every start. */
function loadTls(): typeof import('node:tls') {
  return createRequire(import.meta.url)('node:tls') as typeof import('node:tls');
}

/**
 * A client for `addresses` (contract/broker-url.ts), tried in turn, one per connection attempt (as mqtt.js does with
 * `servers`). Nothing connects until client.connect() when options.manualConnect is set.
 */
export async function createMqttClient(addresses: readonly BrokerAddress[], options: IClientOptions): Promise<MqttClient> {
  if (addresses.length === 0) throw new Error('no broker address');
  // Loaded only when needed: the `ws` package is a large share of mqtt.js's footprint (bench/RESULTS.md, figure 5).
  const webSocket = addresses.some((a) => a.protocol === 'ws' || a.protocol === 'wss')
    ? (await import('mqtt/lib/connect/ws')).streamBuilder
    : undefined;
  let attempt = 0;
  const buildStream = (client: MqttClient) => {
    const { host, port, protocol, path } = addresses[attempt++ % addresses.length]!;
    // What mqtt.connect() sets: the WebSocket builder reads them (the path too), and so do our logs.
    Object.assign(client.options, { protocol, host, hostname: host, port, ...(path === undefined ? {} : { path }) });
    if (protocol === 'ws' || protocol === 'wss') return webSocket!(client, client.options);
    // TLS: the system's CAs, certificate and host name checked (Node's defaults), SNI when the host is a name.
    if (protocol === 'mqtts') return loadTls().connect({ host, port, ...(net.isIP(host) ? {} : { servername: host }) });
    return net.createConnection({ host, port });
  };
  return new MqttClientClass(buildStream, options);
}
