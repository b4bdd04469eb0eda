// The broker's TLS listener with a throwaway CA made here by openssl: trusted clients bonk, others are refused.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { createTopics, silentLogger } from '../contract/index.ts';
import { waitForEvent } from '../test/helpers/wait.ts';
import { startBroker, type RunningBroker } from './start-broker.ts';
import { asEmitter, makeTempDir, testBrokerConfig } from '../test/helpers/broker-test-support.ts';

const run = promisify(execFile);
const topic = createTopics().bonk('tux');
let broker: RunningBroker;
let ca: Buffer;
let otherCa: Buffer;
const cleanups: (() => Promise<unknown>)[] = [];

/** A CA (key + self-signed cert, CA:TRUE) in `dir`, prefixed `name`. */
async function makeCa(dir: string, name: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}-key.pem`);
  await run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign',
    '-keyout', key, '-out', cert,
  ]);
  return { cert, key };
}

/** A server certificate for 127.0.0.1 (SAN IP, as clients check), signed by the CA. */
async function makeServerCert(dir: string, caFiles: { cert: string; key: string }): Promise<{ cert: string; key: string }> {
  const [key, csr, cert, ext] = ['server-key.pem', 'server.csr', 'server.pem', 'server.ext'].map((f) => join(dir, f)) as [string, string, string, string];
  await run('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=bonker-broker', '-keyout', key, '-out', csr]);
  await writeFile(ext, 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n');
  await run('openssl', ['x509', '-req', '-in', csr, '-CA', caFiles.cert, '-CAkey', caFiles.key, '-CAcreateserial', '-days', '1', '-extfile', ext, '-out', cert]);
  return { cert, key };
}

beforeAll(async () => {
  const dir = await makeTempDir();
  cleanups.push(dir.remove);
  const caFiles = await makeCa(dir.path, 'bonker-test-ca');
  const server = await makeServerCert(dir.path, caFiles);
  ca = await readFile(caFiles.cert);
  otherCa = await readFile((await makeCa(dir.path, 'stranger-ca')).cert);
  broker = await startBroker(
    testBrokerConfig({ BONKER_BROKER_TLS_PORT: '0', BONKER_BROKER_TLS_CERT: server.cert, BONKER_BROKER_TLS_KEY: server.key }),
    silentLogger,
  );
  cleanups.push(broker.close);
});

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tlsClient(options: mqtt.IClientOptions): MqttClient {
  const client = mqtt.connect(`mqtts://127.0.0.1:${broker.tlsPort}`, { reconnectPeriod: 0, connectTimeout: 5_000, ...options });
  cleanups.push(() => client.endAsync(true));
  return client;
}

it('lets a client that trusts the CA connect and bonk over TLS', async () => {
  const device = tlsClient({ ca, rejectUnauthorized: true, clientId: 'tls-device' });
  await waitForEvent(asEmitter(device), 'connect');
  await device.subscribeAsync(topic, { qos: 1 });
  const edge = tlsClient({ ca, rejectUnauthorized: true });
  await waitForEvent(asEmitter(edge), 'connect');
  const received = waitForEvent<[string, Buffer]>(asEmitter(device), 'message');
  await edge.publishAsync(topic, '1', { qos: 2 });
  expect((await received)[1].toString()).toBe('1');
});

// Node's wording for a chain it cannot anchor in the roots it was given.
const UNTRUSTED = /unable to verify the first certificate|unable to get local issuer|self[- ]signed/i;

it.each([
  ['no CA (system roots only)', () => ({})],
  ['a different CA', () => ({ ca: otherCa })],
])('refuses a client that trusts %s', async (_name, options) => {
  const client = tlsClient({ rejectUnauthorized: true, ...options() });
  const [error] = await waitForEvent<[Error]>(asEmitter(client), 'error');
  expect(error.message).toMatch(UNTRUSTED);
  expect(client.connected).toBe(false);
});

it('refuses a client that reaches the broker by a name the certificate does not carry', async () => {
  const client = tlsClient({ ca, rejectUnauthorized: true, servername: 'localhost', host: 'localhost' });
  const [error] = await waitForEvent<[Error]>(asEmitter(client), 'error');
  expect(error.message).toMatch(/altnames|does not match|not in the cert/i);
});
