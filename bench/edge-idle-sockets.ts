// Idle-socket figure: N sockets that never send a byte against a real edge process (`oom-bonker edge`, broker with
// memory persistence, all on 127.0.0.1): how many the edge closes, how long after BONKER_EDGE_IDLE_TIMEOUT_MS, and
// whether a webhook is answered 200 meanwhile. Stops by itself. `npx tsx bench/edge-idle-sockets.ts [--sockets 2000]
// [--idle-ms 10000] [--batch 100]`; 2,000 sockets need `ulimit -n` above 2,100 in this shell. Sockets are opened
// `--batch` at a time: thousands of handshakes at once overflow the listen backlog (Node's 511), and with SYN cookies
// the kernel then drops connections the client believes open and the edge never sees; those cost the edge nothing.
import net from 'node:net';
import { parseArgs } from 'node:util';
import { fixtures } from '../test/fixtures/index.ts';
import { startBonker, type BonkerProcess } from '../test/helpers/child-process.ts';
import { freePort } from '../test/helpers/free-port.ts';
import { waitForEvent } from '../test/helpers/wait.ts';

const { values } = parseArgs({
  options: {
    sockets: { type: 'string', default: '2000' },
    'idle-ms': { type: 'string', default: '10000' },
    batch: { type: 'string', default: '100' },
  },
});
const BATCH = Number(values.batch);
const SOCKETS = Number(values.sockets);
const IDLE_MS = Number(values['idle-ms']);
/** How long past the idle deadline the bench waits before it counts what is still open. */
const GRACE_MS = 10_000;

const started: BonkerProcess[] = [];
const ready = (role: BonkerProcess, message: string) => role.waitForLog((line) => line.msg === message, 60_000);

async function main(): Promise<void> {
  const [mqttPort, edgePort] = [await freePort(), await freePort()];
  const broker = startBonker(['broker'], {
    BONKER_PERSISTENCE: 'memory',
    BONKER_BROKER_HOST: '127.0.0.1',
    BONKER_BROKER_PORT: String(mqttPort),
    BONKER_BROKER_WS_PORT: 'off',
    BONKER_BROKER_HTTP_PORT: 'off',
  });
  started.push(broker);
  await ready(broker, 'broker listening');
  const edge = startBonker(['edge'], {
    BONKER_BROKER_URL: `mqtt://127.0.0.1:${mqttPort}`,
    BONKER_EDGE_HOST: '127.0.0.1',
    BONKER_EDGE_PORT: String(edgePort),
    BONKER_EDGE_IDLE_TIMEOUT_MS: String(IDLE_MS),
    // Room for every idle socket and the webhook: the figure is about the idle timeout, not the connection cap.
    BONKER_EDGE_MAX_CONNECTIONS: String(SOCKETS + 100),
  });
  started.push(edge);
  await ready(edge, 'edge listening');
  await ready(edge, 'connected to the MQTT broker');

  const opening = performance.now();
  /**
   * Per closed socket: how long after its deadline the edge closed it, at most. The deadline counts from the server's
   * accept, which lies between our connect() call and our 'connect' event (up to seconds apart with 2,000 at once), so
   * it is taken from the call: an upper bound of the lateness.
   */
  const late: number[] = [];
  const sockets: Awaited<ReturnType<typeof openIdle>>[] = [];
  while (sockets.length < SOCKETS) {
    const size = Math.min(BATCH, SOCKETS - sockets.length);
    sockets.push(...(await Promise.all(Array.from({ length: size }, () => openIdle(edgePort, late)))));
  }
  const opened = performance.now();
  process.stdout.write(`${SOCKETS} idle sockets open after ${((opened - opening) / 1000).toFixed(1)} s\n`);

  const webhook = await postWebhook(edgePort);
  const webhookAt = performance.now();
  const closedBeforeWebhook = late.length;
  process.stdout.write(`webhook meanwhile: ${webhook.status} in ${webhook.ms.toFixed(0)} ms (${closedBeforeWebhook} closed by then)\n`);

  // Each socket's deadline is IDLE_MS after it connected; what is still open a grace period after the last one stays.
  const allClosed = Promise.all(sockets.map(({ closed }) => closed));
  const grace = new Promise((resolve) => setTimeout(resolve, opened + IDLE_MS + GRACE_MS - performance.now()));
  await Promise.race([allClosed, grace]);
  const sorted = [...late].sort((a, b) => a - b);
  const pick = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : NaN);
  process.stdout.write(
    `closed by the edge: ${late.length} of ${SOCKETS} (idle timeout ${IDLE_MS} ms); at most this long after each ` +
      `socket's deadline: min ${pick(0).toFixed(0)} ms, p50 ${pick(0.5).toFixed(0)} ms, p99 ${pick(0.99).toFixed(0)} ms, ` +
      `max ${pick(1).toFixed(0)} ms; webhook answered ${((webhookAt - opened) / 1000).toFixed(1)} s after the last open\n`,
  );
  const counted = (await metricsText(edgePort)).match(/^bonker_edge_connections_closed_total\{.*$/gm) ?? [];
  process.stdout.write(`the edge's own count: ${counted.join(', ')}\n`);
  for (const { socket } of sockets) socket.destroy();
  process.exitCode = late.length === SOCKETS && webhook.status === 200 ? 0 : 1;
}

async function openIdle(port: number, late: number[]) {
  const calledAt = performance.now();
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  // Flowing, so the edge's FIN is read and 'close' follows (a paused socket can sit in CLOSE-WAIT unnoticed).
  socket.resume();
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      late.push(performance.now() - (calledAt + IDLE_MS));
      resolve();
    }),
  );
  await waitForEvent(socket, 'connect', { timeoutMs: 30_000 });
  return { socket, closed };
}

async function metricsText(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

async function postWebhook(port: number) {
  const before = performance.now();
  const response = await fetch(`http://127.0.0.1:${port}/alertmanager`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(fixtures.firingOne),
  });
  await response.text();
  return { status: response.status, ms: performance.now() - before };
}

try {
  await main();
} finally {
  for (const role of started.reverse()) {
    role.kill('SIGTERM');
    await role.exited;
  }
}
