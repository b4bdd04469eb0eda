// Cuts an MQTT connection the moment a fixed header declares a packet over the limit, before aedes buffers its body.
import type { Duplex } from 'node:stream';
import type { Client } from 'aedes';

export interface PacketLimits {
  /** The first packet, which must be CONNECT: read before the client is authenticated. */
  maxConnectBytes: number;
  maxPacketBytes: number;
}

/** Why a connection is cut; sizes count the whole packet, fixed header included. */
export type PacketRefusal =
  | { limit: 'connect_size' | 'packet_size'; declaredBytes: number; limitBytes: number }
  | { limit: 'protocol'; reason: 'first packet is not CONNECT' | 'remaining length longer than 4 bytes' };

export interface PacketBoundaries {
  /** Follows `chunk`; returns a refusal for the first header in it that breaks a limit. */
  feed(chunk: Buffer): PacketRefusal | undefined;
  /** True once the first header (CONNECT's) was accepted, i.e. later packets fall under maxPacketBytes. */
  readonly pastConnect: boolean;
}

/**
 * Tracks packet boundaries with the fixed header alone [MQTT-2.2]: a type byte, a remaining length of 1–4 bytes,
 * 7 bits each, least significant first [MQTT-2.2.3], then that many body bytes, which are skipped, never kept.
 * Keeps only a few numbers between chunks, so a chunk may end anywhere, even inside the length.
 */
export function createPacketBoundaries(limits: PacketLimits): PacketBoundaries {
  let expecting: 'type' | 'length' | 'body' = 'type';
  let pastConnect = false;
  let length = 0;
  let lengthBytes = 0;
  let bodyLeft = 0;

  /** One byte of a header; a refusal, or undefined to go on. */
  function headerByte(byte: number): PacketRefusal | undefined {
    if (expecting === 'type') {
      // [MQTT-3.1.0-1] the first packet a client sends must be CONNECT (type 1).
      if (!pastConnect && byte >> 4 !== 1) return { limit: 'protocol', reason: 'first packet is not CONNECT' };
      expecting = 'length';
      length = 0;
      lengthBytes = 0;
      return undefined;
    }
    length += (byte & 0x7f) * 128 ** lengthBytes++;
    if (byte & 0x80) {
      return lengthBytes === 4 ? { limit: 'protocol', reason: 'remaining length longer than 4 bytes' } : undefined;
    }
    const declaredBytes = 1 + lengthBytes + length;
    const limitBytes = pastConnect ? limits.maxPacketBytes : limits.maxConnectBytes;
    if (declaredBytes > limitBytes) return { limit: pastConnect ? 'packet_size' : 'connect_size', declaredBytes, limitBytes };
    pastConnect = true;
    bodyLeft = length;
    expecting = length === 0 ? 'type' : 'body';
    return undefined;
  }

  return {
    get pastConnect() {
      return pastConnect;
    },
    feed(chunk) {
      let at = 0;
      while (at < chunk.length) {
        if (expecting === 'body') {
          const skipped = Math.min(bodyLeft, chunk.length - at);
          at += skipped;
          bodyLeft -= skipped;
          if (bodyLeft === 0) expecting = 'type';
          continue;
        }
        const refusal = headerByte(chunk[at++]!);
        if (refusal) return refusal;
      }
      return undefined;
    },
  };
}

export interface PacketSizeGuard {
  /** Whether the CONNECT header was accepted, so a refusal found elsewhere (ws' maxPayload) can be labelled. */
  readonly pastConnect: boolean;
  /** Bytes of this connection aedes has read so far. */
  readonly receivedBytes: number;
  /** True once this guard cut the connection. */
  readonly refused: boolean;
}

/**
 * Watches what aedes reads from `stream`. Attach it right after `aedes.handle()`: with aedes' 'readable' listener
 * present the stream stays paused (adding 'data' does not resume it) and Node emits 'data' from inside each read(),
 * so this sees every chunk just before aedes' parser does. A refusal first closes the aedes client, whose close()
 * drops the parser's 'packet' listener at once, so not even a whole oversized packet inside this very chunk is acted
 * on (limits.test.ts fails if aedes stops doing so); then destroys the stream, which stops the reading. The parser
 * keeps at most the chunk in hand, never the declared body.
 */
export function guardPacketSizes(
  stream: Duplex,
  client: Client,
  limits: PacketLimits,
  onRefused: (refusal: PacketRefusal, receivedBytes: number) => void,
): PacketSizeGuard {
  const boundaries = createPacketBoundaries(limits);
  let receivedBytes = 0;
  let refused = false;
  const watch = (chunk: Buffer) => {
    receivedBytes += chunk.length;
    const refusal = boundaries.feed(chunk);
    if (!refusal) return;
    refused = true;
    stream.off('data', watch);
    client.close();
    stream.destroy();
    onRefused(refusal, receivedBytes);
  };
  stream.on('data', watch);
  return {
    get pastConnect() {
      return boundaries.pastConnect;
    },
    get receivedBytes() {
      return receivedBytes;
    },
    get refused() {
      return refused;
    },
  };
}
