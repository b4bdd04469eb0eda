// The broker's data directory on a full disk (a small tmpfs), with the broker in its own process: the failure is
// logged once with its cause, /readyz says why it is not ready, the edge's 503 names the step, and once space is
// freed the broker says so, is ready again, and every bonk answered 200 strikes. Needs root (mount).
import { execFileSync } from 'node:child_process';
import { mkdir, rm, statfs, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startBonker, type BonkerProcess } from '../helpers/child-process.ts';
import { freePort } from '../helpers/free-port.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';
import { waitForEvent } from '../helpers/wait.ts';
import { doneCounts, numberedAlert, postAlert, startRecordedDevice, startTestEdge } from '../faults/fault-kit.ts';

const cleanups: (() => Promise<unknown>)[] = [];
let disk: string;
let stateDir: string;
let broker: BonkerProcess;
let httpPort: number;
let brokerUrl: string;

/** A tmpfs of `megabytes`, so the test can fill it; mounting needs root, which CI has. */
async function mountSmallDisk(dir: string, megabytes: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${megabytes}m`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    throw new Error(`this test mounts a small tmpfs to fill it and needs root: ${(error as { stderr?: Buffer }).stderr ?? error}`);
  }
  cleanups.push(async () => execFileSync('umount', ['-l', dir]));
}

/** Fills the disk to the last block, so the store's next write fails with ENOSPC. */
async function fill(dir: string): Promise<void> {
  const { bavail, bsize } = await statfs(dir);
  await writeFile(`${dir}/filler`, Buffer.alloc(Number(bavail) * Number(bsize)));
}

const readyz = async () => {
  const response = await fetch(`http://127.0.0.1:${httpPort}/readyz`);
  return { status: response.status, text: await response.text() };
};

beforeAll(async () => {
  const dir = await makeTempDir('bonker-full-disk-');
  cleanups.push(dir.remove);
  disk = `${dir.path}/disk`;
  stateDir = `${dir.path}/device`;
  await mountSmallDisk(disk, 8);
  const port = await freePort();
  httpPort = await freePort();
  brokerUrl = `mqtt://127.0.0.1:${port}`;
  broker = startBonker(
    ['broker', '--broker-port', String(port), '--broker-ws-port', 'off', '--broker-http-port', String(httpPort)],
    { BONKER_PERSISTENCE: 'level', BONKER_DATA_DIR: `${disk}/broker` },
  );
  cleanups.push(async () => {
    broker.kill('SIGKILL');
    await broker.exited;
  });
  await broker.waitForLog((line) => line.msg === 'broker listening', 20_000);
});
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

it('is loud about a full disk, refuses with the failed step, and recovers when space is freed', async () => {
  // The device has a persistent session, then goes offline: its bonks must be written to the disk.
  await (await startRecordedDevice(brokerUrl, stateDir)).close();
  const edge = await startTestEdge(brokerUrl, { BONKER_EDGE_PUBLISH_TIMEOUT_MS: '3000' });
  cleanups.push(edge.close);
  const stored = (await postAlert(edge.url, numberedAlert(1))).published;
  expect(stored).toHaveLength(1);
  expect(await readyz()).toEqual({ status: 200, text: 'ready\n' });

  await fill(disk);
  // The store's open files may still have room in their last page: post until a write needs a new block. Every
  // bonk answered 200 on the way must still strike.
  let refused: Response | undefined;
  for (let n = 100; n < 200 && !refused; n++) {
    const response = await fetch(`${edge.url}/alertmanager`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(numberedAlert(n)),
    });
    if (response.status === 200) stored.push(...((await response.json()) as { published: string[] }).published);
    else refused = response;
  }
  expect(refused?.status).toBe(503);
  const { error } = (await refused!.json()) as { error: string };
  // The edge was connected: its answer names the step that failed (the broker dropped the publish), not the connection.
  expect(error).toMatch(/closed the connection during the publish/);
  expect(error).not.toMatch(/not connected/);

  const failure = await broker.waitForLog((line) => line.msg?.startsWith('the broker cannot store') ?? false);
  expect(String(failure.err)).toMatch(/space|ENOSPC|IO error/i);
  const notReady = await readyz();
  expect(notReady.status).toBe(503);
  expect(notReady.text).toMatch(/^not ready: cannot store \(/);
  for (const n of [3, 4]) expect((await postAlert(edge.url, numberedAlert(n))).status).toBe(503);
  // Logged once, counted after: a flood of failures cannot fill the journal.
  expect(broker.logs.filter((line) => line.msg?.startsWith('the broker cannot store'))).toHaveLength(1);
  const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  expect(metrics).toMatch(/^bonker_broker_store_ok 0$/m);
  expect(metrics).toMatch(/^bonker_broker_store_failures_total\{operation="[a-zA-Z]+"\} [1-9]/m);

  await rm(`${disk}/filler`);
  await broker.waitForLog((line) => line.msg === 'the broker can store again', 15_000);
  expect(await readyz()).toEqual({ status: 200, text: 'ready\n' });
  // aedes closed the edge's connection on each failed store; the edge reconnects by itself.
  if (!(await fetch(`${edge.url}/readyz`)).ok) await waitForEvent(edge.events, 'ready');
  const after = await postAlert(edge.url, numberedAlert(5));
  expect(after.status).toBe(200);

  const device = await startRecordedDevice(brokerUrl, stateDir);
  cleanups.push(device.close);
  await device.waitForIds([...stored, ...after.published]);
  const answered200 = [...stored, ...after.published];
  const done = doneCounts(device.acks);
  expect(answered200.map((id) => done.get(id))).toEqual(answered200.map(() => 1));
  // A 503 means "maybe not stored" (Alertmanager retries it with the same id): the three refused alerts may strike too,
  // each once at most.
  expect(device.strikes()).toBeLessThanOrEqual(answered200.length + 3);
  expect([...done.values()].every((n) => n === 1)).toBe(true);
}, 90_000);
