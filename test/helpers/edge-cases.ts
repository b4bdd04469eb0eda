// The edge's HTTP behaviour as one table of request → expected answer, for every runtime the app runs on.
// app.test.ts runs it in-process against a recording publisher; a workerd runner can play the same rows by
// mapping `publisher` onto its own broker/device set-up. Fixtures are imported as JSON so no node:fs is needed.
import { VERSION, type Env } from '../../contract/index.ts';
import firingOne from '../fixtures/firing-one.json' with { type: 'json' };
import firingTwo from '../fixtures/firing-two.json' with { type: 'json' };
import mixed from '../fixtures/mixed-firing-resolved.json' with { type: 'json' };
import resolved from '../fixtures/resolved.json' with { type: 'json' };
import type { PublisherBehaviour } from './recording-publisher.ts';
import { signBody } from '../../edge/core/signature.ts';

export interface EdgeCase {
  name: string;
  /** BONKER_* settings on top of EDGE_CASE_ENV. */
  env?: Env;
  /** What the broker (and device) do; default 'stores'. */
  publisher?: PublisherBehaviour;
  /** A string body is sent as UTF-8; bytes as they are (compressed bodies). */
  request: { method?: string; path: string; headers?: Record<string, string>; body?: string | Uint8Array<ArrayBuffer> };
  expect: {
    status: number;
    /** Header name → pattern its value must match. */
    headers?: Record<string, RegExp>;
    /** Partial JSON body (toMatchObject). */
    body?: Record<string, unknown>;
    /** Pattern for the JSON body's `error`. */
    error?: RegExp;
    /** Pattern for a non-JSON body (metrics). */
    text?: RegExp;
    /** Bonks the broker must have received, and on which device. */
    published?: number;
    device?: string;
    /** How many published ids `?wait=ack` reports as still pending. */
    pending?: number;
  };
}

/**
 * Timeouts short enough for the timeout rows, long enough that a Worker's per-request connect, CONNECT and PUBLISH
 * fit on a busy 2-core CI machine (150 ms did not, now and then); no stored-bonk memory, as many rows post the same
 * alert to one edge.
 */
export const EDGE_CASE_ENV: Env = { BONKER_EDGE_PUBLISH_TIMEOUT_MS: '1000', BONKER_EDGE_ACK_TIMEOUT_MS: '1000', BONKER_EDGE_REPEAT_WINDOW_S: '0' };

const TOKEN = 'edge-case-token';
const BASIC = { BONKER_EDGE_BASIC_USER: 'alertmanager', BONKER_EDGE_BASIC_PASSWORD: 'pässword' };
const basic = (user: string, password: string) =>
  `Basic ${btoa(String.fromCharCode(...new TextEncoder().encode(`${user}:${password}`)))}`;
const json = { 'content-type': 'application/json' };

/** A JSON POST to the webhook. */
function post(payload: unknown, path = '/alertmanager', headers: Record<string, string> = {}): EdgeCase['request'] {
  return { method: 'POST', path, headers: { ...json, ...headers }, body: JSON.stringify(payload) };
}

const HMAC = { BONKER_EDGE_HMAC_SECRET: 'edge-case-hmac-secret' };
const HMAC_TIMESTAMPED = {
  ...HMAC,
  BONKER_EDGE_HMAC_HEADER: 'X-Bonker-Signature',
  BONKER_EDGE_HMAC_TIMESTAMP_HEADER: 'X-Bonker-Timestamp',
};
// Signatures as Grafana computes them (hex HMAC-SHA256 of the exact body bytes; `ts:body` with a timestamp header).
const firingOneSignature = await signBody(HMAC.BONKER_EDGE_HMAC_SECRET, JSON.stringify(firingOne));
const staleSignature = await signBody(HMAC.BONKER_EDGE_HMAC_SECRET, JSON.stringify(firingOne), '1');

/** Web-standard CompressionStream, as in Node 20 and workerd, so the table stays free of node:zlib. */
async function compress(text: string, format: 'gzip' | 'deflate'): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream(format));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
const firingOneGzip = await compress(JSON.stringify(firingOne), 'gzip');
const firingOneDeflate = await compress(JSON.stringify(firingOne), 'deflate');
// About 150 bytes of gzip that inflate to 100 kB: under a 200-byte limit as sent, far over it once decoded.
const smallBomb = await compress(`${' '.repeat(100_000)}{"alerts":[]}`, 'gzip');
const gzipSignature = await signBody(HMAC.BONKER_EDGE_HMAC_SECRET, firingOneGzip);
/** A POST whose body is sent as these bytes, with a Content-Encoding. */
function encoded(body: Uint8Array<ArrayBuffer>, encoding: string, path = '/alertmanager', headers: Record<string, string> = {}) {
  return { method: 'POST', path, headers: { ...json, 'content-encoding': encoding, ...headers }, body };
}

