// The exact duplicate check still does what aedes' check is for: one copy per message despite overlapping filters.
import { afterEach, describe, expect, it } from 'vitest';
import { createTopics } from '../../contract/index.ts';
import { waitUntil } from '../../test/helpers/wait.ts';
import { asEmitter, createBrokerTestKit } from '../../test/helpers/broker-test-support.ts';

const topics = createTopics();
const kit = createBrokerTestKit();
afterEach(() => kit.cleanup());

describe('exact dedupe', () => {
  it.each(['level', 'memory'] as const)('hands a clean:false subscriber one copy when two of its filters match (%s)', async (kind) => {
    const broker = await kit.startBroker(kind);
    const tux = await kit.connect(broker, { clientId: 'tux-overlap', clean: false });
    const copies = new Map<string, number>();
    tux.on('message', (_topic, payload) => copies.set(payload.toString(), (copies.get(payload.toString()) ?? 0) + 1));
    await tux.subscribeAsync([topics.bonk('tux'), topics.all('bonk'), `${topics.prefix}/#`], { qos: 1 });

    const edge = await kit.connect(broker, { clientId: 'edge-overlap' });
    const sent = Array.from({ length: 60 }, (_, i) => `bonk-${i}`);
    await Promise.all(sent.map((payload, i) => edge.publishAsync(topics.bonk('tux'), payload, { qos: ([0, 1, 2] as const)[i % 3] })));
    // A last message published after all others were acknowledged: once it is in, any second copy would be too.
    await edge.publishAsync(topics.bonk('tux'), 'last', { qos: 1 });
    await waitUntil(asEmitter(tux), 'message', () => copies.has('last'));

    expect([...copies.keys()].sort()).toEqual([...sent, 'last'].sort());
    expect([...copies.values()].every((count) => count === 1)).toBe(true);
  });
});
