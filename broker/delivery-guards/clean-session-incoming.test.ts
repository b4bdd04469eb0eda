// A clean session's QoS 2 flow state kept in memory still does its job: a re-sent PUBLISH is not forwarded twice.
import net from 'node:net';
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { silentLogger } from '../../contract/index.ts';
import { waitForEvent, waitUntil } from '../../test/helpers/wait.ts';
import { keepCleanSessionIncomingInMemory } from './clean-session-incoming.ts';
import type { AedesPersistenceLike } from './ordered-persistence.ts';
import { startBroker, type RunningBroker } from '../start-broker.ts';
import { asEmitter, makeTempDir, testBrokerConfig } from '../../test/helpers/broker-test-support.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A client speaking raw MQTT 3.1.1 packets, so a test can re-send a PUBLISH the way a reconnecting client would. */
async function rawClient(port: number, clientId: string, clean: boolean) {
  const socket = net.connect(port, '127.0.0.1');
  cleanups.push(async () => socket.destroy());
  const packets = new EventEmitter();
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  parser.on('packet', (packet: Packet) => packets.emit(packet.cmd, packet));
  socket.on('data', (chunk) => parser.parse(chunk));
  const send = (packet: object) => socket.write(mqttPacket.generate(packet as Packet));
  send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId, clean, keepalive: 30 });
  await waitForEvent(packets, 'connack');
  return { send, packets };
}

async function startLevelBroker(): Promise<RunningBroker> {
  const dir = await makeTempDir();
  cleanups.push(dir.remove);
  const broker = await startBroker(testBrokerConfig({ BONKER_PERSISTENCE: 'level', BONKER_DATA_DIR: dir.path }), silentLogger);
  cleanups.push(broker.close);
  return broker;
}

describe('clean-session QoS 2 state in memory', () => {
  it.each([true, false])('forwards a re-sent QoS 2 PUBLISH once and completes the flow (clean %s)', async (clean) => {
    const broker = await startLevelBroker();
    const subscriber = mqtt.connect(`mqtt://127.0.0.1:${broker.mqttPort}`, { reconnectPeriod: 0 });
    cleanups.push(() => subscriber.endAsync(true));
    await waitForEvent(asEmitter(subscriber), 'connect');
    await subscriber.subscribeAsync('bonker/tux/bonk', { qos: 2 });
    const received: string[] = [];
    subscriber.on('message', (_topic, payload) => received.push(payload.toString()));

    const edge = await rawClient(broker.mqttPort, `edge-${clean}`, clean);
    const publish = { cmd: 'publish', topic: 'bonker/tux/bonk', payload: 'first', qos: 2, messageId: 7, retain: false, dup: false };
    edge.send(publish);
    await waitForEvent(edge.packets, 'pubrec');
    edge.send({ ...publish, dup: true });
    await waitForEvent(edge.packets, 'pubrec');
    edge.send({ cmd: 'pubrel', messageId: 7 });
    await waitForEvent(edge.packets, 'pubcomp');
    // The same message id after the flow completed is a new message.
    edge.send({ ...publish, payload: 'second' });
    await waitForEvent(edge.packets, 'pubrec');
    await waitUntil(asEmitter(subscriber), 'message', () => received.includes('second'));
    expect(received).toEqual(['first', 'second']);
  });

  it('keeps a clean session out of the store and a persistent one in it', async () => {
    const calls: string[] = [];
    const record = (name: string) => async () => void calls.push(name);
    const store = {
      incomingStorePacket: record('store'),
      incomingGetPacket: async () => (calls.push('get'), { messageId: 1 }),
      incomingDelPacket: record('del'),
      cleanIncoming: record('clean'),
    } as unknown as AedesPersistenceLike;
    const wrapped = keepCleanSessionIncomingInMemory(store);
    const cleanClient = { clean: true };
    const packet = { messageId: 1 };
    await wrapped.incomingStorePacket(cleanClient, packet);
    await expect(wrapped.incomingGetPacket(cleanClient, packet)).resolves.toMatchObject(packet);
    await wrapped.incomingDelPacket(cleanClient, packet);
    await expect(wrapped.incomingGetPacket(cleanClient, packet)).rejects.toThrow('no such packet');
    expect(calls).toEqual([]);

    const persistent = { clean: false };
    await wrapped.incomingStorePacket(persistent, packet);
    await wrapped.incomingGetPacket(persistent, packet);
    await wrapped.incomingDelPacket(persistent, packet);
    await wrapped.cleanIncoming(cleanClient);
    expect(calls).toEqual(['store', 'get', 'del', 'clean']);
  });
});
