// Node-RED 4.1 with one flow (http in → function → mqtt out QoS 1 → complete → http response), editor off, on loopback.
// Figure 1's "what users would pick instead": it answers only after the broker's PUBACK, like our edge after PUBCOMP.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/helpers/free-port.ts';
import { makeTempDir } from '../test/helpers/temp-dir.ts';
import { startPlain, untilEvent } from './proc.ts';

const RED = fileURLToPath(new URL('../node_modules/node-red/red.js', import.meta.url));

/** What a user would write in the function node: one bonk for the first alert, at QoS 1 (set on the mqtt out node). */
const FUNCTION_BODY = `
const alert = (msg.payload.alerts || [])[0] || {};
msg.topic = 'bonker/tux/bonk';
msg.payload = JSON.stringify({ v: 1, id: String(alert.fingerprint) + alert.startsAt, count: 1, reason: 'OOMKilled',
  source: 'alertmanager', labels: alert.labels || {}, at: Date.now() });
return msg;`;

export function nodeRedFlows(brokerPort: number): object[] {
  return [
    { id: 'tab', type: 'tab', label: 'bonker' },
    { id: 'broker', type: 'mqtt-broker', name: 'bundled', broker: '127.0.0.1', port: String(brokerPort), clientid: '',
      autoConnect: true, usetls: false, protocolVersion: '4', keepalive: '60', cleansession: true },
    // Node-RED takes a node without x/y for a config node, so the flow nodes carry editor coordinates.
    { id: 'in', type: 'http in', z: 'tab', x: 100, y: 40, url: '/alertmanager', method: 'post', upload: false, wires: [['fn']] },
    { id: 'fn', type: 'function', z: 'tab', x: 200, y: 40, func: FUNCTION_BODY, outputs: 1, wires: [['out']] },
    { id: 'out', type: 'mqtt out', z: 'tab', x: 300, y: 40, topic: '', qos: '1', retain: 'false', broker: 'broker', wires: [] },
    { id: 'complete', type: 'complete', z: 'tab', x: 100, y: 100, scope: ['out'], uncaught: false, wires: [['res']] },
    { id: 'res', type: 'http response', z: 'tab', x: 300, y: 100, statusCode: '200', headers: {}, wires: [] },
  ];
}

function settings(port: number): string {
  return `module.exports = ${JSON.stringify({
    uiHost: '127.0.0.1', uiPort: port, httpAdminRoot: false, disableEditor: true, flowFile: 'flows.json',
    credentialSecret: false, logging: { console: { level: 'info', metrics: false, audit: false } },
  })};\n`;
}

export interface NodeRed {
  url: string;
  pid: number;
  close(): Promise<void>;
}

/** Resolves once its flow is connected to the broker (the line Node-RED logs for it). */
export async function startNodeRed(brokerPort: number, timeoutMs = 30_000): Promise<NodeRed> {
  const dir = await makeTempDir('bonker-bench-nodered-');
  const port = await freePort();
  await writeFile(path.join(dir.path, 'flows.json'), JSON.stringify(nodeRedFlows(brokerPort)));
  await writeFile(path.join(dir.path, 'settings.js'), settings(port));
  const proc = startPlain([RED, '--userDir', dir.path, '--settings', path.join(dir.path, 'settings.js')]);
  const output: string[] = [];
  proc.events.on('line', (line: string) => { output.push(line); if (process.env.BENCH_DEBUG) console.error(line); });
  const close = async () => {
    await proc.close();
    await dir.remove();
  };
  try {
    await untilEvent(proc.events, 'line', (line: string) => /Connected to broker/.test(line), timeoutMs);
  } catch (error) {
    await close();
    throw new Error(`Node-RED did not start: ${(error as Error).message}\n${output.slice(-15).join('\n')}`);
  }
  return { url: `http://127.0.0.1:${port}`, pid: proc.child.pid!, close };
}
