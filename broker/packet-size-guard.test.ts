// The fixed-header state machine alone: lengths split across chunks, several packets per chunk, 4- and 5-byte lengths.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import mqttPacket from 'mqtt-packet';
import { createPacketBoundaries, type PacketLimits } from './packet-size-guard.ts';

const limits: PacketLimits = { maxConnectBytes: 1024, maxPacketBytes: 300_000 };
const connect = mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'tux', clean: true, keepalive: 30 });
const publish = (bytes: number) => mqttPacket.generate({ cmd: 'publish', topic: 'bonker/tux/bonk', payload: Buffer.alloc(bytes), qos: 0, dup: false, retain: false });
const pingreq = mqttPacket.generate({ cmd: 'pingreq' });

/** Feeds `chunks` in turn; the first refusal, or undefined. */
function feedAll(chunks: Buffer[], limitsUsed = limits) {
  const boundaries = createPacketBoundaries(limitsUsed);
  for (const chunk of chunks) {
    const refusal = boundaries.feed(chunk);
    if (refusal) return refusal;
  }
  return undefined;
}

const bytesOf = (buffer: Buffer) => [...buffer].map((byte) => Buffer.from([byte]));

describe('createPacketBoundaries', () => {
  it('follows a 2-byte remaining length fed one byte at a time', () => {
    const big = publish(200); // remaining length 217: two length bytes
    expect(big[2]! & 0x80).toBe(0);
    expect(big[1]! & 0x80).toBe(0x80);
    expect(feedAll(bytesOf(Buffer.concat([connect, big, pingreq])))).toBeUndefined();
  });

  it('finds every boundary of several packets in one chunk, and the oversized one among them', () => {
    const stream = Buffer.concat([connect, pingreq, publish(10), pingreq, publish(300_000), publish(10)]);
    expect(feedAll([stream])).toEqual({ limit: 'packet_size', declaredBytes: publish(300_000).length, limitBytes: 300_000 });
    expect(feedAll([Buffer.concat([connect, pingreq, publish(10), pingreq])])).toBeUndefined();
  });

  it('decodes a 4-byte remaining length split across chunks, and refuses it from the header alone', () => {
    const header = Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]); // 268,435,455: the largest length MQTT allows
    const refusal = feedAll([connect, header.subarray(0, 2), header.subarray(2, 4), header.subarray(4)]);
    expect(refusal).toEqual({ limit: 'packet_size', declaredBytes: 268_435_460, limitBytes: 300_000 });
  });

  it('skips a body longer than any chunk without keeping it', () => {
    const body = publish(250_000);
    const boundaries = createPacketBoundaries(limits);
    expect(boundaries.feed(connect)).toBeUndefined();
    for (let at = 0; at < body.length; at += 4096) expect(boundaries.feed(body.subarray(at, at + 4096))).toBeUndefined();
    expect(boundaries.feed(Buffer.from([0x30, 0x81]))).toBeUndefined(); // the next packet's header is read as one
  });

  it('refuses a fifth length byte as malformed', () => {
    const fiveBytes = Buffer.from([0x30, 0x80, 0x80, 0x80, 0x80, 0x01]);
    expect(feedAll([connect, fiveBytes])).toEqual({ limit: 'protocol', reason: 'remaining length longer than 4 bytes' });
    expect(feedAll([Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff])])).toEqual({ limit: 'protocol', reason: 'remaining length longer than 4 bytes' });
  });

  it('wants CONNECT first, under the CONNECT limit, and exactly the limit passes', () => {
    expect(feedAll([pingreq])).toEqual({ limit: 'protocol', reason: 'first packet is not CONNECT' });
    expect(feedAll([publish(1)])).toEqual({ limit: 'protocol', reason: 'first packet is not CONNECT' });
    const exact = { maxConnectBytes: connect.length, maxPacketBytes: connect.length };
    expect(feedAll([connect, connect], exact)).toBeUndefined(); // a second CONNECT is aedes' to refuse [MQTT-3.1.0-2]
    expect(feedAll([connect], { ...exact, maxConnectBytes: connect.length - 1 })).toEqual({
      limit: 'connect_size', declaredBytes: connect.length, limitBytes: connect.length - 1,
    });
    expect(feedAll([Buffer.from([0x10, 0x80, 0x84, 0xaf, 0x5f])])).toEqual({
      limit: 'connect_size', declaredBytes: 200_000_005, limitBytes: 1024, // a 200 MB CONNECT, refused at its 5th byte
    });
  });

  it('never refuses a valid stream, wherever the chunks end', () => {
    const packets = [connect, publish(0), publish(127), publish(128), publish(16_500), pingreq, publish(299_000)];
    const stream = Buffer.concat(packets);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 40 }), (cuts) => {
        const ends = [0, ...cuts.sort((a, b) => a - b), stream.length];
        const chunks = ends.slice(1).map((end, i) => stream.subarray(ends[i], end));
        expect(feedAll(chunks)).toBeUndefined();
      }),
    );
  });
});