const withoutStartsAt = { ...firingOne, alerts: [{ ...firingOne.alerts[0], startsAt: undefined }] };

export const edgeCases: EdgeCase[] = [
  { name: 'health', request: { path: '/healthz' }, expect: { status: 200, body: { status: 'ok', version: VERSION } } },
  { name: 'ready', request: { path: '/readyz' }, expect: { status: 200 } },
  { name: 'not ready', publisher: 'not-ready', request: { path: '/readyz' }, expect: { status: 503, error: /broker/ } },
  { name: 'metrics', request: { path: '/metrics' }, expect: { status: 200, text: /bonker_edge_/ } },
  { name: 'unknown route', request: { path: '/nope' }, expect: { status: 404, error: /no route/ } },
  { name: 'GET on the webhook', request: { path: '/alertmanager' }, expect: { status: 404, error: /no route/ } },
  { name: 'firing alert', request: post(firingOne), expect: { status: 200, body: { coalesced: 0 }, published: 1, device: 'tux' } },
  { name: '/hook alias', request: post(firingOne, '/hook'), expect: { status: 200, published: 1 } },
  { name: 'trailing slash', request: post(firingOne, '/alertmanager/'), expect: { status: 200, published: 1 } },
  { name: 'regrouped alerts', request: post(firingTwo), expect: { status: 200, published: 2 } },
  { name: 'mixed firing and resolved', request: post(mixed), expect: { status: 200, published: 1 } },
  { name: 'all resolved', request: post(resolved), expect: { status: 200, body: { published: [], coalesced: 0 }, published: 0 } },
  {
    name: 'all resolved while the broker is down',
    publisher: 'not-ready',
    request: post(resolved),
    expect: { status: 200, body: { published: [] } },
  },
  {
    name: 'over BONKER_EDGE_MAX_BONKS',
    env: { BONKER_EDGE_MAX_BONKS: '1' },
    request: post(firingTwo),
    expect: { status: 200, body: { coalesced: 1 }, published: 1 },
  },
  {
    name: '?device= chooses the device',
    request: post(firingOne, '/alertmanager?device=desk'),
    expect: { status: 200, published: 1, device: 'desk' },
  },
  { name: 'invalid ?device=', request: post(firingOne, '/alertmanager?device=a/b'), expect: { status: 400, error: /^device: expected/ } },
  { name: 'unknown ?wait=', request: post(firingOne, '/alertmanager?wait=forever'), expect: { status: 400, error: /wait: expected "ack"/ } },
  {
    name: 'bad JSON',
    request: { method: 'POST', path: '/alertmanager', headers: json, body: '{"alerts": [' },
    expect: { status: 400, error: /not valid JSON/, published: 0 },
  },
  { name: 'missing alerts', request: post({ version: '4' }), expect: { status: 400, error: /alerts: / } },
  { name: 'alert without startsAt', request: post(withoutStartsAt), expect: { status: 400, error: /alerts\.0\.startsAt: / } },
  {
    name: 'bad alert status',
    request: post({ alerts: [{ ...firingOne.alerts[0], status: 'burning' }] }),
    expect: { status: 400, error: /alerts\.0\.status: expected "firing" or "resolved"/ },
  },
  {
    name: 'body over BONKER_EDGE_BODY_LIMIT',
    env: { BONKER_EDGE_BODY_LIMIT: '200' },
    request: post(firingOne),
    expect: { status: 413, error: /larger than 200 bytes/, published: 0 },
  },
  {
    name: 'text/plain body',
    request: { ...post(firingOne), headers: { 'content-type': 'text/plain' } },
    expect: { status: 415, error: /expected application\/json/ },
  },
  {
    name: 'no content type',
    request: { method: 'POST', path: '/alertmanager', body: JSON.stringify(firingOne) },
    expect: { status: 415, error: /expected application\/json/ },
  },
  {
    name: 'content type with charset',
    request: post(firingOne, '/alertmanager', { 'content-type': 'application/json; charset=utf-8' }),
    expect: { status: 200, published: 1 },
  },
  {
    name: 'missing bearer token',
    env: { BONKER_EDGE_TOKEN: TOKEN },
    request: post(firingOne),
    expect: { status: 401, headers: { 'www-authenticate': /^Bearer realm=/ }, error: /credential required/, published: 0 },
  },
  {
    name: 'wrong bearer token',
    env: { BONKER_EDGE_TOKEN: TOKEN },
    request: post(firingOne, '/alertmanager', { authorization: `Bearer ${TOKEN}x` }),
    expect: { status: 401, headers: { 'www-authenticate': /Bearer/ }, error: /not accepted/, published: 0 },
  },
  {
    name: 'correct bearer token',
    env: { BONKER_EDGE_TOKEN: TOKEN },
    request: post(firingOne, '/alertmanager', { authorization: `bearer ${TOKEN}` }),
    expect: { status: 200, published: 1 },
  },
  {
    name: 'health needs no credential',
    env: { BONKER_EDGE_TOKEN: TOKEN },
    request: { path: '/healthz' },
    expect: { status: 200 },
  },
  {
    name: 'missing basic credential',
    env: BASIC,
    request: post(firingOne),
    expect: { status: 401, headers: { 'www-authenticate': /^Basic realm=/ }, published: 0 },
  },
  {
    name: 'wrong basic password',
    env: BASIC,
    request: post(firingOne, '/alertmanager', { authorization: basic('alertmanager', 'password') }),
    expect: { status: 401, headers: { 'www-authenticate': /Basic/ }, published: 0 },
  },
  {
    name: 'correct basic credential',
    env: BASIC,
    request: post(firingOne, '/alertmanager', { authorization: basic('alertmanager', 'pässword') }),
    expect: { status: 200, published: 1 },
  },
  {
    name: 'bearer token or basic: basic accepted',
    env: { ...BASIC, BONKER_EDGE_TOKEN: TOKEN },
    request: post(firingOne, '/alertmanager', { authorization: basic('alertmanager', 'pässword') }),
    expect: { status: 200, published: 1 },
  },
  {
    name: 'bearer token or basic: both challenged',
    env: { ...BASIC, BONKER_EDGE_TOKEN: TOKEN },
    request: post(firingOne),
    expect: { status: 401, headers: { 'www-authenticate': /Bearer.*Basic/ } },
  },
  {
    name: 'HMAC signature missing',
    env: HMAC,
    request: post(firingOne),
    expect: { status: 401, error: /signature required in x-grafana-alerting-signature or x-grafana-alert-signature/, published: 0 },
  },
  {
    name: 'HMAC signature of another body',
    env: HMAC,
    request: post(firingTwo, '/alertmanager', { 'x-grafana-alerting-signature': firingOneSignature }),
    expect: { status: 401, error: /signature not accepted/, published: 0 },
  },
  {
    name: 'HMAC signature that is not hex',
    env: HMAC,
    request: post(firingOne, '/alertmanager', { 'x-grafana-alerting-signature': `sha256=${firingOneSignature}` }),
    expect: { status: 401, error: /signature not accepted/, published: 0 },
  },
  {
    name: 'HMAC signature in Grafana\'s default header',
    env: HMAC,
    request: post(firingOne, '/alertmanager', { 'x-grafana-alert-signature': firingOneSignature }),
    expect: { status: 200, published: 1 },
  },
  {
    name: 'HMAC signature in upper-case hex',
    env: HMAC,
    request: post(firingOne, '/alertmanager', { 'X-Grafana-Alerting-Signature': firingOneSignature.toUpperCase() }),
    expect: { status: 200, published: 1 },
  },
  {
    name: 'HMAC signature with a stale timestamp',
    env: HMAC_TIMESTAMPED,
    request: post(firingOne, '/alertmanager', { 'x-bonker-signature': staleSignature, 'x-bonker-timestamp': '1' }),
    expect: { status: 401, error: /^x-bonker-timestamp: .*stale/, published: 0 },
  },
  {
    name: 'HMAC signature without its timestamp',
    env: HMAC_TIMESTAMPED,
    request: post(firingOne, '/alertmanager', { 'x-bonker-signature': firingOneSignature }),
    expect: { status: 401, error: /^x-bonker-timestamp: expected the Unix time/, published: 0 },
  },
  {
    name: 'HMAC signature in a header other than the configured one',
    env: HMAC_TIMESTAMPED,
    request: post(firingOne, '/alertmanager', { 'x-grafana-alerting-signature': firingOneSignature }),
    expect: { status: 401, error: /signature required in x-bonker-signature/, published: 0 },
  },
  { name: 'gzip body', request: encoded(firingOneGzip, 'gzip'), expect: { status: 200, published: 1 } },
  { name: 'deflate body, coding in upper case', request: encoded(firingOneDeflate, 'Deflate'), expect: { status: 200, published: 1 } },
  {
    name: 'identity coding',
    request: { ...post(firingOne), headers: { ...json, 'content-encoding': 'identity' } },
    expect: { status: 200, published: 1 },
  },
  {
    name: 'unsupported coding',
    request: encoded(firingOneGzip, 'br'),
    expect: {
      status: 415,
      headers: { 'accept-encoding': /^gzip, deflate$/ },
      error: /content encoding "br" is not supported; expected gzip, deflate or identity/,
      published: 0,
    },
  },
  { name: 'stacked codings', request: encoded(firingOneGzip, 'gzip, br'), expect: { status: 415, error: /"gzip, br" is not supported/ } },
  {
    name: 'gzip header on a plain body',
    request: { ...post(firingOne), headers: { ...json, 'content-encoding': 'gzip' } },
    expect: { status: 400, error: /^request body is not valid gzip/, published: 0 },
  },
  {
    name: 'gzip body over BONKER_EDGE_BODY_LIMIT once decoded',
    env: { BONKER_EDGE_BODY_LIMIT: '200' },
    request: encoded(smallBomb, 'gzip'),
    expect: { status: 413, error: /larger than 200 bytes \(BONKER_EDGE_BODY_LIMIT\) once decoded from gzip/, published: 0 },
  },
  {
    name: 'gzip body without its Content-Encoding',
    request: { method: 'POST', path: '/alertmanager', headers: json, body: firingOneGzip },
    // Nothing of the binary body is quoted back: the reason is printable ASCII only.
    expect: { status: 400, error: /^request body is not valid JSON: [\x20-\x7e…]+ \(it looks gzip-compressed/, published: 0 },
  },
  {
    name: 'HMAC signature of the gzip body as sent',
    env: HMAC,
    request: encoded(firingOneGzip, 'gzip', '/alertmanager', { 'x-grafana-alert-signature': gzipSignature }),
    expect: { status: 200, published: 1 },
  },
  {
    name: 'HMAC signature of the decoded text of a gzip body',
    env: HMAC,
    request: encoded(firingOneGzip, 'gzip', '/alertmanager', { 'x-grafana-alert-signature': firingOneSignature }),
    expect: { status: 401, error: /signature not accepted/, published: 0 },
  },
  {
    name: 'gzip manual bonk',
    request: encoded(await compress('{"count":1}', 'gzip'), 'gzip', '/bonk'),
    expect: { status: 200, published: 1, device: 'tux' },
  },
  {
    name: 'broker refuses',
    publisher: 'fails',
    request: post(firingOne),
    expect: { status: 503, error: /^bonks not stored by the broker: it closed the connection during the publish/ },
  },
  {
    name: 'broker does not answer',
    publisher: 'hangs',
    request: post(firingOne),
    expect: { status: 503, error: /^bonks not confirmed by the broker within 1000 ms \(BONKER_EDGE_PUBLISH_TIMEOUT_MS\)/ },
  },
  {
    name: 'broker not connected',
    publisher: 'not-ready',
    request: post(firingOne),
    expect: { status: 503, error: /^bonks not stored by the broker: not connected to the MQTT broker; nothing was published/ },
  },
  {
    name: '?wait=ack with the device answering',
    publisher: 'acks',
    request: post(firingTwo, '/alertmanager?wait=ack'),
    expect: { status: 200, body: { acks: [{ result: 'done' }, { result: 'done' }] }, published: 2, pending: 0 },
  },
  {
    name: '?wait=ack with the device silent',
    request: post(firingOne, '/alertmanager?wait=ack'),
    expect: { status: 200, body: { acks: [] }, published: 1, pending: 1 },
  },
];

/** The case's request against any base URL (http://127.0.0.1:PORT for a real server). */
export function edgeCaseRequest(edgeCase: EdgeCase, baseUrl = 'http://edge.test'): Request {
  const { method = 'GET', path, headers = {}, body } = edgeCase.request;
  return new Request(new URL(path, baseUrl), { method, headers, body: body ?? null });
}
