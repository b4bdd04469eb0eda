// The Node edge over a real socket under abuse: oversized bodies, slow uploads and header floods. Each is refused
// (413 / 408 / 431) with memory bounded, and the edge keeps answering other clients throughout.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../contract/index.ts';
import { loadEdgeConfig } from '../edge/config.ts';
import { startEdge, type RunningEdge } from '../edge/node.ts';
import { fixtures } from './fixtures/index.ts';
import { startTestBroker, type TestBroker } from './helpers/test-broker.ts';
import { waitForEvent } from './helpers/wait.ts';

const REQUEST_TIMEOUT_MS = 1_000;
const MB = 1024 * 1024;
let broker: TestBroker;
let edge: RunningEdge;
const sockets = new Set<net.Socket>();

beforeAll(async () => {
  broker = await startTestBroker();
  const config = loadEdgeConfig({
    BONKER_BROKER_URL: broker.url,
    BONKER_EDGE_PORT: '0',
    BONKER_EDGE_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
  });
  edge = await startEdge(config, silentLogger);
  if (!(await fetch(`http://127.0.0.1:${edge.port}/readyz`)).ok) await waitForEvent(edge.events, 'ready');
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await edge?.close();
  await broker?.close();
});

/** A raw connection, so the test controls every byte and its timing; collects what the edge answers. */
async function connect() {
  const socket = net.connect(edge.port, '127.0.0.1');
  sockets.add(socket);
  socket.setNoDelay(true);
  let received = '';
  socket.on('data', (chunk) => (received += chunk.toString('latin1')));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await waitForEvent(socket, 'connect');
  return { socket, closed, received: () => received };
}

/** The webhook still works: a real notification is stored by the broker and answered 200. */
async function edgeStillAnswers() {
  const response = await fetch(`http://127.0.0.1:${edge.port}/alertmanager`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(fixtures.firingOne),
  });
  expect(response.status).toBe(200);
}

function writeAll(socket: net.Socket, data: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve(false);
    if (socket.write(data)) return resolve(true);
    const done = (ok: boolean) => () => {
      socket.off('drain', onDrain).off('close', onClose);
      resolve(ok);
    };
    const onDrain = done(true);
    const onClose = done(false);
    socket.once('drain', onDrain).once('close', onClose);
  });
}

/** Sends up to `total` bytes of body in 64 KiB chunks (chunked encoding when asked), sampling memory as it goes. */
async function sendBody(socket: net.Socket, total: number, chunked: boolean) {
  const chunk = Buffer.alloc(64 * 1024, 'a');
  const framed = chunked ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]) : chunk;
  let sent = 0;
  let peakRss = process.memoryUsage().rss;
  while (sent < total && (await writeAll(socket, framed))) {
    sent += chunk.length;
    if (sent % (4 * MB) === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  return { sent, peakRss };
}

describe('oversized bodies', () => {
  it.each([
    ['with a content-length', false],
    ['chunked, without a content-length', true],
  ])('200 MB %s → 413, memory stays bounded, the edge keeps answering', async (_, chunked) => {
    const { socket, closed, received } = await connect();
    const length = chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${200 * MB}`;
    socket.write(`POST /alertmanager HTTP/1.1\r\nHost: edge\r\nContent-Type: application/json\r\n${length}\r\n\r\n`);
    const before = process.memoryUsage().rss;
    const { sent, peakRss } = await sendBody(socket, 200 * MB, chunked);
    if (!socket.destroyed) socket.end();
    await closed;
    expect(received()).toMatch(/^HTTP\/1\.1 413 /);
    expect(received()).toMatch(/larger than 1048576 bytes/);
    // Buffering the upload would cost at least its size; 64 MB is a generous bound for a 200 MB attempt.
    expect(peakRss - before).toBeLessThan(64 * MB);
    expect(sent).toBeGreaterThan(MB);
    // The edge closes the connection after its 413 instead of reading the rest of the upload.
    expect(sent).toBeLessThan(64 * MB);
    process.stdout.write(`oversized ${chunked ? 'chunked' : 'content-length'}: sent ${(sent / MB).toFixed(1)} MB, RSS +${((peakRss - before) / MB).toFixed(1)} MB\n`);
    await edgeStillAnswers();
  }, 60_000);
});

describe('slow uploads (slow loris)', () => {
  it.each([
    ['a body', 'POST /alertmanager HTTP/1.1\r\nHost: edge\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n'],
    ['headers', 'POST /alertmanager HTTP/1.1\r\nHost: edge\r\n'],
  ])('a client trickling %s is cut by BONKER_EDGE_REQUEST_TIMEOUT_MS; others are served meanwhile', async (_, start) => {
    const { socket, closed, received } = await connect();
    socket.write(start);
    const started = performance.now();
    // The trickle is the input under test, not a wait: one byte every 100 ms keeps the socket busy forever.
    const trickle = setInterval(() => !socket.destroyed && socket.write(start.includes('\r\n\r\n') ? '{' : 'X'), 100);
    try {
      await edgeStillAnswers();
      await closed;
    } finally {
      clearInterval(trickle);
    }
    const elapsed = performance.now() - started;
    expect(received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(elapsed).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS * 0.9);
    await edgeStillAnswers();
  }, 30_000);
});

describe('header floods', () => {
  it.each([
    ['5,000 headers', Array.from({ length: 5_000 }, (_, i) => `X-Flood-${i}: ${i}\r\n`).join('')],
    ['one 64 KiB header', `X-Huge: ${'h'.repeat(64 * 1024)}\r\n`],
  ])('%s → 431 and the edge stays up', async (_, headers) => {
    const { socket, closed, received } = await connect();
    socket.write(`POST /alertmanager HTTP/1.1\r\nHost: edge\r\nContent-Type: application/json\r\n${headers}\r\n`);
    await closed;
    expect(received()).toMatch(/^HTTP\/1\.1 431 /);
    await edgeStillAnswers();
  });
});
