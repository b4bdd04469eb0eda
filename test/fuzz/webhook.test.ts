// Property-based fuzzing of the edge app in-process: 100,000 generated webhook bodies, never a 5xx, never a throw,
// and every 4xx says what was wrong (a field path with what was expected, or why the body was not read).
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger, type Logger } from '../../contract/index.ts';
import { notificationSchema } from '../../edge/core/alertmanager-payload.ts';
import { createEdgeApp } from '../../edge/core/app.ts';
import { loadEdgeConfig } from '../../edge/core/config.ts';
import { createMemoryMetrics } from '../../edge/core/metrics.ts';
import { createRecordingPublisher } from '../helpers/recording-publisher.ts';
import { webhookBody, webhookQuery } from './webhook-arbitraries.ts';

export const FUZZ_RUNS = Number(process.env.BONKER_FUZZ_RUNS ?? 100_000);

/** Any error logged by the app would mean it hit its catch-all (a 500); counted so the test can fail on it. */
function errorCountingLogger(errors: unknown[]): Logger {
  const logger: Logger = {
    ...silentLogger,
    error: (...args: unknown[]) => void errors.push(args),
    fatal: (...args: unknown[]) => void errors.push(args),
    child: () => logger,
  };
  return logger;
}

const publisher = createRecordingPublisher('acks');
afterAll(() => publisher.close());

/** Whether `bytes` parse as JSON text (as the edge decodes them: UTF-8, invalid sequences replaced). */
function parsed(bytes: Uint8Array): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(new TextDecoder().decode(bytes)) };
  } catch {
    return { ok: false };
  }
}

/** Plain checks rather than expect(): this runs 100,000 times and expect() dominates the cost. */
function check(ok: boolean, what: string, detail: unknown): void {
  if (!ok) throw new Error(`${what}: ${JSON.stringify(detail)?.slice(0, 500)}`);
}

function checkExplained(status: number, error: unknown, bytes: Uint8Array): void {
  check(typeof error === 'string', 'a 4xx without an error string', error);
  const message = error as string;
  if (status === 413) return check(/larger than \d+ bytes \(BONKER_EDGE_BODY_LIMIT\)/.test(message), '413 unexplained', message);
  if (/^(device|wait): .*expected/.test(message)) return;
  const json = parsed(bytes);
  if (!json.ok) return check(/^request body is not valid JSON: /.test(message), 'bad JSON unexplained', message);
  // Every problem the schema finds is in the answer as `path: message`, and each message says what was expected.
  const result = notificationSchema.safeParse(json.value);
  check(!result.success && message.startsWith('not an Alertmanager webhook payload: '), 'unexpected 4xx', message);
  for (const issue of result.error!.issues) {
    const named = `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`;
    check(/expected/i.test(issue.message) && message.includes(named), 'problem not named with what was expected', { named, message });
  }
}

describe('webhook fuzzing (fast-check)', () => {
  it(`answers ${FUZZ_RUNS} generated bodies with 2xx or an explained 4xx`, async () => {
    const errors: unknown[] = [];
    const config = loadEdgeConfig({ BONKER_EDGE_BODY_LIMIT: String(64 * 1024), BONKER_EDGE_ACK_TIMEOUT_MS: '50' });
    const app = createEdgeApp({ config, publisher, logger: errorCountingLogger(errors), metrics: createMemoryMetrics() });
    const statuses = new Map<number, number>();
    const started = performance.now();
    await fc.assert(
      fc.asyncProperty(webhookBody, webhookQuery, fc.nat(9), async (bytes, query, streamed) => {
        // Alertmanager sends a content-length; a tenth go without one, through the body limit's streaming path.
        const length: Record<string, string> = streamed ? { 'content-length': String(bytes.length) } : {};
        const response = await app.request(`/alertmanager${query}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...length },
          body: bytes,
        });
        const body = (await response.json()) as { error?: unknown };
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        publisher.published.length = 0;
        check(response.status < 500, 'a 5xx', { status: response.status, body });
        if (response.status >= 400) checkExplained(response.status, body.error, bytes);
        check(errors.length === 0, 'the app logged an error', errors);
      }),
      { numRuns: FUZZ_RUNS },
    );
    const total = [...statuses.values()].reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(FUZZ_RUNS);
    // Both outcomes must really occur, or the generators drifted away from what they are meant to cover.
    expect(statuses.get(200)).toBeGreaterThan(FUZZ_RUNS / 100);
    expect(statuses.get(400)).toBeGreaterThan(FUZZ_RUNS / 10);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    process.stdout.write(`webhook fuzz: ${total} bodies in ${seconds} s, statuses ${JSON.stringify(Object.fromEntries(statuses))}\n`);
  }, 180_000);
});
