// MQTT topic names of the bonker protocol: the one place any part spells a topic.
import * as z from 'zod';

export const DEFAULT_TOPIC_PREFIX = 'bonker';

/** A device id becomes one topic level, so it may not contain `/`, `+`, `#` or anything exotic. */
export const deviceIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected 1-64 characters of A-Z, a-z, 0-9, "_" or "-"');

/** A topic prefix is one or more plain topic levels, e.g. `bonker` or `home/bonker`. */
export const topicPrefixSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/, 'expected topic levels of A-Z, a-z, 0-9, "_" or "-" separated by "/"');

export type TopicKind = 'bonk' | 'ack' | 'status' | 'history' | 'info';
export const TOPIC_KINDS: readonly TopicKind[] = ['bonk', 'ack', 'status', 'history', 'info'];

export interface Topics {
  readonly prefix: string;
  bonk(device: string): string;
  ack(device: string): string;
  status(device: string): string;
  /** Retained by the device: its total strikes and its last bonks (contract/device-state.ts), for the dashboard. */
  history(device: string): string;
  /** Retained details beside the bare `online`/`offline`: servo driver, last seen, last bonk (contract/status.ts). */
  info(device: string): string;
  /** Filter matching one kind for every device, e.g. `bonker/+/ack`. */
  all(kind: TopicKind): string;
  /** Splits a concrete topic back into device and kind, or undefined when it is not ours. */
  parse(topic: string): { device: string; kind: TopicKind } | undefined;
}

export function createTopics(prefix: string = DEFAULT_TOPIC_PREFIX): Topics {
  const of = (device: string, kind: TopicKind) => `${prefix}/${device}/${kind}`;
  return {
    prefix,
    bonk: (device) => of(device, 'bonk'),
    ack: (device) => of(device, 'ack'),
    status: (device) => of(device, 'status'),
    history: (device) => of(device, 'history'),
    info: (device) => of(device, 'info'),
    all: (kind) => of('+', kind),
    parse(topic) {
      if (!topic.startsWith(`${prefix}/`)) return undefined;
      const rest = topic.slice(prefix.length + 1).split('/');
      if (rest.length !== 2) return undefined;
      const [device, kind] = rest as [string, string];
      if (!deviceIdSchema.safeParse(device).success) return undefined;
      if (!(TOPIC_KINDS as readonly string[]).includes(kind)) return undefined;
      return { device, kind: kind as TopicKind };
    },
  };
}

/** QoS per topic kind: bonks and acks must arrive; status, history and info are retained. */
export const QOS = { bonkToDevice: 1, bonkFromEdge: 2, ack: 1, status: 1, history: 1, info: 1 } as const;
