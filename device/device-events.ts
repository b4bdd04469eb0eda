// What the agent announces to its add-ons (Home Assistant, the retained info and history, tests): one typed map, so
// a listener cannot misspell an event or mistake its arguments.
import { EventEmitter } from 'node:events';
import type { Ack, BonkCommand, DedupStoreHealth } from '../contract/index.ts';

export interface DeviceEventMap {
  /** Every command answered, with the ack published for it. */
  ack: [ack: Ack];
  /** After each (re)connect, once subscribed and announced online. */
  connected: [];
  /** Each strike of a command, numbered from 1. */
  bonk: [command: BonkCommand, strike: number];
  /** The dedup store failed to write, or writes again. */
  'dedup-store': [health: DedupStoreHealth];
  /** Home Assistant's discovery was published or removed. */
  'home-assistant': [change: 'announced' | 'removed'];
}

export type DeviceEvents = EventEmitter<DeviceEventMap>;

export function createDeviceEvents(): DeviceEvents {
  return new EventEmitter<DeviceEventMap>();
}
