// BONKER_BROKER_URL read the same way by every part: protocol, host, port (the scheme's default when left out) and,
// for WebSocket, the path. `tcp://` and `tls://` are mqtt.js's aliases of `mqtt://` and `mqtts://`.

export type BrokerProtocol = 'mqtt' | 'mqtts' | 'ws' | 'wss';

export interface BrokerAddress {
  host: string;
  port: number;
  protocol: BrokerProtocol;
  /** The WebSocket path (`/mqtt` in `wss://host/mqtt`); `/` when none is given. Only for ws and wss. */
  path?: string;
}

const SCHEMES: Readonly<Record<string, BrokerProtocol>> = { mqtt: 'mqtt', tcp: 'mqtt', mqtts: 'mqtts', tls: 'mqtts', ws: 'ws', wss: 'wss' };
export const DEFAULT_BROKER_PORTS: Readonly<Record<BrokerProtocol, number>> = { mqtt: 1883, mqtts: 8883, ws: 80, wss: 443 };

export function parseBrokerUrl(raw: string): BrokerAddress {
  const url = new URL(raw);
  const protocol = SCHEMES[url.protocol.replace(/:$/, '')];
  if (!protocol) throw new Error(`${url.protocol}// is not a broker URL: expected mqtt://, mqtts://, ws:// or wss://`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = url.port ? Number(url.port) : DEFAULT_BROKER_PORTS[protocol];
  const webSocket = protocol === 'ws' || protocol === 'wss';
  return webSocket ? { host, port, protocol, path: `${url.pathname}${url.search}` } : { host, port, protocol };
}
