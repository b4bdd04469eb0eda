// Turns mqtt-packet's packet-id cache off for the whole process, before the broker or any client writes a packet.
import mqttPacket from 'mqtt-packet';

/**
 * On its first write mqtt-packet builds 65,536 two-byte Buffers, one per packet id (about 20 ms and several MB of
 * heap here, twenty times the time on a Pi-class CPU), to save one small allocation per packet. The flag is global to
 * the module, which Aedes, the edge's and the device's mqtt.js clients all share; the device's client already turns
 * it off (`writeCache: false`, device/mqtt-session.ts), but in `up` the edge and the broker write first.
 */
export function skipPacketIdCache(): void {
  mqttPacket.writeToStream.cacheNumbers = false;
}
