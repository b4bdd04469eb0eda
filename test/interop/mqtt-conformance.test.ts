// Eclipse Paho's Go client FVT suite (Debian 12's golang-github-eclipse-paho.mqtt.golang-dev) against the bundled broker.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../contract/index.ts';
import { loadBrokerConfig } from '../../broker/config.ts';
import { startBroker, type RunningBroker } from '../../broker/start-broker.ts';
import { buildFvt, listFvtCases, type FvtSuite } from './paho-fvt.ts';
import { GO, requireProgram } from './require-programs.ts';

/** What each case of fvt_client_test.go makes the broker do, with the MQTT 3.1.1 clause it leans on (docs/mqtt-conformance.md). */
const CLAUSES: Record<string, string> = {
  Test_Start: 'CONNECT answered with CONNACK 0 [MQTT-3.2.0-1]',
  Test_Publish_1: 'CONNECT, a QoS 0 PUBLISH, DISCONNECT (the suite asserts only the CONNACK)',
  Test_Publish_2: 'two QoS 0 PUBLISHes to a topic with an empty first level, "/test/Publish" (§4.7.3)',
  Test_Publish_3: 'PUBLISH at QoS 0, 1 and 2 on one connection (acks not awaited by the suite)',
  Test_Subscribe: 'SUBSCRIBE, then a QoS 0 PUBLISH from another client (receipt not asserted by the suite)',
  Test_Will: 'the will is published when the connection drops without DISCONNECT [MQTT-3.1.2-8]',
  Test_CleanSession: 'CleanSession=0 keeps the subscription and queues QoS 1 while offline [MQTT-3.1.2-4] [MQTT-3.1.2-5]',
  Test_Binary_Will: 'a will payload of non-UTF-8 bytes arrives byte for byte [MQTT-3.1.2-8] (§3.1.3.3)',
  Test_p0s0: 'QoS 0 publish, QoS 0 subscription: all 3 arrive',
  Test_p0s1: 'QoS 0 publish, QoS 1 subscription: all 3 arrive [MQTT-3.8.4-6]',
  Test_p0s2: 'QoS 0 publish, QoS 2 subscription: all 3 arrive [MQTT-3.8.4-6]',
  Test_p1s0: 'QoS 1 publish, QoS 0 subscription: all 3 arrive [MQTT-3.8.4-6]',
  Test_p1s1: 'QoS 1 publish, QoS 1 subscription: all 3 arrive [MQTT-4.3.2-1]',
  Test_p1s2: 'QoS 1 publish, QoS 2 subscription: all 3 arrive [MQTT-3.8.4-6]',
  Test_p2s0: 'QoS 2 publish, QoS 0 subscription: all 3 arrive [MQTT-3.8.4-6]',
  Test_p2s1: 'QoS 2 publish, QoS 1 subscription (the edge to a device): all 3 arrive [MQTT-3.8.4-6]',
  Test_p2s2: 'QoS 2 publish, QoS 2 subscription: all 3 arrive [MQTT-4.3.3-1]',
  Test_PublishMessage: 'payloads arrive unchanged (QoS 0 into a QoS 2 subscription) §3.3.3',
  Test_PublishEmptyMessage: 'a zero-length payload is delivered (§3.3.3: "A zero length payload is valid")',
  Test_MultipleURLs: 'the client falls back from a closed port to the broker, then publishes (client feature)',
  Test_ping1_idle5: 'a client that pings at keep-alive 4 s stays connected for 8 s [MQTT-3.1.2-24] (PINGRESP itself goes unchecked)',
  Test_autoreconnect: 'the client drops its own socket; the broker takes the same ClientId again (client feature)',
  Test_cleanUpMids_2: 'a QoS 2 PUBLISH cut short by DISCONNECT; checks the client frees its packet ids (client feature)',
};

/** Cases left out, and why; each is about the client library, not the broker (docs/mqtt-conformance.md). */
const NOT_RUN: Record<string, string> = {
  Test_cleanUpMids:
    "tests the Paho client's packet-id bookkeeping and assumes a QoS 2 flow still runs 10 ms after PUBLISH; " +
    'any loopback broker finishes sooner (it fails the same way against Mosquitto 2.0.11), so its outcome is timing',
};

// Debian's copy of the suite is read here; require-programs.ts has already stopped the run if it is not installed.
const CASES = listFvtCases();
let suite: FvtSuite;

beforeAll(async () => {
  suite = await buildFvt(requireProgram(GO));
}, 90_000);
afterAll(async () => {
  await suite?.remove();
});

it('the cases read from the source are the ones compiled, and each is described here', () => {
  expect(suite.cases).toEqual(CASES);
  expect(CASES.filter((name) => !CLAUSES[name] && !NOT_RUN[name])).toEqual([]);
});

describe.each(['memory', 'level'] as const)('Paho Go FVT against the bundled broker, %s persistence', (persistence) => {
  let broker: RunningBroker;
  let dataDir: string | undefined;
  let address: string;

  beforeAll(async () => {
    if (persistence === 'level') dataDir = await mkdtemp(join(tmpdir(), 'bonker-conformance-'));
    broker = await startBroker(
      loadBrokerConfig({
        BONKER_BROKER_HOST: '127.0.0.1',
        BONKER_BROKER_PORT: '0',
        BONKER_BROKER_WS_PORT: 'off',
        BONKER_BROKER_HTTP_PORT: 'off',
        BONKER_PERSISTENCE: persistence,
        ...(dataDir ? { BONKER_DATA_DIR: dataDir } : {}),
      }),
      silentLogger,
    );
    address = `127.0.0.1:${broker.mqttPort}`;
  });
  afterAll(async () => {
    await broker?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  for (const name of CASES) {
    const reason = NOT_RUN[name];
    if (reason) {
      it.skip(`${name}: not run, ${reason}`, () => {});
      continue;
    }
    it(`${name}: ${CLAUSES[name] ?? 'not described in this file yet'}`, async () => {
      const result = await suite.run(name, address);
      expect(result.passed, result.output).toBe(true);
    });
  }
});
