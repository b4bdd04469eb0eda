// fast-check generators of webhook bodies: near-valid Alertmanager payloads and the many ways they go wrong.
import fc from 'fast-check';
import { fixtures } from '../fixtures/index.ts';

const encoder = new TextEncoder();
const anyString = fc.string({ unit: 'binary', maxLength: 40 });
const labelValue = fc.oneof(anyString, fc.constantFrom('oom', 'prod', 'tux', 'a/b', ''));

/** A value of the right type most of the time, and anything at all otherwise. */
const mostly = <T>(right: fc.Arbitrary<T>) => fc.oneof({ arbitrary: right, weight: 4 }, { arbitrary: fc.jsonValue({ maxDepth: 2 }), weight: 1 });

const labels = fc.oneof(
  { arbitrary: fc.dictionary(fc.string({ maxLength: 12 }), labelValue, { maxKeys: 6 }), weight: 6 },
  { arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }), weight: 1 },
);

/** Huge label maps, far more keys than any real alert; built directly, since generating each key is slow. */
const hugeLabels = fc
  .record({ keys: fc.integer({ min: 500, max: 4_000 }), value: fc.string({ maxLength: 60 }), bad: fc.option(fc.nat()) })
  .map(({ keys, value, bad }) => {
    const map: Record<string, unknown> = {};
    for (let i = 0; i < keys; i++) map[`label_${i}`] = `${value}${i}`;
    if (bad !== null) map[`label_${bad % keys}`] = bad;
    return JSON.stringify({ alerts: [{ status: 'firing', labels: map, startsAt: '2026-01-01T00:00:00Z' }] });
  });

const timestamp = fc.oneof(
  fc.date({ min: new Date(1), max: new Date(4e12), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom('0001-01-01T00:00:00Z', '2026-11-25T11:09:59.658146904Z', '2026-11-25T12:09:59+01:00', 'yesterday', ''),
);

const alert = fc.record(
  {
    status: mostly(fc.constantFrom('firing', 'resolved', 'burning', 'FIRING')),
    labels: mostly(labels),
    annotations: mostly(fc.dictionary(fc.string({ maxLength: 10 }), anyString, { maxKeys: 3 })),
    startsAt: mostly(timestamp),
    endsAt: mostly(timestamp),
    fingerprint: mostly(fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), maxLength: 16 })),
    generatorURL: mostly(fc.constantFrom('http://prometheus:9090/graph?g0.expr=up', 'javascript:alert(1)', '')),
  },
  // Missing fields: each key may be left out.
  { requiredKeys: [] },
);

const notification = fc.record(
  {
    version: mostly(fc.constantFrom('4', '1')),
    receiver: mostly(anyString),
    status: mostly(fc.constantFrom('firing', 'resolved')),
    groupKey: mostly(anyString),
    truncatedAlerts: mostly(fc.nat()),
    alerts: mostly(fc.array(alert, { maxLength: 6 })),
    commonLabels: mostly(labels),
  },
  { requiredKeys: [] },
);

/** `[[[[...]]]]` or `{"a":{"a":...}}` as deep as a hostile sender likes, optionally inside the alerts array. */
const deepNesting = fc
  .record({ depth: fc.integer({ min: 100, max: 20_000 }), objects: fc.boolean(), inAlerts: fc.boolean() })
  .map(({ depth, objects, inAlerts }) => {
    const deep = objects ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}` : `${'['.repeat(depth)}${']'.repeat(depth)}`;
    return inAlerts ? `{"alerts":[{"status":"firing","labels":${deep},"startsAt":"2026-01-01T00:00:00Z"}]}` : deep;
  });

const validText = fc.constantFrom(...Object.values(fixtures).map((f) => JSON.stringify(f)));

/** Bytes that are not valid UTF-8 spliced into an otherwise plausible body. */
const nonUtf8 = fc
  .tuple(validText, fc.uint8Array({ minLength: 1, maxLength: 8 }).map((b) => b.map((x) => 0x80 | (x & 0x7f))), fc.nat())
  .map(([text, bad, at]) => {
    const bytes = encoder.encode(text);
    const cut = at % (bytes.length + 1);
    return Uint8Array.from([...bytes.subarray(0, cut), 0xc3, ...bad, ...bytes.subarray(cut)]);
  });

/** Every kind of body, as the bytes that go on the wire. */
export const webhookBody: fc.Arbitrary<Uint8Array<ArrayBuffer>> = fc.oneof(
  { arbitrary: notification.map((n) => JSON.stringify(n)), weight: 40 },
  // Truncated: a real payload cut anywhere.
  { arbitrary: fc.tuple(validText, fc.nat()).map(([text, n]) => text.slice(0, n % text.length)), weight: 10 },
  // Wrong types at the top: arrays, numbers, strings, null.
  { arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null'), weight: 10 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 200 }), weight: 5 },
  { arbitrary: deepNesting, weight: 1 },
  { arbitrary: hugeLabels, weight: 1 },
  { arbitrary: nonUtf8, weight: 5 },
  { arbitrary: fc.uint8Array({ maxLength: 300 }), weight: 5 },
).map((body) => (typeof body === 'string' ? encoder.encode(body) : new Uint8Array(body)));

/** Query strings Alertmanager would never send, mixed with ones it might. */
export const webhookQuery = fc.oneof(
  { arbitrary: fc.constant(''), weight: 10 },
  { arbitrary: fc.constantFrom('?device=desk', '?wait=ack', '?device=a%2Fb', '?wait=soon', '?device=', '?device=%FF'), weight: 1 },
);
